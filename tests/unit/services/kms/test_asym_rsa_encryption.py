"""Asymmetric Encrypt/Decrypt with RSA keys: Wycheproof OAEP vectors, AWS's size table, interop."""

from __future__ import annotations

import functools

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.aws.errors import AWSError
from strongroom.services.kms import rsa_encryption
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der

# Project Wycheproof, testvectors_v1/rsa_oaep_2048_sha256_mgf1sha256_test.json: the group's
# private key (privateKeyPkcs8) and tcId 3 and 4 (empty label, i.e. KMS RSAES_OAEP_SHA_256).
WYCHEPROOF_OAEP_SHA256_PKCS8 = bytes.fromhex(
    "308204bd020100300d06092a864886f70d0101010500048204a7308204a30201000282010100a2b451a07d0aa5f96e"
    "455671513550514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b46942"
    "9e89d6eac8845097b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313"
    "a03eff8f17e1a029397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d"
    "945a12be82de4d1ece6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f4869"
    "8bcbba1b4d9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f"
    "5b4c2e9cf7820283f742b9d502030100010282010024cdc62317f5d72a6f6ba6cc9632899b01d1ff28867d72f61688"
    "995bc855a4e420a8405250089bdb13cf8e09543827b748b9d27fbb2b4d9e20af8c5a6a862796d1a4cc18ad16ea678b"
    "c1bd4a83bbbe9c5e57453b5ce7388e41a3ba4ce2b77b4438a229e954f720dae0353dc088ac8a76b26dc276f8e1b785"
    "1ddd6398ad16ff2e78195123b9b036e945c38c9d12434f6df76fe22359eb3e1ac9c011678fc926fad3ae475a4fffff"
    "55feb2d147e9c894f4c0e29a599e762462482d968bf42780945fc0d2c31c573c4431b8f4fe8b8c67bec815abd44f7a"
    "86edca1c2308737358d2c2ae5e2e0e2dadf730980262377e58b13b7d9992060a0bc870ccfdb4a9319ee102818100dc"
    "431050f782e894fb5248247d98cb7d58b8d1e24f3b55d041c56e4de086b0d5bb028bda42eeb5d234d5681e5809d415"
    "e6a289ad4cfbf78f978f6c35814f50eebff1c5b80a69f788e81e6bab5ddaa78369d659d143ec6f17e79813a575cfad"
    "9c569156b90113e2e9110ad9e7b48a1c9348a6e653321191290ea36cfb3a5b18f102818100bd1a81e7977f98981222"
    "73ae3222b598ea5fb19eb4eabc38308a5e32196603b2e500ffb79f5b886816611debc472fac45544070beb057c9413"
    "78a6868af3b7a03d3f9880ec47d5e089b94fbde542aba9ae8d72c57088d7abf5b131f39098f7bc160f90536abc9492"
    "fd4e06f3ed7299d4b97bb03677207d95669f140cfbc20f2502818100a94b528b28f291599121d91952ffd1c7f21d7c"
    "1479d99d478885fb161870ee1218bf08472612dbe5497e8d9c650688e09c786961ae3e2c354dc48ae34514759c4c23"
    "c4588488961dc06b414e61c0e1e7fbbd2923d31532fe289f96da220711e58c14019808e00414276933bb07e4efb9b4"
    "a9b37656917205209f33f09515d7c10281803af0e72a933aef09ff2503df78bafed531c02ff1a2bc437c540cdcbd4a"
    "d35435cf511763596543480629b114ca7f780ff7efa32ea0cb6e000d6d9ea1f2ef71fd9cf9948422a165557e37e755"
    "edfe70d90b920502eb478bc98a63f788ce3a0f856d6ede7251a383bfa8fa480a81a925af7b3cc538c4bab8c9f7597f"
    "fb68011d8d0281802640fbfbcfefb163ee7a87b6483a66ee41f956d90fa8a7939bfc042ee0924b1b7993d0445f758d"
    "51933e85179c0320b0c968b48a91c38b5be923e1097c0c562f88d42294b6a2759bafa5428a74f1270874e45f6fcc60"
    "f21602de5eccd143cf31241f5921b5ad3983fb54ef17be3b285367e50c999c67247b552fe4bfce945f7b"
)
WYCHEPROOF_OAEP_SHA256_CASES = [
    (
        3,
        "54657374",
        "5eab3f0741e63986ed647d53e1cd71df041986900803d0f99c68355d249a15a47dc5b4f70a191477654299e5a2731f"
        "3b4eec76dea18262fc696ac794e5f66cbfcddac4472c578e246c26707598055584540b839836b1404c5611ae558a98"
        "4cee8fd036cea924e0be2474a940f61e0acc14fcae95ebdc59942a9ce9af9a9c81999f7f6815f057ffdc2533cb15d6"
        "391d1e2d95f16f9c04209c889a4c359c7d2926d28a66e2b030a416b928d2825627998e5191fb4983a6e65024262d94"
        "fc09187a2d78162122433251d1bfcc8e507d06eba2d229c10031261da32ab8ccd15f1c5f9fbf07ed158483d736a110"
        "af4b44d6a4da60d6cb519b4454213cf9f0dc560f2b",
    ),
    (
        4,
        "313233343030",
        "0da290b0bf71a1141b2adc62b5b42b07fc52520cb05d1f39ccca7b7c22d379a6c2f2d93143d057050140527a1e5638"
        "243938b531ec3de7014b0151301e49b9fa433482a02abdfd94193dc9c70157e557776a69ded01ecbeac405133595c6"
        "1165a428b6284729a4746b47d2bbaca9d7432c3b5693591cfee488eb3c68ddb6cde0dd61cfc6952423f994abecee34"
        "f5683732b29934a2c498ad48cdd30c149177189f48eefd9cc7232df18be11ff5f7e3af7319e3115997c599e2d8f7f4"
        "f663dcc40032d403436d3058a5ea66473660f0e195281ec6eba997d2a951ca6ca5f3c112715c89da1d3dfb20a21940"
        "594ed10ade90ed7452b753757d7241cb8a803c373a",
    ),
]

# AWS's table of the largest plaintext per key spec and OAEP hash.
AWS_MAX_PLAINTEXT = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}
OAEP_HASHES = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}


@functools.cache
def private_key(key_spec: str) -> bytes:
    return generate_private_key(key_spec)


def _pyca_encrypt(key_spec: str, algorithm: str, plaintext: bytes) -> bytes:
    public = serialization.load_der_public_key(public_key_der(key_spec, private_key(key_spec)))
    assert isinstance(public, rsa.RSAPublicKey)
    hash_type = OAEP_HASHES[algorithm]()
    return public.encrypt(plaintext, padding.OAEP(padding.MGF1(hash_type), hash_type, None))


@pytest.mark.parametrize(("tc_id", "message", "ciphertext"), WYCHEPROOF_OAEP_SHA256_CASES)
def test_wycheproof_oaep_sha256_decrypts(tc_id: int, message: str, ciphertext: str) -> None:
    plaintext = rsa_encryption.decrypt(
        "RSA_2048", WYCHEPROOF_OAEP_SHA256_PKCS8, "RSAES_OAEP_SHA_256", bytes.fromhex(ciphertext)
    )
    assert plaintext == bytes.fromhex(message), tc_id


def test_wycheproof_ciphertext_under_the_other_hash_is_invalid() -> None:
    with pytest.raises(AWSError) as exc:
        rsa_encryption.decrypt(
            "RSA_2048",
            WYCHEPROOF_OAEP_SHA256_PKCS8,
            "RSAES_OAEP_SHA_1",
            bytes.fromhex(WYCHEPROOF_OAEP_SHA256_CASES[0][2]),
        )
    assert exc.value.code == "InvalidCiphertextException"


@pytest.mark.parametrize(("key_spec", "algorithm"), sorted(AWS_MAX_PLAINTEXT))
def test_max_plaintext_matches_aws_table(key_spec: str, algorithm: str) -> None:
    assert rsa_encryption.max_plaintext_size(key_spec, algorithm) == AWS_MAX_PLAINTEXT[(key_spec, algorithm)]


@pytest.mark.parametrize(("key_spec", "algorithm"), sorted(AWS_MAX_PLAINTEXT))
def test_pyca_encrypts_with_the_public_key_and_kms_decrypts(key_spec: str, algorithm: str) -> None:
    limit = AWS_MAX_PLAINTEXT[(key_spec, algorithm)]
    plaintext = bytes(range(256))[:limit] if limit <= 256 else (bytes(range(256)) * 2)[:limit]
    ciphertext = _pyca_encrypt(key_spec, algorithm, plaintext)
    assert rsa_encryption.decrypt(key_spec, private_key(key_spec), algorithm, ciphertext) == plaintext


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_kms_encrypts_and_pyca_decrypts(algorithm: str) -> None:
    der = private_key("RSA_2048")
    ciphertext = rsa_encryption.encrypt("RSA_2048", der, algorithm, b"secret")
    assert len(ciphertext) == 256
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    hash_type = OAEP_HASHES[algorithm]()
    assert key.decrypt(ciphertext, padding.OAEP(padding.MGF1(hash_type), hash_type, None)) == b"secret"
    # OAEP is randomized: the same plaintext never encrypts alike.
    assert rsa_encryption.encrypt("RSA_2048", der, algorithm, b"secret") != ciphertext


def test_plaintext_one_byte_over_the_limit_is_a_validation_error() -> None:
    with pytest.raises(AWSError) as exc:
        rsa_encryption.encrypt("RSA_2048", private_key("RSA_2048"), "RSAES_OAEP_SHA_256", b"x" * 191)
    assert exc.value.code == "ValidationException"
    rsa_encryption.encrypt("RSA_2048", private_key("RSA_2048"), "RSAES_OAEP_SHA_256", b"x" * 190)


@pytest.mark.parametrize("algorithm", [None, "SYMMETRIC_DEFAULT", "SM2PKE"])
def test_algorithm_rsa_keys_lack_is_invalid_key_usage(algorithm: str | None) -> None:
    with pytest.raises(AWSError) as exc:
        rsa_encryption.encrypt("RSA_2048", private_key("RSA_2048"), algorithm, b"x")
    assert exc.value.code == "InvalidKeyUsageException"
    with pytest.raises(AWSError) as exc:
        rsa_encryption.decrypt("RSA_2048", private_key("RSA_2048"), algorithm, b"x" * 256)
    assert exc.value.code == "InvalidKeyUsageException"


def test_non_rsa_key_spec_cannot_encrypt() -> None:
    with pytest.raises(AWSError) as exc:
        rsa_encryption.check_encryption_algorithm("ECC_NIST_P256", "RSAES_OAEP_SHA_256")
    assert exc.value.code == "InvalidKeyUsageException"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1],
        lambda c: c + b"\x00",
        lambda c: bytes([c[0] ^ 0x01]) + c[1:],
        lambda c: c[:100] + bytes([c[100] ^ 0x80]) + c[101:],
        lambda c: b"\x00" * len(c),
    ],
)
def test_altered_ciphertext_is_invalid_ciphertext(mangle: object) -> None:
    der = private_key("RSA_2048")
    ciphertext = rsa_encryption.encrypt("RSA_2048", der, "RSAES_OAEP_SHA_256", b"secret")
    assert callable(mangle)
    with pytest.raises(AWSError) as exc:
        rsa_encryption.decrypt("RSA_2048", der, "RSAES_OAEP_SHA_256", mangle(ciphertext))
    assert exc.value.code == "InvalidCiphertextException"
    assert "secret" not in exc.value.message


def test_ciphertext_for_another_key_is_invalid_ciphertext() -> None:
    ciphertext = rsa_encryption.encrypt("RSA_2048", private_key("RSA_2048"), "RSAES_OAEP_SHA_256", b"m")
    with pytest.raises(AWSError) as exc:
        rsa_encryption.decrypt("RSA_2048", generate_private_key("RSA_2048"), "RSAES_OAEP_SHA_256", ciphertext)
    assert exc.value.code == "InvalidCiphertextException"
