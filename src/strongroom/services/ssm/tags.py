"""Tags on parameters: at most 50 per parameter; keys unique, values replaced on re-tagging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, insert, select, update

from strongroom.services.ssm import errors
from strongroom.services.ssm.parameters import Scope
from strongroom.services.ssm.tables import ssm_parameter_tags

MAX_TAGS = 50
_T = ssm_parameter_tags.c


def tag_map(tag_list: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tag_list or []}


_A: BindParameter[str] = bindparam("a")
_R: BindParameter[str] = bindparam("r")
_N: BindParameter[str] = bindparam("n")
_OF = select(_T.key, _T.value).where(_T.account_id == _A, _T.region == _R, _T.name == _N).order_by(_T.key)


def of(conn: Connection, scope: Scope, name: str) -> dict[str, str]:
    rows = conn.execute(_OF, {"a": scope.account_id, "r": scope.region, "n": name})
    return {row.key: row.value for row in rows}


def of_many(conn: Connection, scope: Scope) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        select(_T.name, _T.key, _T.value).where(_T.account_id == scope.account_id, _T.region == scope.region)
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.name, {})[row.key] = row.value
    return found


def put(conn: Connection, scope: Scope, name: str, new: dict[str, str]) -> None:
    current = of(conn, scope, name)
    if len(set(current) | set(new)) > MAX_TAGS:
        raise errors.too_many_tags()
    for key, value in new.items():
        if key not in current:
            conn.execute(
                insert(ssm_parameter_tags).values(
                    account_id=scope.account_id, region=scope.region, name=name, key=key, value=value
                )
            )
        elif current[key] != value:
            conn.execute(
                update(ssm_parameter_tags)
                .where(
                    _T.account_id == scope.account_id,
                    _T.region == scope.region,
                    _T.name == name,
                    _T.key == key,
                )
                .values(value=value)
            )


def remove(conn: Connection, scope: Scope, name: str, keys: list[str]) -> None:
    if keys:
        conn.execute(
            delete(ssm_parameter_tags).where(
                _T.account_id == scope.account_id,
                _T.region == scope.region,
                _T.name == name,
                _T.key.in_(keys),
            )
        )


def as_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
