"""Imported key material end to end: wrap as AWS documents it, import, expire, delete, reimport."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tests.service.kms.conftest import error_code, error_message
from tests.support.server import ServerProcess

ACCOUNT = "760000000002"
DAY = 86_400
_HASH = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


@pytest.fixture(scope="module")
def kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ACCOUNT)


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What an importer does with GetParametersForImport's public key (AWS's documented steps)."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    digest = _HASH["SHA_256" if algorithm.endswith("SHA_256") else "SHA_1"]()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep) + keywrap.aes_key_wrap_with_padding(aes_key, material)


def import_material(
    kms: Any,
    key_id: str,
    material: bytes,
    *,
    algorithm: str = "RSAES_OAEP_SHA_256",
    spec: str = "RSA_2048",
    **extra: Any,
) -> dict[str, Any]:
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    result: dict[str, Any] = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        **extra,
    )
    return result


def state(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


@pytest.fixture
def external(kms: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]
    return metadata


def test_import_symmetric_material_then_delete_and_reimport(kms: Any, external: dict[str, Any]) -> None:
    key_id = external["KeyId"]
    assert external["KeyState"] == "PendingImport" and external["Origin"] == "EXTERNAL"
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_code(err) == "KMSInvalidStateException"

    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    assert params["KeyId"] == external["Arn"]
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert timedelta(hours=23, minutes=55) < params["ParametersValidTo"] - external["CreationDate"]

    material = os.urandom(32)
    imported = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert imported["KeyId"] == external["Arn"] and len(imported["KeyMaterialId"]) == 64
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled" and metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    assert state(kms, key_id) == "PendingImport"
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "KMSInvalidStateException"

    with pytest.raises(ClientError) as err:
        import_material(kms, key_id, os.urandom(32))
    assert error_code(err) == "IncorrectKeyMaterialException"
    assert state(kms, key_id) == "PendingImport"

    again = import_material(kms, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_1", spec="RSA_3072")
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert state(kms, key_id) == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


@pytest.mark.parametrize(
    ("algorithm", "spec"),
    [
        ("RSAES_OAEP_SHA_1", "RSA_2048"),
        ("RSAES_OAEP_SHA_256", "RSA_3072"),
        ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
    ],
)
def test_every_wrapping_algorithm_and_key_spec(
    kms: Any, external: dict[str, Any], algorithm: str, spec: str
) -> None:
    import_material(kms, external["KeyId"], os.urandom(32), algorithm=algorithm, spec=spec)
    assert state(kms, external["KeyId"]) == "Enabled"


@pytest.mark.parametrize(
    ("algorithm", "spec", "code"),
    [
        ("SM2PKE", "SM2", "UnsupportedOperationException"),
        ("RSAES_OAEP_SHA_256", "SM2", "UnsupportedOperationException"),
        ("RSAES_PKCS1_V1_5", "RSA_2048", "ValidationException"),
    ],
)
def test_wrapping_choices_aws_refuses(
    kms: Any, external: dict[str, Any], algorithm: str, spec: str, code: str
) -> None:
    with pytest.raises(ClientError) as err:
        kms.get_parameters_for_import(
            KeyId=external["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec
        )
    assert error_code(err) == code


def test_keys_of_kms_origin_take_no_import(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as err:
        kms.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
    assert error_code(err) == "UnsupportedOperationException"


def test_bad_tokens_and_material_change_nothing(
    kms: Any, external: dict[str, Any], server: ServerProcess
) -> None:
    key_id = external["KeyId"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    common = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}

    with pytest.raises(ClientError) as err:  # a token of another key
        kms.import_key_material(
            KeyId=other["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **common
        )
    assert error_code(err) == "InvalidImportTokenException"
    token = bytearray(params["ImportToken"])
    token[len(token) // 2] ^= 1
    with pytest.raises(ClientError) as err:
        kms.import_key_material(
            KeyId=key_id, ImportToken=bytes(token), EncryptedKeyMaterial=wrapped, **common
        )
    assert error_code(err) == "InvalidImportTokenException"
    with pytest.raises(ClientError) as err:  # material wrapped under another public key
        kms.import_key_material(
            KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped[::-1], **common
        )
    assert error_code(err) == "InvalidCiphertextException" and error_message(err) == ""
    short = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(16))
    with pytest.raises(ClientError) as err:
        kms.import_key_material(
            KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=short, **common
        )
    assert error_code(err) == "ValidationException"
    assert state(kms, key_id) == "PendingImport"

    server.advance_clock(DAY + 60)
    with pytest.raises(ClientError) as err:
        kms.import_key_material(
            KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **common
        )
    assert error_code(err) == "ExpiredImportTokenException"
    assert state(kms, key_id) == "PendingImport"


def test_expiration_model_rules(kms: Any, external: dict[str, Any]) -> None:
    params = kms.get_parameters_for_import(
        KeyId=external["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    now = params["ParametersValidTo"] - timedelta(hours=24)
    for extra in (
        {},  # KEY_MATERIAL_EXPIRES by default, and no ValidTo
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now + timedelta(days=366)},
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now - timedelta(days=1)},
        {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": now + timedelta(days=3)},
    ):
        with pytest.raises(ClientError) as err:
            kms.import_key_material(
                KeyId=external["KeyId"],
                ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=wrapped,
                **extra,
            )
        assert error_code(err) == "ValidationException", extra


def test_material_expires_on_the_scheduler(kms: Any, external: dict[str, Any], server: ServerProcess) -> None:
    key_id = external["KeyId"]
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048"
    )
    valid_to = params["ParametersValidTo"] + timedelta(days=1)
    material = os.urandom(32)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_1", material),
        ExpirationModel="KEY_MATERIAL_EXPIRES",
        ValidTo=valid_to,
    )
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled" and metadata["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(metadata["ValidTo"] - valid_to) < timedelta(seconds=1)
    rotation = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"][0]
    assert rotation["ImportState"] == "IMPORTED" and rotation["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"

    server.advance_clock(DAY)
    assert state(kms, key_id) == "Enabled"
    server.advance_clock(DAY + 60)
    assert state(kms, key_id) == "PendingImport"
    rotation = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"][0]
    assert rotation["ImportState"] == "PENDING_IMPORT"
    import_material(kms, key_id, material)
    assert state(kms, key_id) == "Enabled"


def test_new_material_waits_for_an_on_demand_rotation(
    kms: Any, external: dict[str, Any], server: ServerProcess
) -> None:
    key_id = external["KeyId"]
    first = import_material(kms, key_id, os.urandom(32))
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert error_code(err) == "KMSInvalidStateException"
    second = import_material(
        kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="v2"
    )
    entries = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [e["KeyMaterialState"] for e in entries] == ["CURRENT", "PENDING_ROTATION"]
    assert entries[1]["KeyMaterialDescription"] == "v2"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == first["KeyMaterialId"]

    kms.rotate_key_on_demand(KeyId=key_id)
    server.advance_clock(0)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second["KeyMaterialId"]
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]] == ["ON_DEMAND"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_imported_hmac_key_computes_the_rfc_2104_mac(kms: Any) -> None:
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]
    material = os.urandom(48)
    import_material(kms, key["KeyId"], material, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"message", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(material, b"message", hashlib.sha256).digest()
    with pytest.raises(ClientError) as err:
        import_material(kms, key["KeyId"], os.urandom(48), ImportType="NEW_KEY_MATERIAL")
    assert error_code(err) == "ValidationException"  # ImportType is for symmetric keys only


def test_imported_asymmetric_key_signs_with_the_imported_private_key(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ClientError) as err:  # asymmetric material needs RSA_AES_KEY_WRAP_*
        import_material(kms, key["KeyId"], der, algorithm="RSAES_OAEP_SHA_256", spec="RSA_4096")
    assert error_code(err) == "ValidationException"
    wrong = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ClientError) as err:
        import_material(kms, key["KeyId"], wrong, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    assert error_code(err) == "ValidationException"

    import_material(kms, key["KeyId"], der, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    public = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    assert public == private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


def test_import_into_a_key_pending_deletion_is_refused(kms: Any, external: dict[str, Any]) -> None:
    params = kms.get_parameters_for_import(
        KeyId=external["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as err:
        kms.import_key_material(
            KeyId=external["KeyId"],
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    assert error_code(err) == "KMSInvalidStateException"
    assert state(kms, external["KeyId"]) == "PendingDeletion"


def test_material_of_a_key_pending_deletion_can_still_be_deleted(kms: Any, external: dict[str, Any]) -> None:
    imported = import_material(kms, external["KeyId"], os.urandom(32))
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    deleted = kms.delete_imported_key_material(KeyId=external["KeyId"])
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    assert state(kms, external["KeyId"]) == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=external["KeyId"])
    entries = kms.list_key_rotations(KeyId=external["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")[
        "Rotations"
    ]
    assert [e["ImportState"] for e in entries] == ["PENDING_IMPORT"]
