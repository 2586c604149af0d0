"""Input, InputPath and InputTransformer, on the examples of "Amazon EventBridge input transformation"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.core.events.transform import InvalidTransform, check_template, render_input, resolve_path

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "tags": ["a", "b"], "n": 7},
}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state"}


def render(template: str, paths: dict[str, str] = PATHS) -> str:
    return render_input(
        EVENT,
        input_text=None,
        input_path=None,
        transformer={"InputPathsMap": paths, "InputTemplate": template},
        rule_arn="arn:aws:events:us-east-1:123456789012:rule/r",
        rule_name="r",
        ingestion_time="2015-11-11T21:29:55Z",
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # The documentation's examples, verbatim:
        ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
        ("instance <instance> is in <state>", "instance i-0123456789 is in RUNNING"),
        (
            '{"instance" : <instance>, "state": [9, <state>, true], "Transformed" : "Yes"}',
            '{"instance" : "i-0123456789", "state": [9, "RUNNING", true], "Transformed" : "Yes"}',
        ),
        ('"<instance> is in state \\"<state>\\""', '"i-0123456789 is in state \\"RUNNING\\""'),
        (
            '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<state>\\""}',
            '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
        ),
        # Predefined variables:
        (
            '{"rule": "<aws.events.rule-name>", "at": "<aws.events.event.ingestion-time>"}',
            '{"rule": "r", "at": "2015-11-11T21:29:55Z"}',
        ),
        ('{"arn": <aws.events.rule-arn>}', '{"arn": "arn:aws:events:us-east-1:123456789012:rule/r"}'),
        # Unknown placeholders stay as written:
        ("<nothing> here", "<nothing> here"),
    ],
)
def test_input_template_output_is_exact(template: str, expected: str) -> None:
    assert render(template) == expected


def test_values_that_are_not_strings_keep_their_json_type() -> None:
    paths = {"tags": "$.detail.tags", "n": "$.detail.n", "missing": "$.detail.nope", "detail": "$.detail"}
    out = json.loads(render('{"t": <tags>, "n": <n>, "m": <missing>, "s": "<n>", "d": <detail>}', paths))
    assert out == {"t": ["a", "b"], "n": 7, "m": None, "s": "7", "d": EVENT["detail"]}


def test_whole_event_variables() -> None:
    out = json.loads(render('{"e": <aws.events.event>, "j": <aws.events.event.json>}'))
    assert out["j"] == EVENT
    assert "detail" not in out["e"] and out["e"]["id"] == EVENT["id"]


def test_strings_with_quotes_are_escaped_inside_json_strings() -> None:
    event = {**EVENT, "detail": {"msg": 'say "hi"\n'}}
    out = render_input(
        event,
        input_text=None,
        input_path=None,
        transformer={"InputPathsMap": {"m": "$.detail.msg"}, "InputTemplate": '{"a": "<m>", "b": <m>}'},
        rule_arn="",
        rule_name="",
        ingestion_time="",
    )
    assert json.loads(out) == {"a": 'say "hi"\n', "b": 'say "hi"\n'}


def test_input_and_input_path() -> None:
    common: dict[str, Any] = {"rule_arn": "", "rule_name": "", "ingestion_time": "", "transformer": None}
    assert render_input(EVENT, input_text='{"fixed": 1}', input_path=None, **common) == '{"fixed": 1}'
    assert render_input(EVENT, input_text=None, input_path="$.detail.state", **common) == '"RUNNING"'
    assert json.loads(render_input(EVENT, input_text=None, input_path=None, **common)) == EVENT


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", EVENT),
        ("$.detail.state", "RUNNING"),
        ("$.resources[0]", EVENT["resources"][0]),
        ("$.detail.tags[1]", "b"),
        ("$.detail.tags[5]", None),
        ("$.detail.nope.deeper", None),
        ("$.detail.tags[*]", ["a", "b"]),
    ],
)
def test_json_paths(path: str, expected: Any) -> None:
    assert resolve_path(EVENT, path) == expected


@pytest.mark.parametrize(
    ("paths", "template"),
    [
        ({"x": "detail.state"}, "<x>"),  # not rooted at $
        ({"x": "$..state"}, "<x>"),  # recursive descent is not supported
        ({"x": "$.detail['state']"}, "<x>"),  # bracket notation is not supported
        ({"aws.mine": "$.detail"}, "<aws.mine>"),  # reserved prefix
        ({"x": "$.detail"}, '{"a": <x>'),  # not valid JSON
        ({"x": "$.detail"}, "{<x>: 1}"),  # a placeholder as a key
    ],
)
def test_invalid_transformers(paths: dict[str, str], template: str) -> None:
    with pytest.raises(InvalidTransform):
        check_template(paths, template)
