"""Cross-account replicas: CreateSecret with CrossAccountPrimaryARN in the replica's account,
AssociateCrossAccountReplica / DisassociateCrossAccountReplica in the primary's, the permission
chain AWS documents, following the primary, Detached, promotion, the writes a linked replica
refuses, its managed resource policy, and every refusal."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory
from tests.service.secretsmanager.conftest import (
    REGION,
    code_of,
    error_of,
    iam_user_clients,
    message_of,
    policy,
)

Side = dict[str, Any]


def _side(make_client: ClientFactory, account: str) -> Side:
    return {
        "account": account,
        "sm": make_client("secretsmanager", access_key=account),
        "raw_sm": make_client("secretsmanager", access_key=account, parameter_validation=False),
        "kms": make_client("kms", access_key=account),
        "iam": make_client("iam", access_key=account),
        "sm_eu": make_client("secretsmanager", access_key=account, region="eu-west-1"),
    }


@pytest.fixture(scope="module")
def a(make_client: ClientFactory, account_id: str) -> Side:
    """The primary's account."""
    return _side(make_client, account_id)


@pytest.fixture(scope="module")
def b(make_client: ClientFactory, other_account_id: str) -> Side:
    """The replica's account."""
    return _side(make_client, other_account_id)


def _replica_key(b: Side, a: Side, *, grant: tuple[str, ...] = ("kms:Encrypt",)) -> str:
    """A customer managed key in B whose policy lets A's account use `grant`."""
    statements = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{b['account']}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if grant:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{a['account']}:root"},
                "Action": list(grant),
                "Resource": "*",
            }
        )
    return str(b["kms"].create_key(Policy=policy(*statements))["KeyMetadata"]["Arn"])


def _pair(a: Side, b: Side, value: str = "v1", **replica_kwargs: Any) -> tuple[str, str, str]:
    """A primary in A and a (not yet associated) replica of it in B: (primary, replica, key)."""
    name = f"x/{uuid.uuid4().hex[:10]}"
    primary = a["sm"].create_secret(Name=name, SecretString=value)["ARN"]
    key = replica_kwargs.pop("KmsKeyId", None) or _replica_key(b, a)
    replica = b["sm"].create_secret(
        Name=f"{name}-replica", CrossAccountPrimaryARN=primary, KmsKeyId=key, **replica_kwargs
    )["ARN"]
    return primary, replica, key


def _status(error: Any) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


def _assert_error(error: Any, code: str, status: int = 400) -> None:
    assert (code_of(error), _status(error)) == (code, status), error.response["Error"]


def _replica_unchanged(b: Side, replica: str) -> None:
    """An association that failed left the replica as its owner created it."""
    described = b["sm"].describe_secret(SecretId=replica)
    assert described["CrossAccountPrimary"]["ReplicationStatus"] == "Pending"
    assert "VersionIdsToStages" not in described or not described["VersionIdsToStages"]


# -- the happy path --------------------------------------------------------------------------------


def test_replica_follows_its_primary_until_disassociated(a: Side, b: Side) -> None:
    primary, replica, key = _pair(a, b)
    created = b["sm"].describe_secret(SecretId=replica)
    assert created["CrossAccountPrimary"] == {"PrimarySecretARN": primary, "ReplicationStatus": "Pending"}
    assert created["KmsKeyId"] == key
    _assert_error(error_of(b["sm"].get_secret_value, SecretId=replica), "ResourceNotFoundException")
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)

    answer = a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert {k: answer[k] for k in ("ARN", "CrossAccountReplicaARN", "ReplicationStatus")} == {
        "ARN": primary,
        "CrossAccountReplicaARN": replica,
        "ReplicationStatus": "InSync",
    }
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v1"
    versions = b["sm"].list_secret_version_ids(SecretId=replica)["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [[key]]
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "InSync"
    entries = a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"]
    assert [(e["ReplicaSecretARN"], e["ReplicationStatus"]) for e in entries] == [(replica, "InSync")]
    assert "ReplicationRoleARN" not in entries[0]
    # The replica's value is its own ciphertext: A's account cannot read it.
    _assert_error(error_of(a["sm"].get_secret_value, SecretId=replica), "AccessDeniedException")

    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    a["sm"].update_secret(SecretId=primary, Description="from the primary")
    a["sm"].tag_resource(SecretId=primary, Tags=[{"Key": "side", "Value": "primary"}])
    b["sm"].tag_resource(SecretId=replica, Tags=[{"Key": "side", "Value": "replica"}])
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    previous = b["sm"].get_secret_value(SecretId=replica, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "v1"
    described = b["sm"].describe_secret(SecretId=replica)
    assert described["Description"] == "from the primary"
    assert described["Tags"] == [{"Key": "side", "Value": "replica"}]

    again = a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert again["ReplicationStatus"] == "InSync"

    _assert_error(
        error_of(a["sm"].delete_secret, SecretId=primary, ForceDeleteWithoutRecovery=True),
        "InvalidRequestException",
    )
    _assert_error(
        error_of(b["sm"].delete_secret, SecretId=replica, ForceDeleteWithoutRecovery=True),
        "InvalidRequestException",
    )
    assert (
        a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]["ReplicationStatus"] == "InSync"
    )
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"

    gone = a["sm"].disassociate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert {k: gone[k] for k in ("ARN", "CrossAccountReplicaARN")} == {
        "ARN": primary,
        "CrossAccountReplicaARN": replica,
    }
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)
    detached = b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]
    assert (detached["PrimarySecretARN"], detached["ReplicationStatus"]) == (primary, "Detached")
    a["sm"].put_secret_value(SecretId=primary, SecretString="v3")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    # Still linked (Detached) until its owner promotes it.
    _assert_error(
        error_of(b["sm"].delete_secret, SecretId=replica, ForceDeleteWithoutRecovery=True),
        "InvalidRequestException",
    )

    assert b["sm"].stop_replication_to_replica(SecretId=replica)["ARN"] == replica
    assert "CrossAccountPrimary" not in b["sm"].describe_secret(SecretId=replica)
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    b["sm"].delete_secret(SecretId=replica, ForceDeleteWithoutRecovery=True)
    a["sm"].delete_secret(SecretId=primary, ForceDeleteWithoutRecovery=True)


def test_replica_stopping_replication_shows_detached_on_the_primary(a: Side, b: Side) -> None:
    primary, replica, key = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    b["sm"].stop_replication_to_replica(SecretId=replica)
    entry = a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]
    assert (entry["ReplicaSecretARN"], entry["ReplicationStatus"]) == (replica, "Detached")
    a["sm"].put_secret_value(SecretId=primary, SecretString="not followed")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v1"
    assert "CrossAccountPrimary" not in b["sm"].describe_secret(SecretId=replica)
    # The primary's side forgets a replica that left; another replica may then be associated.
    a["sm"].disassociate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)
    second = b["sm"].create_secret(
        Name=f"r/{uuid.uuid4().hex[:10]}", CrossAccountPrimaryARN=primary, KmsKeyId=key
    )["ARN"]
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=second)
    assert b["sm"].get_secret_value(SecretId=second)["SecretString"] == "not followed"
    b["sm"].stop_replication_to_replica(SecretId=second)
    # A replica that left no longer blocks deleting the primary.
    a["sm"].delete_secret(SecretId=primary, ForceDeleteWithoutRecovery=True)


def test_failed_sync_is_a_status_and_association_repairs_it(a: Side, b: Side) -> None:
    primary, replica, key = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    b["kms"].disable_key(KeyId=key)
    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    entry = a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]
    assert entry["ReplicationStatus"] == "Failed" and entry["StatusMessage"]
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "Failed"
    refused = error_of(
        a["sm"].associate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
    )
    _assert_error(refused, "InvalidRequestException")

    b["kms"].enable_key(KeyId=key)
    repaired = a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert repaired["ReplicationStatus"] == "InSync"
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    assert (
        a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]["ReplicationStatus"] == "InSync"
    )


def test_replication_role_does_the_kms_work(a: Side, b: Side, make_client: ClientFactory) -> None:
    role_name = f"smrepl{uuid.uuid4().hex[:8]}"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "secretsmanager.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    role_arn = a["iam"].create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    a["iam"].put_role_policy(
        RoleName=role_name,
        PolicyName="kms",
        PolicyDocument=policy({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}),
    )
    primary, replica, _ = _pair(a, b)
    # A user that may do everything in Secrets Manager, but nothing in KMS: the role replicates.
    user_sm = iam_user_clients(
        a["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": ["secretsmanager:*", "iam:PassRole"], "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"},
        ),
    )["sm"]
    without_role = error_of(
        user_sm.associate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
    )
    _assert_error(without_role, "AccessDeniedException")
    _replica_unchanged(b, replica)

    answer = user_sm.associate_cross_account_replica(
        SecretId=primary, CrossAccountReplicaARN=replica, ReplicationRoleARN=role_arn
    )
    assert answer["ReplicationStatus"] == "InSync"
    entry = a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]
    assert entry["ReplicationRoleARN"] == role_arn
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v1"
    user_sm.put_secret_value(SecretId=primary, SecretString="via role")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "via role"


def test_replication_role_refusals(a: Side, b: Side, make_client: ClientFactory) -> None:
    role_name = f"smnotrust{uuid.uuid4().hex[:8]}"
    trust = policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    role_arn = a["iam"].create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    primary, replica, _ = _pair(a, b)
    untrusting = error_of(
        a["sm"].associate_cross_account_replica,
        SecretId=primary,
        CrossAccountReplicaARN=replica,
        ReplicationRoleARN=role_arn,
    )
    _assert_error(untrusting, "AccessDeniedException")
    foreign = error_of(
        a["sm"].associate_cross_account_replica,
        SecretId=primary,
        CrossAccountReplicaARN=replica,
        ReplicationRoleARN=f"arn:aws:iam::{b['account']}:role/{role_name}",
    )
    _assert_error(foreign, "InvalidParameterException")
    everything = policy({"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"})
    user_sm = iam_user_clients(a["iam"], make_client, everything)["sm"]
    no_pass_role = error_of(
        user_sm.associate_cross_account_replica,
        SecretId=primary,
        CrossAccountReplicaARN=replica,
        ReplicationRoleARN=role_arn,
    )
    _assert_error(no_pass_role, "AccessDeniedException")
    assert "iam:PassRole" in no_pass_role.response["Error"]["Message"]
    _replica_unchanged(b, replica)
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)


# -- CreateSecret with CrossAccountPrimaryARN: refusals ----------------------------------------------


def test_create_replica_refusals(a: Side, b: Side, make_client: ClientFactory) -> None:
    name = f"x/{uuid.uuid4().hex[:10]}"
    primary = a["sm"].create_secret(Name=name, SecretString="v1")["ARN"]
    key = _replica_key(b, a)
    wanted = f"{name}-replica"
    base = {"Name": wanted, "CrossAccountPrimaryARN": primary, "KmsKeyId": key}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"SecretString": "no"}, "InvalidParameterException"),
        ({"SecretBinary": b"no"}, "InvalidParameterException"),
        ({"Description": "no"}, "InvalidParameterException"),
        ({"Type": "no"}, "InvalidParameterException"),
        ({"AddReplicaRegions": [{"Region": "eu-west-1"}]}, "InvalidParameterException"),
        ({"KmsKeyId": None}, "InvalidParameterException"),
        ({"KmsKeyId": "alias/aws/secretsmanager"}, "InvalidParameterException"),
        (
            {"KmsKeyId": f"arn:aws:kms:{REGION}:{b['account']}:alias/aws/secretsmanager"},
            "InvalidParameterException",
        ),
        (
            {"CrossAccountPrimaryARN": primary.replace(a["account"], b["account"])},
            "InvalidParameterException",
        ),
        (
            {"CrossAccountPrimaryARN": primary.replace(f":{REGION}:", ":eu-west-1:")},
            "InvalidParameterException",
        ),
        ({"CrossAccountPrimaryARN": primary.replace("arn:aws:", "arn:aws-cn:")}, "InvalidParameterException"),
        ({"CrossAccountPrimaryARN": "not-the-arn-of-any-secret"}, "InvalidParameterException"),
    ]
    for change, code in cases:
        request = {k: v for k, v in {**base, **change}.items() if v is not None}
        _assert_error(error_of(b["raw_sm"].create_secret, **request), code)
        _assert_error(error_of(b["sm"].describe_secret, SecretId=wanted), "ResourceNotFoundException")

    # CreateSecret alone is not enough: AWS attaches a resource policy, so PutResourcePolicy too.
    user_sm = iam_user_clients(
        b["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:PutResourcePolicy", "Resource": "*"},
        ),
    )["sm"]
    denied = error_of(user_sm.create_secret, **base)
    _assert_error(denied, "AccessDeniedException")
    assert "secretsmanager:PutResourcePolicy" in denied.response["Error"]["Message"]
    _assert_error(error_of(b["sm"].describe_secret, SecretId=wanted), "ResourceNotFoundException")

    created = b["sm"].create_secret(**base)
    assert created["Name"] == wanted and "VersionId" not in created


# -- AssociateCrossAccountReplica: refusals ----------------------------------------------------------


def test_associate_refusals(a: Side, b: Side, make_client: ClientFactory) -> None:
    primary, replica, key = _pair(a, b)
    associate = a["sm"].associate_cross_account_replica
    raw_associate = a["raw_sm"].associate_cross_account_replica
    missing = f"arn:aws:secretsmanager:{REGION}:{b['account']}:secret:nothing-here-AbCdEf"
    plain = b["sm"].create_secret(Name=f"plain/{uuid.uuid4().hex[:8]}", SecretString="own")["ARN"]
    other_primary, other_replica, _ = _pair(a, b)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"SecretId": "no-such-primary-secret"}, "ResourceNotFoundException"),
        ({"CrossAccountReplicaARN": "not-the-arn-of-a-replica"}, "InvalidParameterException"),
        ({"CrossAccountReplicaARN": primary}, "InvalidParameterException"),
        (
            {"CrossAccountReplicaARN": replica.replace(f":{REGION}:", ":eu-west-1:")},
            "InvalidParameterException",
        ),
        ({"CrossAccountReplicaARN": missing}, "ResourceNotFoundException"),
        ({"CrossAccountReplicaARN": plain}, "AccessDeniedException"),
        ({"CrossAccountReplicaARN": other_replica}, "InvalidRequestException"),
        ({"ReplicaRestriction": "Anywhere"}, "ValidationException"),
    ]
    for change, code in cases:
        request = {"SecretId": primary, "CrossAccountReplicaARN": replica, **change}
        _assert_error(error_of(raw_associate, **request), code)
    _replica_unchanged(b, replica)
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)

    # The primary's own key: kms:Decrypt denied to the caller.
    denied_key = a["kms"].create_key()["KeyMetadata"]["Arn"]
    locked = a["sm"].create_secret(Name=f"x/{uuid.uuid4().hex[:10]}", SecretString="k", KmsKeyId=denied_key)
    locked_replica = b["sm"].create_secret(
        Name=f"r/{uuid.uuid4().hex[:10]}", CrossAccountPrimaryARN=locked["ARN"], KmsKeyId=key
    )["ARN"]
    user_sm = iam_user_clients(
        a["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": denied_key},
        ),
    )["sm"]
    no_decrypt = error_of(
        user_sm.associate_cross_account_replica, SecretId=locked["ARN"], CrossAccountReplicaARN=locked_replica
    )
    _assert_error(no_decrypt, "AccessDeniedException")
    _replica_unchanged(b, locked_replica)

    # The replica's key: its policy does not let A's account encrypt.
    closed_key = _replica_key(b, a, grant=())
    closed_primary, closed_replica, _ = _pair(a, b, KmsKeyId=closed_key)
    no_encrypt = error_of(associate, SecretId=closed_primary, CrossAccountReplicaARN=closed_replica)
    _assert_error(no_encrypt, "AccessDeniedException")
    _replica_unchanged(b, closed_replica)
    assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=closed_primary)

    # A disabled replica key.
    off_key = _replica_key(b, a)
    off_primary, off_replica, _ = _pair(a, b, KmsKeyId=off_key)
    b["kms"].disable_key(KeyId=off_key)
    _assert_error(
        error_of(associate, SecretId=off_primary, CrossAccountReplicaARN=off_replica),
        "InvalidRequestException",
    )
    _replica_unchanged(b, off_replica)

    # One cross-account replica per primary.
    associate(SecretId=other_primary, CrossAccountReplicaARN=other_replica)
    second = b["sm"].create_secret(
        Name=f"r/{uuid.uuid4().hex[:10]}", CrossAccountPrimaryARN=other_primary, KmsKeyId=key
    )["ARN"]
    _assert_error(
        error_of(associate, SecretId=other_primary, CrossAccountReplicaARN=second), "LimitExceededException"
    )
    _replica_unchanged(b, second)
    entries = a["sm"].describe_secret(SecretId=other_primary)["CrossAccountReplicas"]
    assert [e["ReplicaSecretARN"] for e in entries] == [other_replica]

    # A primary scheduled for deletion, a region replica, a cross-account replica as primary.
    a["sm"].delete_secret(SecretId=primary, RecoveryWindowInDays=7)
    _assert_error(
        error_of(associate, SecretId=primary, CrossAccountReplicaARN=replica), "InvalidRequestException"
    )
    a["sm"].restore_secret(SecretId=primary)
    regional = a["sm"].create_secret(
        Name=f"x/{uuid.uuid4().hex[:10]}", SecretString="r", AddReplicaRegions=[{"Region": "eu-west-1"}]
    )["ARN"]
    eu_arn = regional.replace(f":{REGION}:", ":eu-west-1:")
    _assert_error(
        error_of(a["sm_eu"].associate_cross_account_replica, SecretId=eu_arn, CrossAccountReplicaARN=replica),
        "InvalidRequestException",
    )
    _assert_error(
        error_of(b["sm"].associate_cross_account_replica, SecretId=replica, CrossAccountReplicaARN=primary),
        "InvalidRequestException",
    )
    _replica_unchanged(b, replica)


def test_associate_permission_chain(a: Side, b: Side, make_client: ClientFactory) -> None:
    primary, replica, _ = _pair(a, b)

    def user_sm(*denied: str) -> Any:
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"}
        ]
        if denied:
            statements.append({"Effect": "Deny", "Action": list(denied), "Resource": "*"})
        return iam_user_clients(a["iam"], make_client, policy(*statements))["sm"]

    for action in (
        "secretsmanager:AssociateCrossAccountReplica",
        "secretsmanager:GetSecretValue",
        "secretsmanager:AcceptCrossAccountReplication",
        "kms:Encrypt",
    ):
        denied = error_of(
            user_sm(action).associate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
        )
        _assert_error(denied, "AccessDeniedException")
        _replica_unchanged(b, replica)
        assert "CrossAccountReplicas" not in a["sm"].describe_secret(SecretId=primary)

    # The replica's owner can refuse in its resource policy, over the managed policy's grant.
    b["sm"].put_resource_policy(
        SecretId=replica,
        ResourcePolicy=policy(
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{a['account']}:root"},
                "Action": "secretsmanager:AcceptCrossAccountReplication",
                "Resource": "*",
            }
        ),
    )
    refused = error_of(
        a["sm"].associate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
    )
    _assert_error(refused, "AccessDeniedException")
    b["sm"].delete_resource_policy(SecretId=replica)
    allowed = user_sm().associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert allowed["ReplicationStatus"] == "InSync"
    assert json.loads(json.dumps(allowed["CrossAccountReplicaARN"])) == replica


# -- DisassociateCrossAccountReplica and StopReplicationToReplica: refusals ----------------------------


def test_disassociate_refusals(a: Side, b: Side, make_client: ClientFactory) -> None:
    primary, replica, _ = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    disassociate = a["raw_sm"].disassociate_cross_account_replica
    _, unrelated, _ = _pair(a, b)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"SecretId": "no-such-primary-secret"}, "ResourceNotFoundException"),
        ({"CrossAccountReplicaARN": "not-the-arn-of-a-replica"}, "InvalidParameterException"),
        ({"CrossAccountReplicaARN": unrelated}, "ResourceNotFoundException"),
        (
            {"CrossAccountReplicaARN": replica.replace(f":{REGION}:", ":eu-west-1:")},
            "InvalidParameterException",
        ),
    ]
    for change, code in cases:
        request = {"SecretId": primary, "CrossAccountReplicaARN": replica, **change}
        _assert_error(error_of(disassociate, **request), code)
    user_sm = iam_user_clients(
        a["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:DisassociateCrossAccountReplica", "Resource": "*"},
        ),
    )["sm"]
    denied = error_of(
        user_sm.disassociate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
    )
    _assert_error(denied, "AccessDeniedException")
    # The replica's account cannot cut the link from the primary's side.
    _assert_error(
        error_of(
            b["sm"].disassociate_cross_account_replica, SecretId=primary, CrossAccountReplicaARN=replica
        ),
        "AccessDeniedException",
    )
    assert (
        a["sm"].describe_secret(SecretId=primary)["CrossAccountReplicas"][0]["ReplicationStatus"] == "InSync"
    )
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "InSync"

    # Stopping from the replica needs DeleteResourcePolicy too: AWS removes the managed policy.
    owner_sm = iam_user_clients(
        b["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:DeleteResourcePolicy", "Resource": "*"},
        ),
    )["sm"]
    _assert_error(error_of(owner_sm.stop_replication_to_replica, SecretId=replica), "AccessDeniedException")
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "InSync"
    _assert_error(
        error_of(
            b["sm"].replicate_secret_to_regions, SecretId=replica, AddReplicaRegions=[{"Region": "eu-west-1"}]
        ),
        "InvalidRequestException",
    )
    assert "ReplicationStatus" not in b["sm"].describe_secret(SecretId=replica)


# -- writes on a linked replica ------------------------------------------------------------------------


def _state(side: Side, arn: str) -> dict[str, Any]:
    """What a refused write must leave as it was (access dates aside: reads move them)."""
    described = side["sm"].describe_secret(SecretId=arn)
    described.pop("ResponseMetadata")
    described.pop("LastAccessedDate", None)
    versions = side["sm"].list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
    for version in versions:
        version.pop("LastAccessedDate", None)
    return {"described": described, "versions": versions}


def _refused_on_replica(error: Any) -> None:
    _assert_error(error, "InvalidRequestException")
    assert "cross-account replica" in message_of(error)


def _linked_replica_writes(b: Side, replica: str) -> list[tuple[Any, dict[str, Any]]]:
    """Every write that sets what a linked replica takes from its primary."""
    current = b["sm"].describe_secret(SecretId=replica).get("VersionIdsToStages") or {}
    version = next(iter(current), str(uuid.uuid4()))
    rotator = f"arn:aws:lambda:{REGION}:{b['account']}:function:rotator"
    sm = b["sm"]
    return [
        (sm.put_secret_value, {"SecretString": "mine"}),
        (sm.put_secret_value, {"SecretBinary": b"mine", "ClientRequestToken": str(uuid.uuid4())}),
        (sm.put_secret_value, {"SecretString": "mine", "VersionStages": ["MINE"]}),
        (sm.update_secret, {"SecretString": "mine"}),
        (sm.update_secret, {"SecretBinary": b"mine"}),
        (sm.update_secret, {"Description": "mine"}),
        (sm.update_secret, {"Type": "mine"}),
        (sm.update_secret_version_stage, {"VersionStage": "MINE", "MoveToVersionId": version}),
        (
            sm.update_secret_version_stage,
            {"VersionStage": "AWSCURRENT", "RemoveFromVersionId": version, "MoveToVersionId": version},
        ),
        # With a rotation function named: without the refusal this would be AccessDenied (no such
        # function is registered), not InvalidRequest.
        (sm.rotate_secret, {"RotationLambdaARN": rotator}),
        (sm.rotate_secret, {"RotationLambdaARN": rotator, "RotateImmediately": False}),
    ]


def test_linked_replica_refuses_writes_that_its_primary_would_overwrite(a: Side, b: Side) -> None:
    primary, replica, _ = _pair(a, b)
    a["sm"].update_secret(SecretId=primary, Description="the primary's")
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    before, primary_before = _state(b, replica), _state(a, primary)
    assert before["described"]["Description"] == "the primary's"

    for call, kwargs in _linked_replica_writes(b, replica):
        _refused_on_replica(error_of(call, SecretId=replica, **kwargs))
        assert _state(b, replica) == before, (call, kwargs)
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v1"
    assert _state(a, primary) == primary_before

    # By name as well as by ARN; and the primary's next change still follows, untouched by them.
    name = before["described"]["Name"]
    _refused_on_replica(error_of(b["sm"].put_secret_value, SecretId=name, SecretString="mine"))
    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    stages = b["sm"].describe_secret(SecretId=replica)["VersionIdsToStages"]
    assert sorted(s for labels in stages.values() for s in labels) == ["AWSCURRENT", "AWSPREVIOUS"]


def test_pending_and_failed_replicas_refuse_writes_too(a: Side, b: Side) -> None:
    primary, replica, key = _pair(a, b)
    pending = _state(b, replica)
    assert pending["versions"] == []
    for call, kwargs in _linked_replica_writes(b, replica):
        if call == b["sm"].update_secret_version_stage:
            continue  # no version yet to name
        _refused_on_replica(error_of(call, SecretId=replica, **kwargs))
        assert _state(b, replica) == pending, (call, kwargs)
    _assert_error(error_of(b["sm"].get_secret_value, SecretId=replica), "ResourceNotFoundException")

    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    b["kms"].disable_key(KeyId=key)
    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    b["kms"].enable_key(KeyId=key)
    failed = _state(b, replica)
    assert failed["described"]["CrossAccountPrimary"]["ReplicationStatus"] == "Failed"
    _refused_on_replica(error_of(b["sm"].put_secret_value, SecretId=replica, SecretString="mine"))
    assert _state(b, replica) == failed
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v1"


def test_linked_replica_keeps_its_own_key_tags_and_policy(a: Side, b: Side) -> None:
    primary, replica, key = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    before = _state(b, replica)
    for refused_key in ("alias/aws/secretsmanager", ""):
        refused = error_of(b["raw_sm"].update_secret, SecretId=replica, KmsKeyId=refused_key)
        _assert_error(refused, "InvalidParameterException")
        assert _state(b, replica) == before

    other_key = _replica_key(b, a)
    b["sm"].update_secret(SecretId=replica, KmsKeyId=other_key)
    described = b["sm"].describe_secret(SecretId=replica)
    assert described["KmsKeyId"] == other_key
    assert described["CrossAccountPrimary"]["ReplicationStatus"] == "InSync"
    versions = b["sm"].list_secret_version_ids(SecretId=replica)["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [[other_key]]
    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "v2"
    current = b["sm"].list_secret_version_ids(SecretId=replica)["Versions"]
    assert {v["KmsKeyIds"][0] for v in current} == {other_key}
    assert key != other_key


def test_detached_replica_takes_writes_again(a: Side, b: Side) -> None:
    primary, replica, _ = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    a["sm"].disassociate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "Detached"
    version = b["sm"].put_secret_value(SecretId=replica, SecretString="mine")["VersionId"]
    b["sm"].update_secret(SecretId=replica, Description="mine")
    a["sm"].put_secret_value(SecretId=primary, SecretString="v2")
    assert b["sm"].get_secret_value(SecretId=replica)["SecretString"] == "mine"
    described = b["sm"].describe_secret(SecretId=replica)
    assert described["Description"] == "mine"
    assert described["VersionIdsToStages"][version] == ["AWSCURRENT"]


# -- the managed cross-account-replication policy -----------------------------------------------------


def test_replica_shows_its_managed_replication_policy(a: Side, b: Side) -> None:
    primary, replica, _ = _pair(a, b)
    sm = b["sm"]
    listed = sm.list_resource_policies(SecretId=replica)["ResourcePolicies"]
    assert listed == [{"PolicyName": "cross-account-replication"}]
    default = sm.get_resource_policy(SecretId=replica)
    assert "ResourcePolicy" not in default and default["ARN"] == replica
    managed = sm.get_resource_policy(SecretId=replica, PolicyName="cross-account-replication")
    assert (managed["ARN"], managed["PolicyName"]) == (replica, "cross-account-replication")
    document = json.loads(managed["ResourcePolicy"])
    assert document["Version"] == "2012-10-17"
    assert [(s["Effect"], s["Principal"], s["Action"], s["Resource"]) for s in document["Statement"]] == [
        (
            "Allow",
            {"AWS": f"arn:aws:iam::{a['account']}:root"},
            "secretsmanager:AcceptCrossAccountReplication",
            "*",
        )
    ]

    own = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{b['account']}:root"},
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})  # fmt: skip
    sm.put_resource_policy(SecretId=replica, ResourcePolicy=own)
    listed = sm.list_resource_policies(SecretId=replica)["ResourcePolicies"]
    assert listed == [{"PolicyName": "default"}, {"PolicyName": "cross-account-replication"}]
    assert json.loads(sm.get_resource_policy(SecretId=replica)["ResourcePolicy"]) == json.loads(own)
    again = sm.get_resource_policy(SecretId=replica, PolicyName="cross-account-replication")
    assert json.loads(again["ResourcePolicy"]) == document

    # The managed policy is AWS's: its owner can neither replace nor delete it.
    for call, kwargs in (
        (sm.put_resource_policy, {"ResourcePolicy": own}),
        (sm.delete_resource_policy, {}),
    ):
        refused = error_of(call, SecretId=replica, PolicyName="cross-account-replication", **kwargs)
        _assert_error(refused, "InvalidParameterException")
        assert sm.list_resource_policies(SecretId=replica)["ResourcePolicies"] == listed
        assert (
            json.loads(
                sm.get_resource_policy(SecretId=replica, PolicyName="cross-account-replication")[
                    "ResourcePolicy"
                ]
            )
            == document
        )
    _assert_error(
        error_of(sm.get_resource_policy, SecretId=replica, PolicyName="another"), "ResourceNotFoundException"
    )

    # Detached by the primary it stays; promotion removes it.
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    a["sm"].disassociate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    assert sm.list_resource_policies(SecretId=replica)["ResourcePolicies"] == listed
    sm.stop_replication_to_replica(SecretId=replica)
    assert sm.list_resource_policies(SecretId=replica)["ResourcePolicies"] == [{"PolicyName": "default"}]
    gone = error_of(sm.get_resource_policy, SecretId=replica, PolicyName="cross-account-replication")
    _assert_error(gone, "ResourceNotFoundException")
    # An ordinary secret never had one.
    _assert_error(
        error_of(a["sm"].get_resource_policy, SecretId=primary, PolicyName="cross-account-replication"),
        "ResourceNotFoundException",
    )
    assert a["sm"].list_resource_policies(SecretId=primary)["ResourcePolicies"] == []


def test_policy_name_condition_key_guards_the_managed_policy(
    a: Side, b: Side, make_client: ClientFactory
) -> None:
    primary, replica, _ = _pair(a, b)
    a["sm"].associate_cross_account_replica(SecretId=primary, CrossAccountReplicaARN=replica)
    b["sm"].put_resource_policy(
        SecretId=replica,
        ResourcePolicy=policy(
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{a['account']}:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    owner_sm = iam_user_clients(
        b["iam"],
        make_client,
        policy(
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "secretsmanager:DeleteResourcePolicy",
                "Resource": "*",
                "Condition": {"StringEquals": {"secretsmanager:PolicyName": "cross-account-replication"}},
            },
        ),
    )["sm"]
    _assert_error(error_of(owner_sm.stop_replication_to_replica, SecretId=replica), "AccessDeniedException")
    assert b["sm"].describe_secret(SecretId=replica)["CrossAccountPrimary"]["ReplicationStatus"] == "InSync"
    owner_sm.delete_resource_policy(SecretId=replica)
    listed = b["sm"].list_resource_policies(SecretId=replica)["ResourcePolicies"]
    assert listed == [{"PolicyName": "cross-account-replication"}]
