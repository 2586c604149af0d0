"""Parameter Store's service settings: the default tier and high throughput, per account and region.

A setting is named by its path (`/ssm/parameter-store/default-parameter-tier`) or its ARN
(`arn:aws:ssm:<region>:<account>:servicesetting/ssm/parameter-store/...`). Until updated it has
its default value and the status `Default`; an update makes it `Customized`; a reset returns it.
High throughput is recorded as AWS records it; Strongroom applies no per-second request quota to
Parameter Store, so it changes no limit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.services.ssm import errors, tiers
from strongroom.services.ssm.parameters import Scope
from strongroom.services.ssm.tables import ssm_service_settings

DEFAULT_TIER = "/ssm/parameter-store/default-parameter-tier"
HIGH_THROUGHPUT = "/ssm/parameter-store/high-throughput-enabled"
_DEFINITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    DEFAULT_TIER: (tiers.STANDARD, tiers.TIERS),
    HIGH_THROUGHPUT: ("false", ("true", "false")),
}
_ARN = re.compile(r"arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):servicesetting(/.+)")
_S = ssm_service_settings.c


@dataclass(frozen=True)
class Setting:
    setting_id: str
    value: str
    status: str
    modified_at: datetime | None
    modified_by: str

    def describe(self, arn: str, now: datetime) -> dict[str, Any]:
        return {
            "SettingId": self.setting_id,
            "SettingValue": self.value,
            "LastModifiedDate": self.modified_at or now,
            "LastModifiedUser": self.modified_by,
            "ARN": arn,
            "Status": self.status,
        }


def setting_path(setting_id: str, scope: Scope) -> str:
    """The path of a setting named by path or ARN; ServiceSettingNotFound for anything else."""
    match = _ARN.fullmatch(setting_id)
    if match is not None:
        if match[1] != scope.region or match[2] != scope.account_id:
            raise errors.setting_not_found()
        setting_id = match[3]
    if setting_id not in _DEFINITIONS:
        raise errors.setting_not_found()
    return setting_id


def setting_arn(path: str, scope: Scope) -> str:
    return f"arn:aws:ssm:{scope.region}:{scope.account_id}:servicesetting{path}"


def read(conn: Connection, scope: Scope, path: str) -> Setting:
    row = conn.execute(
        select(ssm_service_settings).where(
            _S.account_id == scope.account_id, _S.region == scope.region, _S.setting_id == path
        )
    ).first()
    if row is None:
        return Setting(path, _DEFINITIONS[path][0], "Default", None, "System")
    return Setting(path, row.value, "Customized", row.modified_at, row.modified_by)


def write(conn: Connection, scope: Scope, path: str, value: str, now: datetime, user: str) -> None:
    allowed = _DEFINITIONS[path][1]
    if value not in allowed:
        raise errors.validation(
            f"The value {value} isn't valid for the service setting {path}. "
            f"Valid values: {', '.join(allowed)}."
        )
    changed = conn.execute(
        update(ssm_service_settings)
        .where(_S.account_id == scope.account_id, _S.region == scope.region, _S.setting_id == path)
        .values(value=value, modified_at=now, modified_by=user)
    )
    if changed.rowcount == 0:
        conn.execute(
            insert(ssm_service_settings).values(
                account_id=scope.account_id,
                region=scope.region,
                setting_id=path,
                value=value,
                modified_at=now,
                modified_by=user,
            )
        )


def reset(conn: Connection, scope: Scope, path: str) -> None:
    conn.execute(
        delete(ssm_service_settings).where(
            _S.account_id == scope.account_id, _S.region == scope.region, _S.setting_id == path
        )
    )


def default_tier(conn: Connection, scope: Scope) -> str:
    return read(conn, scope, DEFAULT_TIER).value
