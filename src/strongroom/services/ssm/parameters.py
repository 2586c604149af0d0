"""Reading and writing parameters and their versions (one account and region at a time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, and_, bindparam, delete, func, insert, select, update

from strongroom.services.ssm import errors
from strongroom.services.ssm.names import Selector
from strongroom.services.ssm.policies import Policy, load
from strongroom.services.ssm.tables import (
    ssm_parameter_labels,
    ssm_parameter_tags,
    ssm_parameter_versions,
    ssm_parameters,
)

MAX_VERSIONS = 100

_P, _V, _L = ssm_parameters.c, ssm_parameter_versions.c, ssm_parameter_labels.c


@dataclass(frozen=True)
class Scope:
    account_id: str
    region: str


@dataclass(frozen=True)
class Version:
    """One version of a parameter, as stored."""

    name: str
    version: int
    type: str
    value: str | None
    ciphertext: bytes | None
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    data_type: str
    tier: str
    policies: list[Policy]
    modified_at: datetime
    modified_by: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> Version:
        return cls(
            name=row.name,
            version=row.version,
            type=row.type,
            value=row.value,
            ciphertext=bytes(row.ciphertext) if row.ciphertext is not None else None,
            key_id=row.key_id,
            description=row.description,
            allowed_pattern=row.allowed_pattern,
            data_type=row.data_type,
            tier=row.tier,
            policies=load(row.policies),
            modified_at=row.modified_at,
            modified_by=row.modified_by,
        )


def _of(scope: Scope, name: str) -> list[Any]:
    return [_V.account_id == scope.account_id, _V.region == scope.region, _V.name == name]


_A: BindParameter[str] = bindparam("a")
_R: BindParameter[str] = bindparam("r")
_N: BindParameter[str] = bindparam("n")
_VERSION_NUMBER: BindParameter[int] = bindparam("v")
_LABEL: BindParameter[str] = bindparam("l")
# The reads of GetParameter's selectors, built once (their parameters bound per call).
_PARAMETER = select(ssm_parameters).where(_P.account_id == _A, _P.region == _R, _P.name == _N)
_PARAMETER_FOR_UPDATE = _PARAMETER.with_for_update()


def find_parameter(conn: Connection, scope: Scope, name: str, *, for_update: bool = False) -> Row[Any] | None:
    query = _PARAMETER_FOR_UPDATE if for_update else _PARAMETER
    return conn.execute(query, {"a": scope.account_id, "r": scope.region, "n": name}).first()


_LATEST = (
    select(ssm_parameter_versions)
    .join(
        ssm_parameters,
        and_(
            _P.account_id == _V.account_id,
            _P.region == _V.region,
            _P.name == _V.name,
            _P.latest_version == _V.version,
        ),
    )
    .where(_V.account_id == _A, _V.region == _R, _V.name == _N)
)


def latest(conn: Connection, scope: Scope, name: str) -> Version | None:
    row = conn.execute(_LATEST, {"a": scope.account_id, "r": scope.region, "n": name}).first()
    return Version.from_row(row) if row is not None else None


_VERSION = select(ssm_parameter_versions).where(
    _V.account_id == _A, _V.region == _R, _V.name == _N, _V.version == _VERSION_NUMBER
)
_LABELLED = (
    select(ssm_parameter_versions)
    .join(
        ssm_parameter_labels,
        and_(
            _L.account_id == _V.account_id,
            _L.region == _V.region,
            _L.name == _V.name,
            _L.version == _V.version,
        ),
    )
    .where(_V.account_id == _A, _V.region == _R, _V.name == _N, _L.label == _LABEL)
)


def find_version(conn: Connection, scope: Scope, name: str, version: int) -> Version | None:
    bound = {"a": scope.account_id, "r": scope.region, "n": name, "v": version}
    row = conn.execute(_VERSION, bound).first()
    return Version.from_row(row) if row is not None else None


def labelled(conn: Connection, scope: Scope, name: str, label: str) -> Version | None:
    row = conn.execute(_LABELLED, {"a": scope.account_id, "r": scope.region, "n": name, "l": label}).first()
    return Version.from_row(row) if row is not None else None


def resolve(conn: Connection, scope: Scope, selector: Selector) -> Version:
    """The version a GetParameter selector names, or ParameterNotFound / ParameterVersionNotFound."""
    names = [selector.name]
    if selector.from_arn and selector.name.count("/") == 1:
        names.append(selector.name[1:])
    for name in names:
        if selector.version is not None:
            found = find_version(conn, scope, name, selector.version)
            if found is not None:
                return found
            if find_parameter(conn, scope, name) is not None:
                raise errors.version_not_found(name, selector.version)
        elif selector.label is not None:
            found = labelled(conn, scope, name, selector.label)
            if found is not None:
                return found
            if find_parameter(conn, scope, name) is not None:
                raise errors.version_not_found(name, selector.label)
        else:
            found = latest(conn, scope, name)
            if found is not None:
                return found
    raise errors.parameter_not_found()


def history(conn: Connection, scope: Scope, name: str) -> list[Version]:
    rows = conn.execute(select(ssm_parameter_versions).where(*_of(scope, name)).order_by(_V.version))
    return [Version.from_row(r) for r in rows]


def every_latest(conn: Connection, scope: Scope) -> list[Version]:
    """The latest version of every parameter of the account and region, by name."""
    rows = conn.execute(
        select(ssm_parameter_versions)
        .join(
            ssm_parameters,
            and_(
                _P.account_id == _V.account_id,
                _P.region == _V.region,
                _P.name == _V.name,
                _P.latest_version == _V.version,
            ),
        )
        .where(_V.account_id == scope.account_id, _V.region == scope.region)
        .order_by(_V.name)
    )
    return [Version.from_row(r) for r in rows]


def count_in_tier(conn: Connection, scope: Scope, tier: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(ssm_parameters)
            .where(_P.account_id == scope.account_id, _P.region == scope.region, _P.tier == tier)
        ).scalar_one()
    )


def create(conn: Connection, scope: Scope, name: str, tier: str, now: datetime) -> None:
    conn.execute(
        insert(ssm_parameters).values(
            account_id=scope.account_id,
            region=scope.region,
            name=name,
            latest_version=0,
            tier=tier,
            created_at=now,
        )
    )


def add_version(conn: Connection, scope: Scope, version: Version, policies_json: str | None) -> None:
    """Store a new latest version; at 100 versions the oldest goes first, unless a label holds it."""
    existing = (
        conn.execute(select(_V.version).where(*_of(scope, version.name)).order_by(_V.version)).scalars().all()
    )
    if len(existing) >= MAX_VERSIONS:
        oldest = existing[0]
        held = conn.execute(
            select(_L.label).where(
                _L.account_id == scope.account_id,
                _L.region == scope.region,
                _L.name == version.name,
                _L.version == oldest,
            )
        ).first()
        if held is not None:
            raise errors.max_versions(version.name, oldest)
        conn.execute(delete(ssm_parameter_versions).where(*_of(scope, version.name), _V.version == oldest))
    conn.execute(
        insert(ssm_parameter_versions).values(
            account_id=scope.account_id,
            region=scope.region,
            name=version.name,
            version=version.version,
            type=version.type,
            value=version.value,
            ciphertext=version.ciphertext,
            key_id=version.key_id,
            description=version.description,
            allowed_pattern=version.allowed_pattern,
            data_type=version.data_type,
            tier=version.tier,
            policies=policies_json,
            modified_at=version.modified_at,
            modified_by=version.modified_by,
        )
    )
    conn.execute(
        update(ssm_parameters)
        .where(_P.account_id == scope.account_id, _P.region == scope.region, _P.name == version.name)
        .values(latest_version=version.version, tier=version.tier)
    )


def set_policies(conn: Connection, scope: Scope, name: str, version: int, policies_json: str | None) -> None:
    conn.execute(
        update(ssm_parameter_versions)
        .where(*_of(scope, name), _V.version == version)
        .values(policies=policies_json)
    )


def remove(conn: Connection, scope: Scope, name: str) -> bool:
    """Delete a parameter with all its versions, labels and tags; False if there was none."""
    where = [ssm_parameter_tags.c.account_id == scope.account_id, ssm_parameter_tags.c.region == scope.region]
    conn.execute(delete(ssm_parameter_tags).where(*where, ssm_parameter_tags.c.name == name))
    conn.execute(
        delete(ssm_parameter_labels).where(
            _L.account_id == scope.account_id, _L.region == scope.region, _L.name == name
        )
    )
    conn.execute(delete(ssm_parameter_versions).where(*_of(scope, name)))
    gone = conn.execute(
        delete(ssm_parameters).where(
            _P.account_id == scope.account_id, _P.region == scope.region, _P.name == name
        )
    )
    return bool(gone.rowcount)


def labels_by_version(
    conn: Connection, scope: Scope, names: Iterable[str]
) -> dict[tuple[str, int], list[str]]:
    wanted = list(names)
    if not wanted:
        return {}
    rows = conn.execute(
        select(_L.name, _L.version, _L.label)
        .where(_L.account_id == scope.account_id, _L.region == scope.region, _L.name.in_(wanted))
        .order_by(_L.label)
    )
    labels: dict[tuple[str, int], list[str]] = {}
    for row in rows:
        labels.setdefault((row.name, row.version), []).append(row.label)
    return labels
