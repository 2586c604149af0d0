"""AWS managed keys (``alias/aws/<service>``) and AWS owned keys.

An AWS managed key is created the first time anything names its alias — a Strongroom service
calling KMS on a caller's behalf, or DescribeKey — as in AWS. It carries the AWS-managed key
policy (use only through its service, ``kms:ViaService`` and ``kms:CallerAccount``), rotates
every year, and users can neither change nor delete it.

An AWS owned key belongs to a service rather than to the account: it never appears in ListKeys
or DescribeKey and no key policy applies to it. A service reaches its own with the reserved
KeyId ``alias/aws-owned/<service>`` in an internal call (`ctx.call("kms", ...)`); any other
caller gets NotFoundException.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from strongroom.core.kernel import Kernel
from strongroom.core.scheduler import Scheduler
from strongroom.services.kms.keys import (
    Key,
    add_material,
    find_alias_target,
    find_key,
    insert_key,
    key_arn,
    new_key_id,
)
from strongroom.services.kms.material import generate_key_material
from strongroom.services.kms.policies import aws_managed_key_policy
from strongroom.services.kms.states import KeyState
from strongroom.services.kms.tables import kms_aliases, kms_keys

AWS_MANAGED_PREFIX = "alias/aws/"
AWS_OWNED_PREFIX = "alias/aws-owned/"
ROTATION_JOB = "kms/rotate-key"  # the rotation module registers its handler
MANAGED_ROTATION_DAYS = 365


@dataclass(frozen=True)
class ManagedService:
    title: str
    via: str  # the service host in kms:ViaService (EBS keys are used through EC2)


AWS_MANAGED_SERVICES: dict[str, ManagedService] = {
    "acm": ManagedService("AWS Certificate Manager", "acm"),
    "backup": ManagedService("AWS Backup", "backup"),
    "cloudtrail": ManagedService("AWS CloudTrail", "cloudtrail"),
    "dynamodb": ManagedService("Amazon DynamoDB", "dynamodb"),
    "ebs": ManagedService("Amazon EBS", "ec2"),
    "elasticfilesystem": ManagedService("Amazon Elastic File System", "elasticfilesystem"),
    "es": ManagedService("Amazon OpenSearch Service", "es"),
    "glue": ManagedService("AWS Glue", "glue"),
    "kinesis": ManagedService("Amazon Kinesis", "kinesis"),
    "lambda": ManagedService("AWS Lambda", "lambda"),
    "rds": ManagedService("Amazon RDS", "rds"),
    "redshift": ManagedService("Amazon Redshift", "redshift"),
    "s3": ManagedService("Amazon S3", "s3"),
    "secretsmanager": ManagedService("AWS Secrets Manager", "secretsmanager"),
    "sns": ManagedService("Amazon SNS", "sns"),
    "sqs": ManagedService("Amazon SQS", "sqs"),
    "ssm": ManagedService("AWS Systems Manager", "ssm"),
    "xray": ManagedService("AWS X-Ray", "xray"),
}


def managed_service_of(alias_name: str) -> str | None:
    """`ssm` for `alias/aws/ssm` when that is a predefined AWS managed key; else None."""
    if not alias_name.startswith(AWS_MANAGED_PREFIX):
        return None
    service = alias_name[len(AWS_MANAGED_PREFIX) :]
    return service if service in AWS_MANAGED_SERVICES else None


def _new_key(account_id: str, region: str, now: datetime, **fields: object) -> Key:
    key_id = new_key_id()
    base = Key(
        account_id=account_id,
        region=region,
        key_id=key_id,
        arn=key_arn(account_id, region, key_id),
        description="",
        key_usage="ENCRYPT_DECRYPT",
        key_spec="SYMMETRIC_DEFAULT",
        origin="AWS_KMS",
        key_manager="AWS",
        aws_owned=False,
        state=KeyState.ENABLED.value,
        created_at=now,
        deletion_date=None,
        pending_window_days=None,
        policy="",
        multi_region=False,
        multi_region_key_type=None,
        primary_region=None,
        rotation_enabled=False,
        rotation_period_days=None,
        next_rotation_at=None,
        valid_to=None,
        expiration_model=None,
        custom_key_store_id=None,
        xks_key_id=None,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def ensure_aws_managed_key(kernel: Kernel, account_id: str, region: str, service: str) -> None:
    """Create `alias/aws/<service>` and its key in this account and region unless they exist."""
    alias_name = AWS_MANAGED_PREFIX + service
    with kernel.db.write() as conn:
        kernel.db.lock(conn, f"kms:aws-managed:{account_id}:{region}:{alias_name}")
        if find_alias_target(conn, account_id, region, alias_name) is not None:
            return
        now = kernel.clock.now()
        info = AWS_MANAGED_SERVICES[service]
        key = _new_key(
            account_id,
            region,
            now,
            description=f"Default key that protects my {service.upper()} resources "
            "when no other key is defined",
            policy=aws_managed_key_policy(account_id, region, info.via, info.title),
            rotation_enabled=True,
            rotation_period_days=MANAGED_ROTATION_DAYS,
            next_rotation_at=now + timedelta(days=MANAGED_ROTATION_DAYS),
        )
        _create(conn, kernel, key, now)
        conn.execute(
            kms_aliases.insert().values(
                account_id=account_id,
                region=region,
                alias_name=alias_name,
                key_id=key.key_id,
                created_at=now,
                updated_at=now,
            )
        )
        Scheduler.schedule(
            conn, ROTATION_JOB, f"{account_id}/{region}/{key.key_id}", key.next_rotation_at or now
        )


def _owned_description(service: str) -> str:
    return f"AWS owned key of {service}"


def owning_service(key: Key) -> str | None:
    """The service an AWS owned key belongs to (None for any other key)."""
    prefix = _owned_description("")
    return key.description[len(prefix) :] if key.aws_owned and key.description.startswith(prefix) else None


def aws_owned_key(kernel: Kernel, account_id: str, region: str, service: str) -> Key:
    """The key `service` owns for this account and region, created on first use."""
    description = _owned_description(service)
    with kernel.db.write() as conn:
        kernel.db.lock(conn, f"kms:aws-owned:{account_id}:{region}:{service}")
        key_id = conn.execute(
            select(kms_keys.c.key_id).where(
                kms_keys.c.account_id == account_id,
                kms_keys.c.region == region,
                kms_keys.c.aws_owned.is_(True),
                kms_keys.c.description == description,
            )
        ).scalar()
        if key_id is not None:
            found = find_key(conn, account_id, region, str(key_id))
            assert found is not None
            return found
        now = kernel.clock.now()
        key = _new_key(account_id, region, now, description=description, aws_owned=True, policy="{}")
        _create(conn, kernel, key, now)
        return key


def _create(conn: Connection, kernel: Kernel, key: Key, now: datetime) -> None:
    insert_key(conn, key)
    add_material(conn, kernel.root, key, generate_key_material(key.key_spec), now=now)
