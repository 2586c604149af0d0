"""AWS Secrets Manager: every operation of the botocore model, each one check, authorize, act.

The handlers live in mixins named for their domain, stacked in one line of inheritance:

    SecretsBase        finding, authorizing, describing, KMS envelope, events   (base.py)
    SecretsApi         create (also a cross-account replica), describe, list,   (secrets_api.py)
                       update, delete, restore, tags
    ValuesApi          get, batch get, put, versions, labels, random passwords  (values_api.py)
    RotationApi        rotate, cancel, scheduled and running rotations          (rotation_api.py)
    ReplicationApi     to other regions: replicate, remove regions;             (replication_api.py)
                       to other accounts: associate, disassociate a replica;
                       stop replication (promote a replica of either kind)
    SecretsManagerApi  + resource policies (default; a cross-account replica's  (policy_api.py)
                       managed cross-account-replication policy, read-only)

`MeteredApi` counts every request for the cost meter (usage.py prices it).

Secret values are encrypted under KMS through `ctx.call` (see envelope.py); nothing secret is
stored in the clear, logged or audited.

GetSecretValue reads through the stamped cache "secretsmanager" (see base.py); every operation
not in `pure_reads` may change what it holds and drops it when it returns.
"""

from __future__ import annotations

from typing import ClassVar

from strongroom.services.metered_api import MeteredApi
from strongroom.services.secretsmanager.base import CACHE
from strongroom.services.secretsmanager.policy_api import PolicyApi
from strongroom.services.secretsmanager.replication_api import ReplicationApi


class SecretsManagerApi(MeteredApi, ReplicationApi, PolicyApi):
    """AWS Secrets Manager."""

    model_name = "secretsmanager"
    metered_service = "secretsmanager"
    cache_name: ClassVar[str | None] = CACHE
    pure_reads: ClassVar[frozenset[str]] = frozenset(
        {
            "GetSecretValue", "BatchGetSecretValue", "DescribeSecret", "ListSecrets",
            "ListSecretVersionIds", "GetResourcePolicy", "ListResourcePolicies",
            "ValidateResourcePolicy", "GetRandomPassword",
        }
    )  # fmt: skip
    # On a cache hit GetSecretValue reads nothing from the database (the access is recorded in a
    # background thread, and KMS Decrypt is served from KMS's cache).
    inline_operations: ClassVar[frozenset[str]] = frozenset({"GetSecretValue"})
