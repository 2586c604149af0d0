"""Staging-label moves follow AWS's rules."""

from __future__ import annotations

import pytest

from strongroom.aws.errors import ServiceError
from strongroom.services.secretsmanager.staging import attach, move


def test_new_current_pushes_previous() -> None:
    labels = attach({"AWSCURRENT": "v1", "AWSPREVIOUS": "v0"}, "v2", ["AWSCURRENT"])
    assert labels == {"AWSCURRENT": "v2", "AWSPREVIOUS": "v1"}


def test_move_needs_remove_from_when_attached() -> None:
    with pytest.raises(ServiceError) as info:
        move({"AWSCURRENT": "v1"}, "AWSCURRENT", None, "v2")
    assert "RemoveFromVersionId" in info.value.message
    assert move({"AWSCURRENT": "v1"}, "AWSCURRENT", "v1", "v2") == {"AWSCURRENT": "v2", "AWSPREVIOUS": "v1"}


def test_remove_wrong_version_and_current() -> None:
    with pytest.raises(ServiceError):
        move({"blue": "v1"}, "blue", "v2", None)
    with pytest.raises(ServiceError):
        move({"AWSCURRENT": "v1"}, "AWSCURRENT", "v1", None)
    assert move({"blue": "v1", "AWSCURRENT": "v1"}, "blue", "v1", None) == {"AWSCURRENT": "v1"}


def test_new_custom_label() -> None:
    assert move({"AWSCURRENT": "v1"}, "green", None, "v0") == {"AWSCURRENT": "v1", "green": "v0"}
