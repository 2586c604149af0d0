"""Labels on parameter versions, with AWS's rules.

A label is up to 100 letters (case-sensitive), digits, `.`, `-` and `_`; it may not begin with a
digit, `aws` or `ssm` (any case). A label names one version of a parameter at a time: labelling
another version moves it. A version holds at most 10 labels. Labels a request cannot apply are
answered in InvalidLabels; the others are applied.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.services.ssm import errors
from strongroom.services.ssm.parameters import Scope
from strongroom.services.ssm.tables import ssm_parameter_labels

MAX_LABELS_PER_VERSION = 10
_LABEL = re.compile(r"[a-zA-Z0-9_.\-]{1,100}")
_L = ssm_parameter_labels.c


def is_valid(label: str) -> bool:
    lowered = label.lower()
    return (
        _LABEL.fullmatch(label) is not None
        and not label[0].isdigit()
        and not lowered.startswith(("aws", "ssm"))
    )


def attach(conn: Connection, scope: Scope, name: str, version: int, labels: list[str]) -> list[str]:
    """Label `version`; returns the invalid labels. Raises when the version would hold more than 10."""
    valid = list(dict.fromkeys(label for label in labels if is_valid(label)))
    invalid = [label for label in dict.fromkeys(labels) if not is_valid(label)]
    current = dict(
        conn.execute(
            select(_L.label, _L.version).where(
                _L.account_id == scope.account_id, _L.region == scope.region, _L.name == name
            )
        ).all()
    )
    on_version = {label for label, v in current.items() if v == version}
    if len(on_version | set(valid)) > MAX_LABELS_PER_VERSION:
        raise errors.label_limit()
    for label in valid:
        if label not in current:
            conn.execute(
                insert(ssm_parameter_labels).values(
                    account_id=scope.account_id, region=scope.region, name=name, label=label, version=version
                )
            )
        elif current[label] != version:
            conn.execute(
                update(ssm_parameter_labels)
                .where(
                    _L.account_id == scope.account_id,
                    _L.region == scope.region,
                    _L.name == name,
                    _L.label == label,
                )
                .values(version=version)
            )
    return invalid


def detach(
    conn: Connection, scope: Scope, name: str, version: int, labels: list[str]
) -> tuple[list[str], list[str]]:
    """Remove labels from `version`: (removed, invalid — labels that version does not carry)."""
    removed: list[str] = []
    invalid: list[str] = []
    for label in dict.fromkeys(labels):
        gone = conn.execute(
            delete(ssm_parameter_labels).where(
                _L.account_id == scope.account_id,
                _L.region == scope.region,
                _L.name == name,
                _L.label == label,
                _L.version == version,
            )
        )
        (removed if gone.rowcount else invalid).append(label)
    return removed, invalid
