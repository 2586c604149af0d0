"""KMS's request quotas and price categories: which quota and which price a request counts against.

Default rates (requests per second, per account and Region) are AWS's, from "Request quotas" in
the AWS KMS Developer Guide (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html):

- Cryptographic operations (symmetric): Decrypt, Encrypt, GenerateDataKey(WithoutPlaintext),
  GenerateMac, GenerateRandom, ReEncrypt, VerifyMac (and GenerateDataKeyPair*, whose KMS key is
  symmetric) — 10,000 shared; 20,000 in us-east-2, ap-southeast-1, ap-southeast-2,
  ap-northeast-1, eu-central-1, eu-west-2; 100,000 in us-east-1, us-west-2, eu-west-1.
- Cryptographic operations (RSA): 500 shared; (ECC): 300 shared.
- Every other operation has its own quota (CreateKey 5, DescribeKey 2,000, …; `OPERATION_RATES`).

Strongroom's own choices where AWS publishes nothing it can apply: ML-DSA and ML-KEM keys share a
300/s quota (`kms:CryptographicOperationsPostQuantum`), like ECC.

Price categories follow https://aws.amazon.com/kms/pricing/ (`pricing.json`): requests with
symmetric and HMAC keys and every management request are `symmetric`; with RSA_2048 keys
`rsa_2048`; with any other asymmetric key `asymmetric`; GenerateDataKeyPair* by the pair's spec
(`rsa_data_key_pair`, `ecc_data_key_pair`); requests with AWS owned keys are free (None).
"""

from __future__ import annotations

SYMMETRIC = "kms:CryptographicOperationsSymmetric"
RSA = "kms:CryptographicOperationsRsa"
ECC = "kms:CryptographicOperationsEcc"
POST_QUANTUM = "kms:CryptographicOperationsPostQuantum"

_SYMMETRIC_BY_REGION = {
    **dict.fromkeys(("us-east-1", "us-west-2", "eu-west-1"), 100_000.0),
    **dict.fromkeys(
        ("us-east-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-central-1", "eu-west-2"),
        20_000.0,
    ),
}
_SHARED_RATES = {RSA: 500.0, ECC: 300.0, POST_QUANTUM: 300.0}

CRYPTOGRAPHIC_OPERATIONS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "Sign",
        "Verify",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
    }
)

OPERATION_RATES: dict[str, float] = {
    "CancelKeyDeletion": 5,
    "ConnectCustomKeyStore": 5,
    "CreateAlias": 5,
    "CreateCustomKeyStore": 5,
    "CreateGrant": 50,
    "CreateKey": 5,
    "DeleteAlias": 5,
    "DeleteCustomKeyStore": 5,
    "DeleteImportedKeyMaterial": 5,
    "DescribeCustomKeyStores": 5,
    "DescribeKey": 2000,
    "DisableKey": 5,
    "DisableKeyRotation": 5,
    "DisconnectCustomKeyStore": 5,
    "EnableKey": 5,
    "EnableKeyRotation": 5,
    "GetKeyPolicy": 1000,
    "GetKeyRotationStatus": 1000,
    "GetParametersForImport": 5,
    "GetPublicKey": 2000,
    "ImportKeyMaterial": 5,
    "ListAliases": 500,
    "ListGrants": 100,
    "ListKeyPolicies": 100,
    "ListKeyRotations": 100,
    "ListKeys": 500,
    "ListResourceTags": 2000,
    "ListRetirableGrants": 100,
    "PutKeyPolicy": 5,
    "ReplicateKey": 5,
    "RetireGrant": 30,
    "RevokeGrant": 30,
    "RotateKeyOnDemand": 5,
    "ScheduleKeyDeletion": 5,
    "TagResource": 10,
    "UntagResource": 10,
    "UpdateAlias": 5,
    "UpdateCustomKeyStore": 5,
    "UpdateKeyDescription": 5,
    "UpdatePrimaryRegion": 5,
}


def default_rate(name: str, region: str) -> float | None:
    """AWS's default rate of a KMS quota in a Region (None: not a KMS quota, never throttled)."""
    if name == SYMMETRIC:
        return _SYMMETRIC_BY_REGION.get(region, 10_000.0)
    if name in _SHARED_RATES:
        return _SHARED_RATES[name]
    if name.startswith("kms:"):
        return OPERATION_RATES.get(name[4:])
    return None


def key_family(key_spec: str | None) -> str:
    """symmetric (also HMAC and unknown keys), rsa, ecc or post_quantum."""
    if key_spec is None or key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC_"):
        return "symmetric"
    if key_spec.startswith("RSA_"):
        return "rsa"
    if key_spec.startswith("ML_"):
        return "post_quantum"
    return "ecc"  # ECC_NIST_*, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, SM2


_FAMILY_QUOTA = {"symmetric": SYMMETRIC, "rsa": RSA, "ecc": ECC, "post_quantum": POST_QUANTUM}


def quota_name(operation: str, key_spec: str | None) -> str:
    """The quota a request counts against (`key_spec`: the spec of the key it uses, if any)."""
    if operation == "GenerateRandom":
        return SYMMETRIC
    if operation in CRYPTOGRAPHIC_OPERATIONS:
        return _FAMILY_QUOTA[key_family(key_spec)]
    return f"kms:{operation}"


def price_category(
    operation: str, key_spec: str | None, *, aws_owned: bool = False, key_pair_spec: str | None = None
) -> str | None:
    """The pricing.json request category of a request; None when AWS does not charge it."""
    if aws_owned:
        return None
    if operation in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext") and key_pair_spec:
        return "rsa_data_key_pair" if key_pair_spec.startswith("RSA_") else "ecc_data_key_pair"
    family = (
        key_family(key_spec) if operation in CRYPTOGRAPHIC_OPERATIONS or operation == "GetPublicKey" else None
    )
    if family in (None, "symmetric"):
        return "symmetric"
    return "rsa_2048" if key_spec == "RSA_2048" else "asymmetric"
