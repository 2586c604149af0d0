"""Sign, Verify and GetPublicKey end to end: boto3 against the server, signatures checked locally."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa

from strongroom.services.kms import ed25519ph
from tests.service.kms.asym_support import ASYM_ACCOUNT, ASYM_OTHER_ACCOUNT, code_of, create_key, message_of
from tests.service.kms.conftest import _user_factory, policy_document

SIGNING = {
    "RSA_2048": [
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
    ],
    "RSA_3072": ["RSASSA_PSS_SHA_384", "RSASSA_PKCS1_V1_5_SHA_256"],
    "RSA_4096": ["RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_512"],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512"],
    "ML_DSA_44": ["ML_DSA_SHAKE_256"],
    "ML_DSA_65": ["ML_DSA_SHAKE_256"],
    "ML_DSA_87": ["ML_DSA_SHAKE_256"],
}
DESCRIBED = {
    "RSA_2048": SIGNING["RSA_2048"],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    "ML_DSA_65": ["ML_DSA_SHAKE_256"],
}
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


@pytest.fixture(scope="module")
def signing_keys(asym_kms: Any) -> dict[str, dict[str, Any]]:
    return {spec: create_key(asym_kms, spec, "SIGN_VERIFY") for spec in SIGNING}


def verify_locally(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    """Verify with pyca and nothing but the public key GetPublicKey returned; raises if invalid."""
    public = serialization.load_der_public_key(public_der)
    if isinstance(public, rsa.RSAPublicKey):
        hash_type = HASHES[algorithm[-7:]]()
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(hash_type), hash_type.digest_size)
            if algorithm.startswith("RSASSA_PSS")
            else padding.PKCS1v15()
        )
        public.verify(signature, message, pad, hash_type)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, message, ec.ECDSA(HASHES[algorithm[-7:]]()))
    elif isinstance(
        public,
        ed25519.Ed25519PublicKey | mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey,
    ):
        public.verify(signature, message)
    else:
        raise AssertionError(f"unexpected public key {public!r}")


@pytest.mark.parametrize(("key_spec", "algorithm"), [(s, a) for s, algs in SIGNING.items() for a in algs])
def test_sign_verifies_locally_with_get_public_key(
    asym_kms: Any, signing_keys: dict[str, dict[str, Any]], key_spec: str, algorithm: str
) -> None:
    key = signing_keys[key_spec]
    message = f"signed by {key_spec} with {algorithm}".encode()
    signed = asym_kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
    assert signed["KeyId"] == key["Arn"]
    assert signed["SigningAlgorithm"] == algorithm
    public = asym_kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    verify_locally(public, algorithm, message, signed["Signature"])

    verified = asym_kms.verify(
        KeyId=key["Arn"], Message=message, Signature=signed["Signature"], SigningAlgorithm=algorithm
    )
    assert verified["SignatureValid"] is True
    assert verified["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as err:
        asym_kms.verify(
            KeyId=key["KeyId"],
            Message=message + b"!",
            Signature=signed["Signature"],
            SigningAlgorithm=algorithm,
        )
    assert code_of(err) == "KMSInvalidSignatureException"


@pytest.mark.parametrize("key_spec", sorted(DESCRIBED))
def test_describe_and_get_public_key_report_the_signing_algorithms(
    asym_kms: Any, signing_keys: dict[str, dict[str, Any]], key_spec: str
) -> None:
    key = signing_keys[key_spec]
    assert key["KeySpec"] == key_spec and key["KeyUsage"] == "SIGN_VERIFY"
    assert key["SigningAlgorithms"] == DESCRIBED[key_spec]
    assert "EncryptionAlgorithms" not in key
    public = asym_kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeyId"] == key["Arn"]
    assert public["KeySpec"] == public["CustomerMasterKeySpec"] == key_spec
    assert public["KeyUsage"] == "SIGN_VERIFY"
    assert public["SigningAlgorithms"] == DESCRIBED[key_spec]
    assert "EncryptionAlgorithms" not in public and "KeyAgreementAlgorithms" not in public
    serialization.load_der_public_key(public["PublicKey"])  # DER SubjectPublicKeyInfo


def test_digest_message_type_signs_the_digest(asym_kms: Any, signing_keys: dict[str, dict[str, Any]]) -> None:
    key = signing_keys["ECC_NIST_P256"]
    message = b"a long document" * 1000
    digest = hashlib.sha256(message).digest()
    signed = asym_kms.sign(
        KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )
    public = asym_kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    verify_locally(public, "ECDSA_SHA_256", message, signed["Signature"])
    # Verify accepts the same signature as a DIGEST, and refuses it as a RAW message of the digest.
    assert asym_kms.verify(
        KeyId=key["KeyId"],
        Message=digest,
        MessageType="DIGEST",
        Signature=signed["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
    )["SignatureValid"]
    with pytest.raises(ClientError) as err:
        asym_kms.verify(
            KeyId=key["KeyId"],
            Message=digest,
            Signature=signed["Signature"],
            SigningAlgorithm="ECDSA_SHA_256",
        )
    assert code_of(err) == "KMSInvalidSignatureException"


def test_rsa_digest_message_type(asym_kms: Any, signing_keys: dict[str, dict[str, Any]]) -> None:
    key = signing_keys["RSA_2048"]
    message = b"rsa digest"
    digest = hashlib.sha384(message).digest()
    signed = asym_kms.sign(
        KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_384"
    )
    public = asym_kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    verify_locally(public, "RSASSA_PSS_SHA_384", message, signed["Signature"])


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "length"),
    [("ECC_NIST_P256", "ECDSA_SHA_256", 20), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", 32)],
)
def test_digest_of_the_wrong_length_is_refused(
    asym_kms: Any, signing_keys: dict[str, dict[str, Any]], key_spec: str, algorithm: str, length: int
) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.sign(
            KeyId=signing_keys[key_spec]["KeyId"],
            Message=b"\x01" * length,
            MessageType="DIGEST",
            SigningAlgorithm=algorithm,
        )
    assert code_of(err) == "ValidationException"
    assert message_of(err) == f"Digest is invalid length for algorithm {algorithm}."


def test_ed25519_ph_takes_a_sha512_digest(asym_kms: Any, signing_keys: dict[str, dict[str, Any]]) -> None:
    key = signing_keys["ECC_NIST_EDWARDS25519"]
    digest = hashlib.sha512(b"edwards").digest()
    signed = asym_kms.sign(
        KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512"
    )
    public = serialization.load_der_public_key(asym_kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert ed25519ph.verify(public.public_bytes_raw(), digest, signed["Signature"])
    assert asym_kms.verify(
        KeyId=key["KeyId"],
        Message=digest,
        MessageType="DIGEST",
        Signature=signed["Signature"],
        SigningAlgorithm="ED25519_PH_SHA_512",
    )["SignatureValid"]
    for message_type, algorithm in (("RAW", "ED25519_PH_SHA_512"), ("DIGEST", "ED25519_SHA_512")):
        with pytest.raises(ClientError) as err:
            asym_kms.sign(
                KeyId=key["KeyId"], Message=digest, MessageType=message_type, SigningAlgorithm=algorithm
            )
        assert code_of(err) == "ValidationException"


def test_ml_dsa_external_mu(asym_kms: Any, signing_keys: dict[str, dict[str, Any]]) -> None:
    key = signing_keys["ML_DSA_65"]
    public = serialization.load_der_public_key(asym_kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, mldsa.MLDSA65PublicKey)
    message = b"the message never leaves the client"
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(message)
    mu = hasher.finalize()
    signed = asym_kms.sign(
        KeyId=key["KeyId"], Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256"
    )
    public.verify(signed["Signature"], message)
    with pytest.raises(ClientError) as err:
        asym_kms.sign(
            KeyId=key["KeyId"],
            Message=mu[:32],
            MessageType="EXTERNAL_MU",
            SigningAlgorithm="ML_DSA_SHAKE_256",
        )
    assert code_of(err) == "ValidationException"


def test_raw_message_over_4096_bytes_is_refused(
    asym_kms: Any, signing_keys: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.sign(
            KeyId=signing_keys["ECC_NIST_P256"]["KeyId"],
            Message=b"x" * 4097,
            SigningAlgorithm="ECDSA_SHA_256",
        )
    assert code_of(err) == "ValidationException"


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [("RSA_2048", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_256"), ("ML_DSA_44", "ED25519_SHA_512")],
)
def test_algorithm_the_key_lacks_is_invalid_key_usage(
    asym_kms: Any, signing_keys: dict[str, dict[str, Any]], key_spec: str, algorithm: str
) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.sign(KeyId=signing_keys[key_spec]["KeyId"], Message=b"m", SigningAlgorithm=algorithm)
    assert code_of(err) == "InvalidKeyUsageException"
    assert message_of(err) == f"Algorithm {algorithm} is incompatible with key spec {key_spec}."


def test_keys_of_another_usage_cannot_sign(asym_kms: Any) -> None:
    symmetric = asym_kms.create_key()["KeyMetadata"]
    rsa_encryption = create_key(asym_kms, "RSA_2048", "ENCRYPT_DECRYPT")
    for key in (symmetric, rsa_encryption):
        with pytest.raises(ClientError) as err:
            asym_kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
        assert code_of(err) == "InvalidKeyUsageException"
        assert message_of(err) == f"{key['Arn']} key usage is {key['KeyUsage']} which is not valid for Sign."
        with pytest.raises(ClientError) as err:
            asym_kms.verify(
                KeyId=key["KeyId"], Message=b"m", Signature=b"s", SigningAlgorithm="RSASSA_PSS_SHA_256"
            )
        assert code_of(err) == "InvalidKeyUsageException"


def test_get_public_key_of_symmetric_or_hmac_key_is_unsupported(asym_kms: Any) -> None:
    for key in (
        asym_kms.create_key()["KeyMetadata"],
        create_key(asym_kms, "HMAC_256", "GENERATE_VERIFY_MAC"),
    ):
        with pytest.raises(ClientError) as err:
            asym_kms.get_public_key(KeyId=key["KeyId"])
        assert code_of(err) == "UnsupportedOperationException"


def test_disabled_key_refuses_sign_verify_and_get_public_key(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "SIGN_VERIFY")
    signature = asym_kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    asym_kms.disable_key(KeyId=key["KeyId"])
    calls = [
        lambda: asym_kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
        lambda: asym_kms.verify(
            KeyId=key["KeyId"], Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
        ),
        lambda: asym_kms.get_public_key(KeyId=key["KeyId"]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        assert code_of(err) == "DisabledException"
        assert message_of(err) == f"{key['Arn']} is disabled."
    asym_kms.enable_key(KeyId=key["KeyId"])
    assert asym_kms.verify(
        KeyId=key["KeyId"], Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )["SignatureValid"]


def test_key_pending_deletion_is_invalid_state(asym_kms: Any) -> None:
    key = create_key(asym_kms, "ECC_NIST_P256", "SIGN_VERIFY")
    asym_kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as err:
        asym_kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(err) == "KMSInvalidStateException"


def test_dry_run(asym_kms: Any, signing_keys: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.sign(
            KeyId=signing_keys["ECC_NIST_P256"]["KeyId"],
            Message=b"m",
            SigningAlgorithm="ECDSA_SHA_256",
            DryRun=True,
        )
    assert code_of(err) == "DryRunOperationException"


def test_signing_algorithm_condition_key(
    asym_kms: Any, make_client: Any, signing_keys: dict[str, dict[str, Any]]
) -> None:
    iam = make_client("iam", access_key=ASYM_ACCOUNT)
    user = _user_factory(iam, make_client)(
        {
            "Effect": "Allow",
            "Action": ["kms:Sign", "kms:Verify"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:SigningAlgorithm": "RSASSA_PSS_SHA_256"}},
        }
    )
    key_id = signing_keys["RSA_2048"]["Arn"]
    signed = user["kms"].sign(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert signed["SigningAlgorithm"] == "RSASSA_PSS_SHA_256"
    with pytest.raises(ClientError) as err:
        user["kms"].sign(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    assert code_of(err) == "AccessDeniedException"
    with pytest.raises(ClientError) as err:
        user["kms"].get_public_key(KeyId=key_id)
    assert code_of(err) == "AccessDeniedException"


def test_cross_account_use_needs_the_key_policy(asym_kms: Any, make_client: Any) -> None:
    other = make_client("kms", access_key=ASYM_OTHER_ACCOUNT)
    closed = create_key(asym_kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(ClientError) as err:
        other.get_public_key(KeyId=closed["Arn"])
    assert code_of(err) == "AccessDeniedException"
    shared = create_key(
        asym_kms,
        "ECC_NIST_P256",
        "SIGN_VERIFY",
        Policy=policy_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ASYM_ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ASYM_OTHER_ACCOUNT}:root"},
                "Action": ["kms:GetPublicKey", "kms:Verify"],
                "Resource": "*",
            },
        ),
    )
    signature = asym_kms.sign(KeyId=shared["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")[
        "Signature"
    ]
    assert other.get_public_key(KeyId=shared["Arn"])["KeyId"] == shared["Arn"]
    assert other.verify(
        KeyId=shared["Arn"], Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )["SignatureValid"]
    with pytest.raises(ClientError) as err:
        other.sign(KeyId=shared["Arn"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(err) == "AccessDeniedException"
