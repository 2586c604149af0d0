"""The account as IAM reports it: its summary of counts and quotas, and its alias.

An alias is unique across the installation and an account has at most one: creating another
replaces it. Aliases are kept in the kernel's settings table, keyed both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from strongroom.core.iam.tables import accounts, iam_access_keys
from strongroom.core.store.settings import get_setting, kernel_settings, put_setting
from strongroom.services.iam import policies, roles, users
from strongroom.services.iam.access_keys import MAX_KEYS_PER_USER
from strongroom.services.iam.attachments import MAX_ATTACHED
from strongroom.services.iam.documents import (
    MANAGED_POLICY_QUOTA,
    ROLE_INLINE_QUOTA,
    TRUST_POLICY_QUOTA,
    USER_INLINE_QUOTA,
)
from strongroom.services.iam.errors import already_exists, no_such_entity
from strongroom.services.iam.policies import MAX_VERSIONS

_QUOTAS = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "ServerCertificatesQuota": 20,
    "UserPolicySizeQuota": USER_INLINE_QUOTA,
    "GroupPolicySizeQuota": 5120,
    "GroupsPerUserQuota": 10,
    "SigningCertificatesPerUserQuota": 2,
    "AccessKeysPerUserQuota": MAX_KEYS_PER_USER,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": MAX_ATTACHED,
    "AttachedPoliciesPerUserQuota": MAX_ATTACHED,
    "PoliciesQuota": 1500,
    "PolicySizeQuota": MANAGED_POLICY_QUOTA,
    "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": MAX_VERSIONS,
    "AssumeRolePolicySizeQuota": TRUST_POLICY_QUOTA,
    "InstanceProfilesQuota": 1000,
    "RolePolicySizeQuota": ROLE_INLINE_QUOTA,
    "RolesQuota": 1000,
    "GlobalEndpointTokenVersion": 1,
}


def summary(conn: Connection, account_id: str) -> dict[str, int]:
    root_keys = conn.execute(
        select(func.count())
        .select_from(iam_access_keys)
        .where(iam_access_keys.c.account_id == account_id, iam_access_keys.c.user_name_key.is_(None))
    ).scalar_one()
    counts: dict[str, Any] = {
        "Users": users.count(conn, account_id),
        "Roles": roles.count(conn, account_id),
        "Policies": policies.count(conn, account_id),
        "PolicyVersionsInUse": policies.versions_in_use(conn, account_id),
        "Groups": 0,
        "ServerCertificates": 0,
        "MFADevices": 0,
        "MFADevicesInUse": 0,
        "AccountMFAEnabled": 0,
        "AccountAccessKeysPresent": 1 if root_keys else 0,
        "AccountPasswordPresent": 0,
        "AccountSigningCertificatesPresent": 0,
        "InstanceProfiles": 0,
        "Providers": 0,
    }
    return {**counts, **_QUOTAS}


def _owner_key(alias: str) -> str:
    return f"iam.alias-owner:{alias}"


def _alias_key(account_id: str) -> str:
    return f"iam.account-alias:{account_id}"


def aliases(conn: Connection, account_id: str) -> list[str]:
    alias = get_setting(conn, _alias_key(account_id))
    return [alias] if alias else []


def create_alias(conn: Connection, account_id: str, alias: str) -> None:
    owner = get_setting(conn, _owner_key(alias))
    if owner is not None and owner != account_id:
        raise already_exists(f"The account alias {alias} already exists.")
    for previous in aliases(conn, account_id):
        _delete_setting(conn, _owner_key(previous))
    put_setting(conn, _owner_key(alias), account_id)
    put_setting(conn, _alias_key(account_id), alias)


def delete_alias(conn: Connection, account_id: str, alias: str) -> None:
    if alias not in aliases(conn, account_id):
        raise no_such_entity(f"The account alias {alias} cannot be found.")
    _delete_setting(conn, _owner_key(alias))
    _delete_setting(conn, _alias_key(account_id))


def _delete_setting(conn: Connection, name: str) -> None:
    conn.execute(delete(kernel_settings).where(kernel_settings.c.name == name))


def created_at(conn: Connection, account_id: str) -> datetime | None:
    value = conn.execute(select(accounts.c.created_at).where(accounts.c.account_id == account_id)).scalar()
    return value if isinstance(value, datetime) else None
