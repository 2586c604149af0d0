"""Ed25519ph (RFC 8032 §5.1, HashEdDSA with SHA-512 and an empty context): KMS's ED25519_PH_SHA_512.

pyca/cryptography signs pure Ed25519 only, so the pre-hashed variant comes from libsodium through
PyNaCl (pyca's binding; its multi-part `crypto_sign_ed25519ph_*` API is exactly Ed25519ph with an
empty context), over the same key pair: the 32-byte seed of an Ed25519 private key.

KMS takes ED25519_PH_SHA_512 with MessageType DIGEST only and "still performs the SHA-512 prehash
... the input is hashed twice: once by you and once by KMS" (botocore's model): the 64-byte
digest a caller sends is the message M here, and PH(M) = SHA-512(M) is computed by libsodium.
"""

from __future__ import annotations

from nacl import bindings
from nacl.exceptions import CryptoError

SEED_BYTES = 32


def _prehash_state(message: bytes) -> bindings.crypto_sign_ed25519ph_state:
    state = bindings.crypto_sign_ed25519ph_state()
    bindings.crypto_sign_ed25519ph_update(state, message)
    return state


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key A of a 32-byte Ed25519 seed (the same one pyca derives)."""
    if len(seed) != SEED_BYTES:
        raise ValueError("an Ed25519 seed is 32 bytes")
    public, _ = bindings.crypto_sign_seed_keypair(seed)
    return bytes(public)


def sign(seed: bytes, message: bytes) -> bytes:
    """The Ed25519ph signature of `message` (pre-hashed with SHA-512 by libsodium) under `seed`."""
    if len(seed) != SEED_BYTES:
        raise ValueError("an Ed25519 seed is 32 bytes")
    _, secret = bindings.crypto_sign_seed_keypair(seed)
    return bytes(bindings.crypto_sign_ed25519ph_final_create(_prehash_state(message), secret))


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519ph signature of `message` under public key `public`."""
    try:
        return bool(bindings.crypto_sign_ed25519ph_final_verify(_prehash_state(message), signature, public))
    except CryptoError:  # a forged signature, or a signature or key of the wrong length
        return False
