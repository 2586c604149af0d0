"""AWS's key-state table, as `check_state` applies it."""

from __future__ import annotations

import pytest

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.states import KeyState, check_state

ARN = "arn:aws:kms:us-east-1:700000000001:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _code(operation: str, state: KeyState) -> str | None:
    try:
        check_state(operation, state.value, ARN)
    except ServiceError as err:
        return err.code
    return None


@pytest.mark.parametrize(
    "operation", ["Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "CreateGrant", "Sign"]
)
def test_cryptographic_operations(operation: str) -> None:
    assert _code(operation, KeyState.ENABLED) is None
    assert _code(operation, KeyState.DISABLED) == "DisabledException"
    for state in (
        KeyState.PENDING_DELETION,
        KeyState.PENDING_REPLICA_DELETION,
        KeyState.PENDING_IMPORT,
        KeyState.UNAVAILABLE,
    ):
        assert _code(operation, state) == "KMSInvalidStateException"


@pytest.mark.parametrize(
    "operation", ["DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "ListGrants", "RevokeGrant", "DeleteAlias"]
)
def test_operations_allowed_in_every_state(operation: str) -> None:
    assert all(_code(operation, state) is None for state in KeyState)


@pytest.mark.parametrize(
    "operation", ["CreateAlias", "UpdateKeyDescription", "TagResource", "ScheduleKeyDeletion"]
)
def test_management_refused_while_pending_deletion(operation: str) -> None:
    assert _code(operation, KeyState.DISABLED) is None
    assert _code(operation, KeyState.PENDING_DELETION) == "KMSInvalidStateException"
    assert _code(operation, KeyState.PENDING_REPLICA_DELETION) == "KMSInvalidStateException"


@pytest.mark.parametrize("operation", ["ReplicateKey", "UpdatePrimaryRegion"])
def test_a_primary_pending_replica_deletion_is_not_replicated_or_moved(operation: str) -> None:
    assert _code(operation, KeyState.ENABLED) is None
    assert _code(operation, KeyState.PENDING_REPLICA_DELETION) == "KMSInvalidStateException"


def test_enable_and_disable() -> None:
    for operation in ("EnableKey", "DisableKey"):
        assert _code(operation, KeyState.DISABLED) is None
        assert _code(operation, KeyState.PENDING_DELETION) == "KMSInvalidStateException"
        assert _code(operation, KeyState.PENDING_REPLICA_DELETION) == "KMSInvalidStateException"
        assert _code(operation, KeyState.PENDING_IMPORT) == "KMSInvalidStateException"


def test_cancel_key_deletion_only_when_pending() -> None:
    assert _code("CancelKeyDeletion", KeyState.PENDING_DELETION) is None
    assert _code("CancelKeyDeletion", KeyState.PENDING_REPLICA_DELETION) is None
    for state in (KeyState.DISABLED, KeyState.PENDING_IMPORT):
        assert _code("CancelKeyDeletion", state) == "KMSInvalidStateException"
    with pytest.raises(ServiceError) as err:
        check_state("CancelKeyDeletion", "Enabled", ARN)
    assert err.value.code == "KMSInvalidStateException"
    assert err.value.message == f"{ARN} is not pending deletion."


def test_messages_name_the_key() -> None:
    with pytest.raises(ServiceError) as err:
        check_state("Encrypt", "Disabled", ARN)
    assert err.value.message == f"{ARN} is disabled."
    with pytest.raises(ServiceError) as err:
        check_state("Decrypt", "PendingDeletion", ARN)
    assert err.value.message == f"{ARN} is pending deletion."
    with pytest.raises(ServiceError) as err:
        check_state("Encrypt", "PendingReplicaDeletion", ARN)
    assert err.value.message == f"{ARN} is pending replica deletion."
