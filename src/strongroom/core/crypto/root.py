"""The root of trust: the one key every secret at rest is sealed under.

A provider (`file`, `passphrase`, `pkcs11`) obtains a 256-bit *root key* at start-up and
yields an `UnsealedRoot`, which seals and opens values for the rest of the process:

- the key for a value is ``HKDF-SHA256(root key, info=canonical_aad("strongroom seal", purpose))``,
  so each purpose (``"kms/key-material"``, ``"ssm/parameter"`` …) has its own AES-256-GCM key.
  Purposes are a small fixed set named in code (their keys are cached for the life of the
  process); what varies per value belongs in `record`;
- the AAD is ``canonical_aad(header, purpose, record)``, so a sealed value moved to another
  record or purpose, or with an edited header, does not open;
- the sealed blob describes itself::

      version (1 byte, 0x01) || key id (8 bytes) || nonce (12 bytes) || ciphertext || tag (16 bytes)

  The key id (``HKDF(root key, info=canonical_aad("strongroom key id"))``, 64 bits) names the
  root key that sealed the value, so a future keyring picks the right key at once instead of
  trying every old key in turn.

The root files in the data directory are created atomically (temporary file, fsync, hard link
into place so a concurrent start never clobbers, fsync of the directory) with mode 0600, and
are *refused* when group or other may access them: a root key that others could read must be
presumed copied, and a warning in a log is easy to miss (OpenSSH refuses unprotected private
keys for the same reason). ``chmod 600`` is the whole fix.

Python cannot wipe memory, so keys live as immutable ``bytes`` for the life of the process;
what we can promise is that no repr, exception message or pickle ever carries them.
"""

from __future__ import annotations

import errno
import os
import pathlib
import secrets
import stat
import struct
from collections.abc import Mapping
from typing import Protocol

from strongroom.core.crypto.aead import NONCE_SIZE, TAG_SIZE, AesGcmKey, canonical_aad, hkdf_sha256
from strongroom.core.crypto.errors import RootKeyUnavailable, SealError

__all__ = [
    "PROVIDERS",
    "ROOT_KEY_SIZE",
    "SEALED_OVERHEAD",
    "RootOfTrust",
    "UnsealedRoot",
    "open_root_of_trust",
]

ROOT_KEY_SIZE = 32
SEAL_VERSION = 1
KEY_ID_SIZE = 8
_HEADER = struct.Struct(f">B{KEY_ID_SIZE}s")
SEALED_OVERHEAD = _HEADER.size + NONCE_SIZE + TAG_SIZE
PROVIDERS = ("file", "passphrase", "pkcs11")


class RootOfTrust(Protocol):
    """What every provider yields once unsealed."""

    name: str
    key_id: bytes

    def seal(self, plaintext: bytes, *, purpose: str, record: str) -> bytes:
        """Encrypt `plaintext` so that it opens only for this `purpose` and `record`."""
        ...

    def open(self, sealed: bytes, *, purpose: str, record: str) -> bytes:
        """Return the plaintext of `sealed`, or raise `SealError`."""
        ...


class UnsealedRoot:
    """A root key in memory, sealing and opening values (see the module docstring)."""

    __slots__ = ("_key_by_purpose", "_root_key", "key_id", "name")

    def __init__(self, name: str, root_key: bytes) -> None:
        if len(root_key) != ROOT_KEY_SIZE:
            raise ValueError("a root key is 256 bits")
        self.name = name
        self._root_key = bytes(root_key)
        self.key_id = hkdf_sha256(root_key, info=canonical_aad("strongroom key id"), length=KEY_ID_SIZE)
        self._key_by_purpose: dict[str, AesGcmKey] = {}

    def __repr__(self) -> str:
        return f"<UnsealedRoot name={self.name!r} key_id={self.key_id.hex()}>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a root of trust is not picklable")

    def seal(self, plaintext: bytes, *, purpose: str, record: str) -> bytes:
        """Encrypt `plaintext` so that it opens only for this `purpose` and `record`."""
        header = _HEADER.pack(SEAL_VERSION, self.key_id)
        return header + self._key_for(purpose).encrypt(plaintext, canonical_aad(header, purpose, record))

    def open(self, sealed: bytes, *, purpose: str, record: str) -> bytes:
        """Return the plaintext of `sealed`, or raise `SealError`."""
        key = self._key_for(purpose)
        if len(sealed) < SEALED_OVERHEAD:
            raise SealError()
        header = bytes(sealed[: _HEADER.size])
        version, key_id = _HEADER.unpack(header)
        if version != SEAL_VERSION or not secrets.compare_digest(key_id, self.key_id):
            raise SealError()
        return key.decrypt(sealed[_HEADER.size :], canonical_aad(header, purpose, record))

    def _key_for(self, purpose: str) -> AesGcmKey:
        key = self._key_by_purpose.get(purpose)
        if key is None:
            if not isinstance(purpose, str) or not purpose:
                raise ValueError("purpose must be a non-empty string")
            derived = hkdf_sha256(self._root_key, info=canonical_aad("strongroom seal", purpose))
            # A race computes the same key twice; harmless, so no lock on the hot path.
            key = self._key_by_purpose.setdefault(purpose, AesGcmKey(derived))
        return key


def open_root_of_trust(
    kind: str, data_dir: pathlib.Path, *, env: Mapping[str, str] = os.environ
) -> RootOfTrust:
    """Unseal the root of trust of `kind` ("file", "passphrase" or "pkcs11") kept in `data_dir`.

    Raises `RootKeyUnavailable`, with a message for the operator, when it cannot.
    """
    data_dir = pathlib.Path(data_dir)
    kind = (kind or "file").strip().lower()
    if kind not in PROVIDERS:
        raise RootKeyUnavailable(
            f"unknown root-of-trust provider {kind!r}; choose one of {', '.join(PROVIDERS)}"
        )
    # Imported here: the providers build on this module, and only the chosen one (pkcs11 loads a
    # C extension) should be imported at all.
    if kind == "file":
        from strongroom.core.crypto.file_provider import open_file_root

        return open_file_root(data_dir)
    if kind == "passphrase":
        from strongroom.core.crypto.passphrase_provider import open_passphrase_root

        return open_passphrase_root(data_dir, env)
    from strongroom.core.crypto.pkcs11_provider import open_pkcs11_root

    return open_pkcs11_root(data_dir, env)


def read_root_file(path: pathlib.Path) -> bytes | None:
    """Return the contents of the root file at `path`, None if it does not exist.

    Refuses (`RootKeyUnavailable`) a file that group or other may read or write.
    """
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
                raise RootKeyUnavailable(
                    f"{path} is accessible to group or other (mode {stat.S_IMODE(mode):04o}); "
                    f"Strongroom refuses to use it. Run `chmod 600 {path}` and check who may have copied it"
                )
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RootKeyUnavailable(f"cannot read {path}: {exc.strerror}") from None


def create_root_file(path: pathlib.Path, contents: bytes) -> bytes:
    """Create `path` holding `contents`, mode 0600, atomically and without clobbering.

    Returns what the file holds afterwards: `contents`, or what a concurrent start wrote first.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(contents)
                handle.flush()
                os.fsync(handle.fileno())
            _link_no_clobber(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except FileExistsError:
        winner = read_root_file(path)
        if winner is None:
            raise RootKeyUnavailable(f"{path} appeared and vanished while starting; start again") from None
        return winner
    _fsync_directory(path.parent)
    return contents


def _link_no_clobber(source: pathlib.Path, target: pathlib.Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        # Some filesystems (FUSE, SMB) have no hard links: fall back to rename, which is still
        # atomic but would clobber a file created in the last microseconds.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(source, target)


def _fsync_directory(directory: pathlib.Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
