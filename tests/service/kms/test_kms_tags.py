"""TagResource, UntagResource, ListResourceTags end to end."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import UserFactory, error_code


def test_tag_untag_list(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(
        KeyId=key["KeyId"], Tags=[{"TagKey": "b", "TagValue": "2"}, {"TagKey": "a", "TagValue": "1"}]
    )
    kms.tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "a", "TagValue": "changed"}])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
        {"TagKey": "a", "TagValue": "changed"},
        {"TagKey": "b", "TagValue": "2"},
    ]
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["a", "not-there"])
    out = kms.list_resource_tags(KeyId=key["KeyId"])
    assert out["Tags"] == [{"TagKey": "b", "TagValue": "2"}] and out["Truncated"] is False


def test_reserved_and_duplicate_tags(kms: Any, key: dict[str, Any]) -> None:
    for tags in (
        [{"TagKey": "aws:x", "TagValue": "1"}],
        [{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}],
    ):
        with pytest.raises(ClientError) as err:
            kms.tag_resource(KeyId=key["KeyId"], Tags=tags)
        assert error_code(err) == "TagException"
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == []


def test_fifty_tags_at_most(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)])
    with pytest.raises(ClientError) as err:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "one-more", "TagValue": "v"}])
    assert error_code(err) == "LimitExceededException"
    page = kms.list_resource_tags(KeyId=key["KeyId"], Limit=10)
    assert len(page["Tags"]) == 10 and page["Truncated"] is True
    rest = kms.list_resource_tags(KeyId=key["KeyId"], Limit=50, Marker=page["NextMarker"])
    assert len(rest["Tags"]) == 40 and rest["Truncated"] is False


def test_tagging_a_missing_key(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.tag_resource(
            KeyId="11111111-2222-3333-4444-555555555555", Tags=[{"TagKey": "a", "TagValue": "b"}]
        )
    assert error_code(err) == "NotFoundException"


def test_request_tag_conditions(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user(
        {
            "Effect": "Allow",
            "Action": "kms:TagResource",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
        }
    )
    user["kms"].tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "team", "TagValue": "x"}])
    with pytest.raises(ClientError) as err:
        user["kms"].tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "cost", "TagValue": "x"}])
    assert error_code(err) == "AccessDeniedException"
