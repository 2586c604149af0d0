"""DeriveSharedSecret: ECDH between a KMS key pair (KeyUsage KEY_AGREEMENT) and a peer's public key.

AWS uses the Elliptic Curve Cryptography Cofactor Diffie-Hellman primitive (NIST SP 800-56A
§5.7.1.2) and returns the raw shared secret — the x-coordinate of the shared point, as many bytes
as the field (32 for P-256, 48 for P-384, 66 for P-521); the caller runs its own KDF. The NIST
curves have cofactor 1, so the cofactor primitive equals plain ECDH. The peer's key is a DER
SubjectPublicKeyInfo on the same curve; anything else is a ValidationException.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms.asymmetric_material import load_private_key
from strongroom.services.kms.material import SPECS


def key_agreement_algorithms(key_spec: str) -> tuple[str, ...]:
    info = SPECS.get(key_spec)
    return info.key_agreement_algorithms if info is not None else ()


def derive_shared_secret(key_spec: str, private_der: bytes, algorithm: str, peer_public_der: bytes) -> bytes:
    """The raw ECDH shared secret of the key pair in `private_der` and the peer's public key."""
    if algorithm not in key_agreement_algorithms(key_spec):
        raise ServiceError(
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec {key_spec}.",
        )
    key = load_private_key(key_spec, private_der)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ServiceError("InvalidKeyUsageException", f"Key spec {key_spec} cannot derive a shared secret.")
    try:
        peer = serialization.load_der_public_key(peer_public_der)
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationError("PublicKey is not a valid DER-encoded SubjectPublicKeyInfo.") from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != key.curve.name:
        raise ValidationError(
            f"PublicKey must be an elliptic curve public key on the same curve as {key_spec}."
        )
    return key.exchange(ec.ECDH(), peer)
