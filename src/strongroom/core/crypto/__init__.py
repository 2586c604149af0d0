"""Strongroom's crypto kernel: the root of trust and the AEAD recipes every service uses.

    root = open_root_of_trust("file", data_dir)          # once, at start-up
    blob = root.seal(secret, purpose="ssm/parameter", record=parameter_arn)
    secret = root.open(blob, purpose="ssm/parameter", record=parameter_arn)

Providers (`file`, `passphrase`, `pkcs11`) are documented in their modules; importing this
package loads none of them until `open_root_of_trust` asks for one.
"""

from strongroom.core.crypto.aead import (
    AesGcmKey,
    aes_gcm_decrypt,
    aes_gcm_encrypt,
    canonical_aad,
    hkdf_sha256,
    random_key,
)
from strongroom.core.crypto.errors import CryptoError, RootKeyUnavailable, SealError
from strongroom.core.crypto.root import RootOfTrust, UnsealedRoot, open_root_of_trust

__all__ = [
    "AesGcmKey",
    "CryptoError",
    "RootKeyUnavailable",
    "RootOfTrust",
    "SealError",
    "UnsealedRoot",
    "aes_gcm_decrypt",
    "aes_gcm_encrypt",
    "canonical_aad",
    "hkdf_sha256",
    "open_root_of_trust",
    "random_key",
]
