"""Data key pairs for GenerateDataKeyPair(WithoutPlaintext): key pairs KMS makes but does not keep.

The private key is PKCS#8 DER and the public key DER SubjectPublicKeyInfo, as AWS returns them.
The KMS rule that ties a key spec to one usage does not apply here: the pair is used outside KMS.
"""

from __future__ import annotations

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.asymmetric_material import (
    UNAVAILABLE_REASONS,
    can_generate,
    generate_private_key,
    public_key_der,
)

# The DataKeyPairSpec enum of the KMS model.
KEY_PAIR_SPECS = (
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
)


def check_key_pair_spec(key_pair_spec: str) -> None:
    """UnsupportedOperationException for a KeyPairSpec this server cannot make (SM2, ML_KEM_512)."""
    if key_pair_spec not in KEY_PAIR_SPECS or not can_generate(key_pair_spec):
        raise ServiceError(
            "UnsupportedOperationException",
            UNAVAILABLE_REASONS.get(key_pair_spec, f"KeyPairSpec {key_pair_spec} is not supported."),
        )


def generate_data_key_pair(key_pair_spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 DER private key, DER SPKI public key) of a fresh pair of `key_pair_spec`."""
    check_key_pair_spec(key_pair_spec)
    private_der = generate_private_key(key_pair_spec)
    return private_der, public_key_der(key_pair_spec, private_der)
