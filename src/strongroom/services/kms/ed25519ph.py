"""Ed25519ph (RFC 8032 §5.1, HashEdDSA with SHA-512 and an empty context): KMS's ED25519_PH_SHA_512.

pyca/cryptography signs pure Ed25519 only, so the pre-hashed variant is computed here from the
RFC's definitions over the same key pair (the 32-byte seed of an Ed25519 private key):

    PH(M)  = SHA-512(M)
    dom2   = "SigEd25519 no Ed25519 collisions" || 0x01 || 0x00   (phflag 1, empty context)
    r      = SHA-512(dom2 || prefix || PH(M)) mod L
    R      = [r]B
    k      = SHA-512(dom2 || R || A || PH(M)) mod L
    S      = (r + k·s) mod L,   signature = R || S

Verification checks the cofactored group equation [8][S]B = [8]R + [8][k]A and rejects S ≥ L and
non-canonical point encodings. Scalar multiplication is a Montgomery ladder with a fixed number
of steps; Python integers are not constant-time, which is why the pure (non-prehashed) Ed25519
path stays in pyca/cryptography and only ED25519_PH_SHA_512 comes through here.
"""

from __future__ import annotations

import hashlib

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_DOM2 = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])

# Extended twisted-Edwards coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x·y = T/Z.
_Point = tuple[int, int, int, int]

_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_IDENTITY: _Point = (0, 1, 1, 0)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


_BASE_X = _recover_x(_BASE_Y, 0)
assert _BASE_X is not None
_BASE: _Point = (_BASE_X, _BASE_Y, 1, _BASE_X * _BASE_Y % _P)


def _add(p: _Point, q: _Point) -> _Point:
    # RFC 8032 §5.1.4: complete for every pair of points, doubling included.
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    ladder = [_IDENTITY, point]
    for i in reversed(range(256)):
        bit = (scalar >> i) & 1
        ladder[1 - bit] = _add(ladder[0], ladder[1])
        ladder[bit] = _add(ladder[bit], ladder[bit])
    return ladder[0]


def _equal(p: _Point, q: _Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _encode(point: _Point) -> bytes:
    z_inverse = pow(point[2], _P - 2, _P)
    x = point[0] * z_inverse % _P
    y = point[1] * z_inverse % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(encoded: bytes) -> _Point | None:
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    y = value & ((1 << 255) - 1)
    x = _recover_x(y, value >> 255)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def _hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand_seed(seed: bytes) -> tuple[int, bytes]:
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key A of a 32-byte Ed25519 seed (the same one pyca derives)."""
    scalar, _ = _expand_seed(seed)
    return _encode(_multiply(scalar, _BASE))


def sign(seed: bytes, message: bytes) -> bytes:
    """The Ed25519ph signature of `message` (pre-hashed here with SHA-512) under `seed`."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    scalar, prefix = _expand_seed(seed)
    encoded_a = _encode(_multiply(scalar, _BASE))
    prehash = hashlib.sha512(message).digest()
    r = _hash_int(_DOM2, prefix, prehash) % _L
    encoded_r = _encode(_multiply(r, _BASE))
    k = _hash_int(_DOM2, encoded_r, encoded_a, prehash) % _L
    s = (r + k * scalar) % _L
    return encoded_r + s.to_bytes(32, "little")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519ph signature of `message` under public key `public`."""
    if len(signature) != 64:
        return False
    a = _decode(public)
    r = _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    prehash = hashlib.sha512(message).digest()
    k = _hash_int(_DOM2, signature[:32], public, prehash) % _L
    left = _multiply(8 * s, _BASE)
    right = _add(_multiply(8, r), _multiply(8 * k, a))
    return _equal(left, right)
