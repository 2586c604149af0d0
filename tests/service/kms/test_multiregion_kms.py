"""Multi-Region keys end to end: replicas, their own policies and tags, cross-Region decryption."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.service.kms.conftest import error_code
from tests.support.server import ServerProcess

ACCOUNT = "760000000003"
EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"


@pytest.fixture(scope="module")
def clients(make_client: Any) -> dict[str, Any]:
    return {region: make_client("kms", region=region, access_key=ACCOUNT) for region in (EAST, WEST, EU)}


@pytest.fixture
def mrk(clients: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = clients[EAST].create_key(MultiRegion=True, Description="primary")[
        "KeyMetadata"
    ]
    return metadata


def test_replicate_key_creates_an_interoperable_replica(clients: dict[str, Any], mrk: dict[str, Any]) -> None:
    assert mrk["KeyId"].startswith("mrk-") and mrk["MultiRegion"] is True
    replica = clients[EAST].replicate_key(
        KeyId=mrk["KeyId"],
        ReplicaRegion=WEST,
        Description="replica",
        Tags=[{"TagKey": "site", "TagValue": "west"}],
    )
    meta = replica["ReplicaKeyMetadata"]
    assert meta["KeyId"] == mrk["KeyId"]
    assert meta["Arn"] == mrk["Arn"].replace(EAST, WEST)
    assert meta["Description"] == "replica" and meta["KeyState"] == "Enabled"
    assert meta["CurrentKeyMaterialId"] == mrk["CurrentKeyMaterialId"]
    config = meta["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "REPLICA"
    assert config["PrimaryKey"] == {"Arn": mrk["Arn"], "Region": EAST}
    assert replica["ReplicaTags"] == [{"TagKey": "site", "TagValue": "west"}]
    assert json.loads(replica["ReplicaPolicy"])["Statement"]

    primary = clients[EAST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert primary["MultiRegionKeyType"] == "PRIMARY"
    assert primary["ReplicaKeys"] == [{"Arn": meta["Arn"], "Region": WEST}]
    assert clients[WEST].list_resource_tags(KeyId=mrk["KeyId"])["Tags"] == [
        {"TagKey": "site", "TagValue": "west"}
    ]
    assert clients[EAST].list_resource_tags(KeyId=mrk["KeyId"])["Tags"] == []


def test_a_ciphertext_made_in_one_region_decrypts_in_another(
    clients: dict[str, Any], mrk: dict[str, Any]
) -> None:
    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    blob = clients[EAST].encrypt(KeyId=mrk["KeyId"], Plaintext=b"east", EncryptionContext={"c": "1"})
    opened = clients[WEST].decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"c": "1"})
    assert opened["Plaintext"] == b"east"
    assert opened["KeyId"] == mrk["Arn"].replace(EAST, WEST)
    named = clients[WEST].decrypt(
        CiphertextBlob=blob["CiphertextBlob"],
        EncryptionContext={"c": "1"},
        KeyId=mrk["Arn"].replace(EAST, WEST),
    )
    assert named["Plaintext"] == b"east"
    with pytest.raises(ClientError) as err:  # the context still binds
        clients[WEST].decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"c": "2"})
    assert error_code(err) == "InvalidCiphertextException"
    back = clients[WEST].generate_data_key(KeyId=mrk["KeyId"], KeySpec="AES_256")
    assert clients[EAST].decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == back["Plaintext"]
    with pytest.raises(ClientError) as err:  # no replica in eu-west-1
        clients[EU].decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"c": "1"})
    assert error_code(err) == "NotFoundException"


def test_rotation_is_shared_by_every_region(
    clients: dict[str, Any], mrk: dict[str, Any], server: ServerProcess
) -> None:
    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    with pytest.raises(ClientError) as err:
        clients[WEST].enable_key_rotation(KeyId=mrk["KeyId"])
    assert error_code(err) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as err:
        clients[WEST].rotate_key_on_demand(KeyId=mrk["KeyId"])
    assert error_code(err) == "UnsupportedOperationException"
    clients[EAST].enable_key_rotation(KeyId=mrk["KeyId"], RotationPeriodInDays=180)
    status = clients[WEST].get_key_rotation_status(KeyId=mrk["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180

    clients[EAST].rotate_key_on_demand(KeyId=mrk["KeyId"])
    server.advance_clock(0)
    east = clients[EAST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    west = clients[WEST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert east == west != mrk["CurrentKeyMaterialId"]
    blob = clients[WEST].encrypt(KeyId=mrk["KeyId"], Plaintext=b"rotated")["CiphertextBlob"]
    assert clients[EAST].decrypt(CiphertextBlob=blob)["Plaintext"] == b"rotated"


def test_replicas_keep_their_own_policy_and_state(clients: dict[str, Any], mrk: dict[str, Any]) -> None:
    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    policy = json.loads(clients[WEST].get_key_policy(KeyId=mrk["KeyId"])["Policy"])
    policy["Statement"].append(
        {
            "Sid": "west-only",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:GenerateRandom",
            "Resource": "*",
        }
    )
    clients[WEST].put_key_policy(KeyId=mrk["KeyId"], Policy=json.dumps(policy))
    east_policy = json.loads(clients[EAST].get_key_policy(KeyId=mrk["KeyId"])["Policy"])
    assert all(s.get("Sid") != "west-only" for s in east_policy["Statement"])
    clients[WEST].disable_key(KeyId=mrk["KeyId"])
    assert clients[EAST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_replicate_key_refusals(clients: dict[str, Any], mrk: dict[str, Any]) -> None:
    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    cases: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
        (
            clients[EAST].replicate_key,
            {"KeyId": mrk["KeyId"], "ReplicaRegion": WEST},
            "AlreadyExistsException",
        ),
        (
            clients[WEST].replicate_key,
            {"KeyId": mrk["KeyId"], "ReplicaRegion": EU},
            "UnsupportedOperationException",
        ),
        (clients[EAST].replicate_key, {"KeyId": mrk["KeyId"], "ReplicaRegion": EAST}, "ValidationException"),
        (
            clients[EAST].replicate_key,
            {"KeyId": clients[EAST].create_key()["KeyMetadata"]["KeyId"], "ReplicaRegion": WEST},
            "UnsupportedOperationException",
        ),
        (
            clients[EAST].replicate_key,
            {"KeyId": mrk["KeyId"], "ReplicaRegion": EU, "Policy": "{not json"},
            "MalformedPolicyDocumentException",
        ),
        (
            clients[EAST].update_primary_region,
            {"KeyId": mrk["KeyId"], "PrimaryRegion": EU},
            "NotFoundException",
        ),
    ]
    for call, params, code in cases:
        with pytest.raises(ClientError) as err:
            call(**params)
        assert error_code(err) == code, params
    with pytest.raises(ClientError) as err:
        clients[EU].describe_key(KeyId=mrk["KeyId"])
    assert error_code(err) == "NotFoundException"


def test_update_primary_region_swaps_the_roles(clients: dict[str, Any], mrk: dict[str, Any]) -> None:
    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    clients[EAST].update_primary_region(KeyId=mrk["KeyId"], PrimaryRegion=WEST)
    west = clients[WEST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert west["MultiRegionKeyType"] == "PRIMARY" and west["PrimaryKey"]["Region"] == WEST
    assert west["ReplicaKeys"] == [{"Arn": mrk["Arn"], "Region": EAST}]
    east = clients[EAST].describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert east["MultiRegionKeyType"] == "REPLICA"
    with pytest.raises(ClientError) as err:
        clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=EU)
    assert error_code(err) == "UnsupportedOperationException"
    third = clients[WEST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=EU)["ReplicaKeyMetadata"]
    assert third["MultiRegionConfiguration"]["PrimaryKey"]["Region"] == WEST


def _wrap(public_der: bytes, material: bytes) -> bytes:
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return public.encrypt(material, oaep)


def _import(client: Any, key_id: str, material: bytes) -> str:
    params = client.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    return str(
        client.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=_wrap(params["PublicKey"], material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )["KeyMaterialId"]
    )


def test_replica_of_an_imported_key_takes_the_same_material(clients: dict[str, Any]) -> None:
    key = clients[EAST].create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]
    material = os.urandom(32)
    material_id = _import(clients[EAST], key["KeyId"], material)
    replica = clients[EAST].replicate_key(KeyId=key["KeyId"], ReplicaRegion=WEST)["ReplicaKeyMetadata"]
    assert replica["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as err:
        _import(clients[WEST], key["KeyId"], os.urandom(32))
    assert error_code(err) == "IncorrectKeyMaterialException"
    assert _import(clients[WEST], key["KeyId"], material) == material_id
    assert clients[WEST].describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    blob = clients[EAST].encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert clients[WEST].decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


# -- the AWS Encryption SDK as the judge ------------------------------------------------------------


def test_encryption_sdk_mrk_multi_keyring_across_regions(
    clients: dict[str, Any], mrk: dict[str, Any], make_client: Any
) -> None:
    esdk = pytest.importorskip("aws_encryption_sdk")
    mpl = pytest.importorskip("aws_cryptographic_material_providers.mpl")
    from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
    from aws_cryptographic_material_providers.mpl.models import (
        CreateAwsKmsMrkMultiKeyringInput,
        GetClientInput,
    )
    from aws_cryptographic_material_providers.mpl.references import ClientSupplier

    class StrongroomClients(ClientSupplier):  # type: ignore[misc]
        """The SDK asks for a KMS client per Region; ours all talk to the test server."""

        def __init__(self) -> None:
            self.asked: list[str] = []

        def get_client(self, param: GetClientInput) -> Any:
            self.asked.append(param.region)
            return make_client("kms", region=param.region, access_key=ACCOUNT)

    clients[EAST].replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=WEST)
    west_arn = mrk["Arn"].replace(EAST, WEST)
    providers = mpl.AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    sdk = esdk.EncryptionSDKClient(commitment_policy=esdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)

    supplier = StrongroomClients()
    east_keyring = providers.create_aws_kms_mrk_multi_keyring(
        input=CreateAwsKmsMrkMultiKeyringInput(generator=mrk["Arn"], client_supplier=supplier)
    )
    plaintext = os.urandom(4096)
    message, header = sdk.encrypt(source=plaintext, keyring=east_keyring, encryption_context={"app": "mrk"})
    [data_key] = header.encrypted_data_keys
    assert data_key.key_provider.key_info.decode() == mrk["Arn"]

    # Decrypt in us-west-2 with the replica: the MRK-aware keyring accepts the us-east-1 data key.
    west_supplier = StrongroomClients()
    west_keyring = providers.create_aws_kms_mrk_multi_keyring(
        input=CreateAwsKmsMrkMultiKeyringInput(generator=west_arn, client_supplier=west_supplier)
    )
    decrypted, decrypted_header = sdk.decrypt(source=message, keyring=west_keyring)
    assert decrypted == plaintext and decrypted_header.encryption_context["app"] == "mrk"
    assert set(west_supplier.asked) == {WEST}

    # The replica alone cannot decrypt once disabled: the data key really went through us-west-2.
    clients[WEST].disable_key(KeyId=mrk["KeyId"])
    with pytest.raises(Exception):  # noqa: B017 - the SDK wraps KMS's DisabledException in its own error
        sdk.decrypt(source=message, keyring=west_keyring)


# -- who may replicate -----------------------------------------------------------------------------


def test_replicate_key_needs_replicate_key_on_the_primary_and_create_key_in_the_replica_region(
    make_client: Any, clients: dict[str, Any], mrk: dict[str, Any]
) -> None:
    iam = make_client("iam", access_key=ACCOUNT)

    def user_with(*actions: str) -> Any:
        name = f"mrk-{os.urandom(4).hex()}"
        iam.create_user(UserName=name)
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
        access = iam.create_access_key(UserName=name)["AccessKey"]
        return make_client("kms", access_key=access["AccessKeyId"], secret_key=access["SecretAccessKey"])

    for actions in (["kms:ReplicateKey"], ["kms:CreateKey"]):
        with pytest.raises(ClientError) as err:
            user_with(*actions).replicate_key(KeyId=mrk["Arn"], ReplicaRegion=WEST)
        assert error_code(err) == "AccessDeniedException", actions
    with pytest.raises(ClientError) as err:
        clients[WEST].describe_key(KeyId=mrk["KeyId"])
    assert error_code(err) == "NotFoundException"  # nothing was created
    replica = user_with("kms:ReplicateKey", "kms:CreateKey").replicate_key(
        KeyId=mrk["Arn"], ReplicaRegion=WEST
    )
    assert replica["ReplicaKeyMetadata"]["KeyState"] == "Enabled"
