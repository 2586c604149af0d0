"""The `passphrase` root of trust: the root key is derived from an operator's passphrase.

``root key = scrypt(NFC(STRONGROOM_ROOT_PASSPHRASE), salt, n, r, p)``. Nothing secret is on
disk: ``<data_dir>/root.passphrase`` holds the random salt, the scrypt parameters and a check
value (a fixed text sealed under the derived key), so a wrong passphrase is reported at start
instead of surfacing later as secrets that fail to open::

    {"format": "strongroom-root-passphrase", "version": 1, "kdf": "scrypt",
     "salt": "<base64>", "n": 131072, "r": 8, "p": 1, "check": "<base64 sealed value>"}

The check value (like any sealed secret) lets whoever copies the data directory test guesses
offline, without a rate limit; scrypt at n=2**17 (about 128 MiB and a few tenths of a second
per guess) is what slows them, and a long passphrase is what stops them. Hence the minimum
length on first start.
"""

from __future__ import annotations

import base64
import binascii
import json
import pathlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from strongroom.core.crypto.aead import random_key
from strongroom.core.crypto.errors import RootKeyUnavailable, SealError
from strongroom.core.crypto.root import ROOT_KEY_SIZE, UnsealedRoot, create_root_file, read_root_file

__all__ = [
    "DEFAULT_SCRYPT",
    "MIN_PASSPHRASE_LENGTH",
    "PASSPHRASE_ENV",
    "PASSPHRASE_FILE",
    "ScryptParams",
    "open_passphrase_root",
]

PASSPHRASE_ENV = "STRONGROOM_ROOT_PASSPHRASE"
PASSPHRASE_FILE = "root.passphrase"
MIN_PASSPHRASE_LENGTH = 12
_FORMAT = "strongroom-root-passphrase"
_CHECK_PLAINTEXT = b"strongroom root of trust"
_CHECK_PURPOSE = "strongroom/root-check"
_SALT_SIZE = 16


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; bounded so that a damaged file cannot exhaust memory or time."""

    n: int
    r: int
    p: int

    def __post_init__(self) -> None:
        valid = (
            all(type(value) is int for value in (self.n, self.r, self.p))
            and 2**14 <= self.n <= 2**20
            and self.n & (self.n - 1) == 0
            and 1 <= self.r <= 16
            and 1 <= self.p <= 16
            and 128 * self.n * self.r <= 2**30
        )
        if not valid:
            raise ValueError("scrypt parameters out of range (n a power of two in 2**14..2**20, r, p 1..16)")


DEFAULT_SCRYPT = ScryptParams(n=2**17, r=8, p=1)


def open_passphrase_root(
    data_dir: pathlib.Path, env: Mapping[str, str], *, new_params: ScryptParams = DEFAULT_SCRYPT
) -> UnsealedRoot:
    """Derive the root key from the passphrase in `env`; on first start, record salt and check value.

    `new_params` only applies when `data_dir` has no root.passphrase yet; later starts use the
    parameters recorded there.
    """
    path = data_dir / PASSPHRASE_FILE
    passphrase = _passphrase_from(env)
    stored = read_root_file(path)
    if stored is None:
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise RootKeyUnavailable(
                f"{PASSPHRASE_ENV} is shorter than {MIN_PASSPHRASE_LENGTH} characters; the root passphrase "
                "can be attacked offline, so choose a long one (several random words)"
            )
        record, root = _new_record(passphrase, new_params)
        stored = create_root_file(path, record)
        if stored == record:
            return root
        # Another process started first with its own salt: use what it recorded.
    salt, params, check = _parse_record(stored, path)
    root = UnsealedRoot("passphrase", _derive(passphrase, salt, params))
    try:
        if root.open(check, purpose=_CHECK_PURPOSE, record=PASSPHRASE_FILE) != _CHECK_PLAINTEXT:
            raise SealError()
    except SealError:
        raise RootKeyUnavailable(
            f"{PASSPHRASE_ENV} does not open {path}: the passphrase is wrong "
            "(or the file belongs to another data directory)"
        ) from None
    return root


def _passphrase_from(env: Mapping[str, str]) -> bytes:
    value = env.get(PASSPHRASE_ENV)
    if not value:
        raise RootKeyUnavailable(
            f"{PASSPHRASE_ENV} is not set; export the root passphrase in it before starting "
            "(or choose another root-of-trust provider)"
        )
    # NFC so that the same passphrase typed on systems that compose accents differently matches.
    return unicodedata.normalize("NFC", value).encode("utf-8")


def _derive(passphrase: bytes, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=ROOT_KEY_SIZE, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase)


def _new_record(passphrase: bytes, params: ScryptParams) -> tuple[bytes, UnsealedRoot]:
    salt = random_key(_SALT_SIZE * 8)
    root = UnsealedRoot("passphrase", _derive(passphrase, salt, params))
    check = root.seal(_CHECK_PLAINTEXT, purpose=_CHECK_PURPOSE, record=PASSPHRASE_FILE)
    record = {
        "format": _FORMAT,
        "version": 1,
        "kdf": "scrypt",
        "salt": base64.b64encode(salt).decode("ascii"),
        "n": params.n,
        "r": params.r,
        "p": params.p,
        "check": base64.b64encode(check).decode("ascii"),
    }
    return (json.dumps(record, indent=2) + "\n").encode("utf-8"), root


def _parse_record(stored: bytes, path: pathlib.Path) -> tuple[bytes, ScryptParams, bytes]:
    try:
        record = json.loads(stored)
        if record["format"] != _FORMAT or record["version"] != 1 or record["kdf"] != "scrypt":
            raise ValueError("unknown format")
        salt = base64.b64decode(record["salt"], validate=True)
        check = base64.b64decode(record["check"], validate=True)
        params = ScryptParams(n=record["n"], r=record["r"], p=record["p"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise RootKeyUnavailable(
            f"{path} is damaged or not a Strongroom passphrase record; restore it from a backup"
        ) from None
    if len(salt) < _SALT_SIZE:
        raise RootKeyUnavailable(
            f"{path} has a salt shorter than {_SALT_SIZE} bytes; restore it from a backup"
        )
    return salt, params, check
