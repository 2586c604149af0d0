"""Staging-label moves, as pure functions on a label map (label → version id).

The rules AWS applies: a label is on at most one version; moving AWSCURRENT puts AWSPREVIOUS on
the version that had it; AWSCURRENT can be moved but never just removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from strongroom.services.secretsmanager.errors import invalid_parameter
from strongroom.services.secretsmanager.records import CURRENT, PREVIOUS

Labels = dict[str, str]


def attach(labels: Labels, version_id: str, stages: Iterable[str]) -> Labels:
    """Put each stage on `version_id`, taking it from wherever it was."""
    after = dict(labels)
    for stage in stages:
        old = after.get(stage)
        after[stage] = version_id
        if stage == CURRENT and old is not None and old != version_id:
            after[PREVIOUS] = old
    return after


def move(labels: Labels, stage: str, remove_from: str | None, move_to: str | None) -> Labels:
    """UpdateSecretVersionStage: move or remove one label, checking what the caller said."""
    holder = labels.get(stage)
    if remove_from is not None and holder != remove_from:
        raise invalid_parameter(
            f"The staging label {stage} is not attached to version {remove_from}, "
            "so you can't remove it from that version."
        )
    if move_to is None:
        if remove_from is None:
            raise invalid_parameter("You must specify MoveToVersionId or RemoveFromVersionId.")
        if stage == CURRENT:
            raise invalid_parameter(
                "You can't remove the staging label AWSCURRENT from a version without moving it "
                "to another version: specify MoveToVersionId."
            )
        after = dict(labels)
        del after[stage]
        return after
    if holder is not None and holder != move_to and remove_from is None:
        raise invalid_parameter(
            f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently "
            f"attached to version {holder}, so you must explicitly reference that version in "
            "RemoveFromVersionId."
        )
    return attach(labels, move_to, [stage])
