"""The `pkcs11` root of trust: an HSM (or SoftHSM2) protects the root key.

Envelope design. On first start an AES-256 *wrapping key* is generated inside the token
(token object, private, sensitive, non-extractable: it never leaves the HSM). A random 256-bit
*root data key* is generated, encrypted by the HSM under the wrapping key and stored in
``<data_dir>/root.pkcs11``. On every start the HSM decrypts the data key once; from then on the
data key lives in process memory and seals and opens values locally, so per-request sealing
never round-trips to the HSM (an HSM handles hundreds to a few thousand operations a second,
and a network HSM adds a round trip to each). The trade-off is stated plainly: the HSM guards
the root data key at rest (a copy of the data directory is useless without the token and its
PIN), not in use (whoever can read the process memory can read the data key).

Wrapping mechanism: ``CKM_AES_GCM`` when the token offers it (authenticated, and bound to a
fixed AAD), otherwise ``CKM_AES_KEY_WRAP_PAD`` (RFC 5649) or ``CKM_AES_KEY_WRAP`` (RFC 3394),
both of which carry an integrity check. The mechanism used is recorded in root.pkcs11, so a
later start unwraps the same way::

    {"format": "strongroom-root-pkcs11", "version": 1, "token_label": "...", "key_label": "...",
     "mechanism": "AES_GCM", "nonce": "<base64>", "wrapped": "<base64>"}

Environment:

- ``STRONGROOM_PKCS11_MODULE``: path of the PKCS#11 library (default: SoftHSM2's, if installed)
- ``STRONGROOM_PKCS11_TOKEN_LABEL``: label of the token (required)
- ``STRONGROOM_PKCS11_PIN``: the user PIN (required)
- ``STRONGROOM_PKCS11_KEY_LABEL``: label of the wrapping key (default ``strongroom-root``)

Start the first node alone: two nodes creating the wrapping key at once would leave two keys
under one label, which later starts refuse as ambiguous.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from strongroom.core.crypto.aead import NONCE_SIZE, canonical_aad, random_key
from strongroom.core.crypto.errors import RootKeyUnavailable
from strongroom.core.crypto.root import ROOT_KEY_SIZE, UnsealedRoot, create_root_file, read_root_file

__all__ = [
    "DEFAULT_KEY_LABEL",
    "KEY_LABEL_ENV",
    "MECHANISMS",
    "MODULE_ENV",
    "PIN_ENV",
    "PKCS11_FILE",
    "SOFTHSM2_MODULE_PATHS",
    "TOKEN_LABEL_ENV",
    "default_module_path",
    "open_pkcs11_root",
]

MODULE_ENV = "STRONGROOM_PKCS11_MODULE"
TOKEN_LABEL_ENV = "STRONGROOM_PKCS11_TOKEN_LABEL"
PIN_ENV = "STRONGROOM_PKCS11_PIN"
KEY_LABEL_ENV = "STRONGROOM_PKCS11_KEY_LABEL"
DEFAULT_KEY_LABEL = "strongroom-root"
PKCS11_FILE = "root.pkcs11"
MECHANISMS = ("AES_GCM", "AES_KEY_WRAP_PAD", "AES_KEY_WRAP")
SOFTHSM2_MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)
_FORMAT = "strongroom-root-pkcs11"
_GCM_AAD = canonical_aad("strongroom root data key", "v1")


def default_module_path() -> str | None:
    """The SoftHSM2 library, if one is installed in a usual place."""
    return next((path for path in SOFTHSM2_MODULE_PATHS if os.path.exists(path)), None)


def open_pkcs11_root(
    data_dir: pathlib.Path, env: Mapping[str, str], *, mechanisms: Sequence[str] = MECHANISMS
) -> UnsealedRoot:
    """Unwrap the root data key in `data_dir`/root.pkcs11 with the token's key; create both on first start.

    `mechanisms` is the order of preference for a new root.pkcs11 (the first one the token
    supports wins); an existing file is unwrapped with the mechanism it records.
    """
    import pkcs11

    module = env.get(MODULE_ENV) or default_module_path()
    token_label = env.get(TOKEN_LABEL_ENV)
    pin = env.get(PIN_ENV)
    key_label = env.get(KEY_LABEL_ENV) or DEFAULT_KEY_LABEL
    if not module:
        raise RootKeyUnavailable(
            f"{MODULE_ENV} is not set and SoftHSM2 is not installed; set it to the path of your HSM's "
            "PKCS#11 library"
        )
    if not token_label:
        raise RootKeyUnavailable(f"{TOKEN_LABEL_ENV} is not set; set it to the label of the HSM token")
    if not pin:
        raise RootKeyUnavailable(f"{PIN_ENV} is not set; set it to the user PIN of token {token_label!r}")

    path = data_dir / PKCS11_FILE
    stored = read_root_file(path)
    token = _find_token(module, token_label)
    try:
        with token.open(user_pin=pin, rw=stored is None) as session:
            if stored is None:
                wrapping_key = _find_or_generate_wrapping_key(session, key_label)
                record = _wrap_new_data_key(session, token, wrapping_key, token_label, key_label, mechanisms)
                stored = create_root_file(path, record)
            data_key = _unwrap_data_key(session, stored, path, token_label)
    except pkcs11.PinIncorrect:
        raise RootKeyUnavailable(f"token {token_label!r} rejected {PIN_ENV}: the PIN is wrong") from None
    except pkcs11.PinLocked:
        raise RootKeyUnavailable(
            f"the user PIN of token {token_label!r} is locked; the token's security officer must unlock it"
        ) from None
    except pkcs11.PKCS11Error as exc:
        raise RootKeyUnavailable(
            f"token {token_label!r} in {module} failed ({type(exc).__name__}); check the HSM and its logs"
        ) from None
    return UnsealedRoot("pkcs11", data_key)


def _find_token(module: str, token_label: str) -> Any:
    import pkcs11

    try:
        library = pkcs11.lib(module)
    except (OSError, RuntimeError) as exc:
        raise RootKeyUnavailable(
            f"cannot load the PKCS#11 library {module} ({type(exc).__name__}); set {MODULE_ENV} to your "
            "HSM vendor's library"
        ) from None
    try:
        return library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        raise RootKeyUnavailable(
            f"no token labelled {token_label!r} in {module}; initialise one (for SoftHSM2: "
            f"softhsm2-util --init-token --free --label {token_label}) or fix {TOKEN_LABEL_ENV}"
        ) from None
    except pkcs11.MultipleTokensReturned:
        raise RootKeyUnavailable(
            f"several tokens in {module} are labelled {token_label!r}; relabel one"
        ) from None


def _find_wrapping_key(session: Any, key_label: str) -> Any:
    import pkcs11

    return session.get_key(
        object_class=pkcs11.ObjectClass.SECRET_KEY, key_type=pkcs11.KeyType.AES, label=key_label
    )


def _find_or_generate_wrapping_key(session: Any, key_label: str) -> Any:
    import pkcs11
    from pkcs11 import Attribute, MechanismFlag

    try:
        return _find_wrapping_key(session, key_label)
    except pkcs11.NoSuchKey:
        pass
    except pkcs11.MultipleObjectsReturned:
        raise RootKeyUnavailable(f"several AES keys on the token are labelled {key_label!r}") from None
    return session.generate_key(
        pkcs11.KeyType.AES,
        ROOT_KEY_SIZE * 8,
        label=key_label,
        id=random_key(128),
        store=True,
        capabilities=MechanismFlag.ENCRYPT
        | MechanismFlag.DECRYPT
        | MechanismFlag.WRAP
        | MechanismFlag.UNWRAP,
        template={
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
        },
    )


def _wrap_new_data_key(
    session: Any, token: Any, wrapping_key: Any, token_label: str, key_label: str, mechanisms: Sequence[str]
) -> bytes:
    import pkcs11

    supported = token.slot.get_mechanisms()
    mechanism = next((name for name in mechanisms if pkcs11.Mechanism[name] in supported), None)
    if mechanism is None:
        raise RootKeyUnavailable(
            f"token {token_label!r} supports none of {', '.join(mechanisms)}; "
            "Strongroom needs one of them to wrap its root key"
        )
    data_key = random_key(ROOT_KEY_SIZE * 8)
    record: dict[str, object] = {
        "format": _FORMAT,
        "version": 1,
        "token_label": token_label,
        "key_label": key_label,
        "mechanism": mechanism,
    }
    if mechanism == "AES_GCM":
        nonce = os.urandom(NONCE_SIZE)
        wrapped = wrapping_key.encrypt(
            data_key, mechanism=pkcs11.Mechanism.AES_GCM, mechanism_param=pkcs11.GCMParams(nonce, _GCM_AAD)
        )
        record["nonce"] = base64.b64encode(nonce).decode("ascii")
    else:
        transient = session.create_object(_transient_aes_template(data_key))
        try:
            wrapped = wrapping_key.wrap_key(transient, mechanism=pkcs11.Mechanism[mechanism])
        finally:
            transient.destroy()
    record["wrapped"] = base64.b64encode(wrapped).decode("ascii")
    return (json.dumps(record, indent=2) + "\n").encode("utf-8")


def _unwrap_data_key(session: Any, stored: bytes, path: pathlib.Path, token_label: str) -> bytes:
    import pkcs11

    try:
        record = json.loads(stored)
        if record["format"] != _FORMAT or record["version"] != 1 or record["mechanism"] not in MECHANISMS:
            raise ValueError("unknown format")
        key_label = str(record["key_label"])
        mechanism = record["mechanism"]
        wrapped = base64.b64decode(record["wrapped"], validate=True)
        nonce = base64.b64decode(record["nonce"], validate=True) if mechanism == "AES_GCM" else b""
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise RootKeyUnavailable(
            f"{path} is damaged or not a Strongroom PKCS#11 record; restore it from a backup"
        ) from None
    try:
        wrapping_key = _find_wrapping_key(session, key_label)
    except pkcs11.NoSuchKey:
        raise RootKeyUnavailable(
            f"token {token_label!r} has no AES key labelled {key_label!r}, which wrapped {path}; "
            "connect the token that holds it (or restore the token from its backup)"
        ) from None
    except pkcs11.MultipleObjectsReturned:
        raise RootKeyUnavailable(
            f"several AES keys on token {token_label!r} are labelled {key_label!r}"
        ) from None
    # What tokens answer to a wrapped key that fails its integrity check varies: SoftHSM2 says
    # CKR_GENERAL_ERROR for a bad GCM tag. The try block holds only the unwrap call.
    unwrap_failures = (
        pkcs11.GeneralError,
        pkcs11.EncryptedDataInvalid,
        pkcs11.EncryptedDataLenRange,
        pkcs11.WrappedKeyInvalid,
        pkcs11.WrappedKeyLenRange,
        pkcs11.DataInvalid,
        pkcs11.DataLenRange,
        pkcs11.FunctionFailed,
        pkcs11.MechanismParamInvalid,
    )
    try:
        if mechanism == "AES_GCM":
            data_key = wrapping_key.decrypt(
                wrapped, mechanism=pkcs11.Mechanism.AES_GCM, mechanism_param=pkcs11.GCMParams(nonce, _GCM_AAD)
            )
        else:
            transient = wrapping_key.unwrap_key(
                pkcs11.ObjectClass.SECRET_KEY,
                pkcs11.KeyType.AES,
                wrapped,
                mechanism=pkcs11.Mechanism[mechanism],
                template={pkcs11.Attribute.SENSITIVE: False, pkcs11.Attribute.EXTRACTABLE: True},
            )
            try:
                data_key = transient[pkcs11.Attribute.VALUE]
            finally:
                transient.destroy()
    except unwrap_failures:
        raise RootKeyUnavailable(
            f"the key labelled {key_label!r} on token {token_label!r} does not open {path}: "
            "the file or the key was replaced"
        ) from None
    if len(data_key) != ROOT_KEY_SIZE:
        raise RootKeyUnavailable(f"{path} does not hold a {ROOT_KEY_SIZE}-byte root key")
    return bytes(data_key)


def _transient_aes_template(value: bytes) -> dict[Any, object]:
    from pkcs11 import Attribute, KeyType, ObjectClass

    # A session object that exists just long enough to be wrapped, then is destroyed.
    return {
        Attribute.CLASS: ObjectClass.SECRET_KEY,
        Attribute.KEY_TYPE: KeyType.AES,
        Attribute.VALUE: value,
        Attribute.TOKEN: False,
        Attribute.SENSITIVE: False,
        Attribute.EXTRACTABLE: True,
    }
