"""GenerateMac and VerifyMac with HMAC KMS keys (RFC 2104; KeyUsage GENERATE_VERIFY_MAC).

Each HMAC key spec supports exactly one algorithm (HMAC_256 → HMAC_SHA_256, ...); another one is
an InvalidKeyUsageException. VerifyMac recomputes the tag and compares in constant time.
"""

from __future__ import annotations

import hmac

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.material import SPECS

_DIGESTS: dict[str, str] = {
    "HMAC_SHA_224": "sha224",
    "HMAC_SHA_256": "sha256",
    "HMAC_SHA_384": "sha384",
    "HMAC_SHA_512": "sha512",
}


def mac_algorithms(key_spec: str) -> tuple[str, ...]:
    info = SPECS.get(key_spec)
    return info.mac_algorithms if info is not None else ()


def check_mac_algorithm(key_spec: str, algorithm: str) -> None:
    if algorithm not in mac_algorithms(key_spec):
        raise ServiceError(
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec {key_spec}.",
        )


def generate_mac(key_spec: str, key: bytes, algorithm: str, message: bytes) -> bytes:
    check_mac_algorithm(key_spec, algorithm)
    return hmac.new(key, message, _DIGESTS[algorithm]).digest()


def verify_mac(key_spec: str, key: bytes, algorithm: str, message: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(generate_mac(key_spec, key, algorithm, message), mac)
