"""AWS's key-state table: which operations a key in each state allows, and the error otherwise.

From "Key states of AWS KMS keys": cryptographic operations (and CreateGrant, rotation) need an
Enabled key — a Disabled key answers `DisabledException`, every other state
`KMSInvalidStateException`; management operations refuse a key pending deletion (or pending
replica deletion); DescribeKey, the key policy, listings, grant retirement and alias deletion work
in every state; CancelKeyDeletion only on a key pending deletion or pending replica deletion (a
multi-Region primary key scheduled for deletion that waits for its replicas to be deleted, which
otherwise behaves as PendingDeletion). Operations not named here are allowed in every state.
"""

from __future__ import annotations

from enum import StrEnum

from strongroom.aws.errors import ServiceError


class KeyState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_IMPORT = "PendingImport"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    UNAVAILABLE = "Unavailable"
    CREATING = "Creating"
    UPDATING = "Updating"


_DESCRIBED = {
    KeyState.DISABLED: "is disabled.",
    KeyState.PENDING_DELETION: "is pending deletion.",
    KeyState.PENDING_IMPORT: "is pending import.",
    KeyState.PENDING_REPLICA_DELETION: "is pending replica deletion.",
    KeyState.UNAVAILABLE: "is unavailable.",
    KeyState.CREATING: "is being created.",
    KeyState.UPDATING: "is being updated.",
}

_ENABLED_ONLY = frozenset({KeyState.ENABLED})
_NOT_DELETING = frozenset(
    {
        KeyState.ENABLED,
        KeyState.DISABLED,
        KeyState.PENDING_IMPORT,
        KeyState.UNAVAILABLE,
        KeyState.CREATING,
        KeyState.UPDATING,
    }
)

# Operations that need an Enabled key (cryptographic use and the grants and rotations tied to it).
USE_OPERATIONS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GetPublicKey",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
        "CreateGrant",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "RotateKeyOnDemand",
        "ReplicateKey",
        "UpdatePrimaryRegion",
    }
)

# Operations refused while the key is pending (replica) deletion.
MANAGE_OPERATIONS = frozenset(
    {
        "CreateAlias",
        "UpdateAlias",
        "UpdateKeyDescription",
        "TagResource",
        "UntagResource",
        "ScheduleKeyDeletion",
        "ImportKeyMaterial",
        "GetParametersForImport",
        "DeleteImportedKeyMaterial",
    }
)

# EnableKey/DisableKey: refused while pending deletion, pending import or unavailable.
_TOGGLE_STATES = frozenset({KeyState.ENABLED, KeyState.DISABLED, KeyState.CREATING, KeyState.UPDATING})

_ALLOWED: dict[str, frozenset[KeyState]] = {
    **dict.fromkeys(USE_OPERATIONS, _ENABLED_ONLY),
    **dict.fromkeys(MANAGE_OPERATIONS, _NOT_DELETING),
    "EnableKey": _TOGGLE_STATES,
    "DisableKey": _TOGGLE_STATES,
    "CancelKeyDeletion": frozenset({KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION}),
}


_EVERY_STATE = frozenset(KeyState)
# The same table over the stored text of each state, read on every request without an enum lookup.
_ALLOWED_TEXT = {operation: frozenset(s.value for s in states) for operation, states in _ALLOWED.items()}
_EVERY_STATE_TEXT = frozenset(s.value for s in KeyState)


def allowed_states(operation: str) -> frozenset[KeyState]:
    """The states in which `operation` may act on a key."""
    return _ALLOWED.get(operation, _EVERY_STATE)


def check_state(operation: str, state: str, key_arn: str) -> None:
    """Raise AWS's error when a key in `state` cannot take part in `operation`."""
    if state in _ALLOWED_TEXT.get(operation, _EVERY_STATE_TEXT):
        return
    current = KeyState(state)
    if current in allowed_states(operation):
        return
    raise state_error(operation, current, key_arn)


def state_error(operation: str, state: KeyState, key_arn: str) -> ServiceError:
    if operation == "CancelKeyDeletion":
        return ServiceError("KMSInvalidStateException", f"{key_arn} is not pending deletion.")
    if state is KeyState.DISABLED and operation in USE_OPERATIONS:
        return ServiceError("DisabledException", f"{key_arn} {_DESCRIBED[state]}")
    return ServiceError("KMSInvalidStateException", f"{key_arn} {_DESCRIBED.get(state, 'is ' + state)}")
