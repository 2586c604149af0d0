"""`validate` answers from compiled per-shape checks; they must agree with the full walk.

`validate` only words errors when its compiled check rejects a request, so a check that passed
a broken request would let it through silently. Every operation of a few services is checked
with valid examples and with each member broken in turn, against `validation_errors`.
"""

from __future__ import annotations

import copy
import functools
import random
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel, Shape
from shape_examples import example_input

from strongroom.aws.errors import ValidationError
from strongroom.aws.validation import validate, validation_errors

SERVICES = ("kms", "ssm", "secretsmanager", "acm", "dynamodb", "events")


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def agrees(shape: Shape, params: Any) -> None:
    errors = validation_errors(shape, params)
    try:
        validate(shape, params)
    except ValidationError:
        assert errors, f"rejected although valid: {params!r}"
    else:
        assert not errors, f"accepted although {errors}"


_BREAKERS: list[Any] = [None, "", "x" * 70_000, -(2**40), 2**40, [], [None], {"": None}, {"": "v"}, b"", 3.5]


def broken_variants(value: Any, rng: random.Random, depth: int = 0) -> list[Any]:
    """Copies of `value` with one member or item replaced by something likely to break a constraint."""
    variants: list[Any] = []
    if depth > 6:
        return variants
    if isinstance(value, dict):
        for key in list(value)[:12]:
            for breaker in rng.sample(_BREAKERS, 3):
                changed = dict(value)
                changed[key] = copy.deepcopy(breaker)
                variants.append(changed)
            for inner in broken_variants(value[key], rng, depth + 1)[:6]:
                changed = dict(value)
                changed[key] = inner
                variants.append(changed)
    elif isinstance(value, list) and value:
        variants.append([*value, None])
        variants.append(value * 200)
        for inner in broken_variants(value[0], rng, depth + 1)[:6]:
            variants.append([inner, *value[1:]])
    elif isinstance(value, str):
        variants.extend(["", value * 5000, "\x00", value + "\u00e9\U0001f600"])
    elif isinstance(value, int | float) and not isinstance(value, bool):
        variants.extend([value - 10**9, value + 10**9, 0])
    return variants


@pytest.mark.parametrize("service", SERVICES)
def test_compiled_checks_agree_with_the_full_walk(service: str) -> None:
    service_model = model(service)
    rng = random.Random(service)
    for name in service_model.operation_names:
        shape = service_model.operation_model(name).input_shape
        if shape is None:
            continue
        for seed, fill in ((0, True), (1, False)):
            example = example_input(service_model.operation_model(name), seed=seed, fill_optional=fill)
            agrees(shape, example)
            for variant in broken_variants(example, rng):
                agrees(shape, variant)


def test_recursive_shapes_are_checked_at_every_depth() -> None:
    shape = model("dynamodb").operation_model("PutItem").input_shape
    nested: dict[str, Any] = {"S": "leaf"}
    for level in range(30):
        nested = {"M": {"k": nested}} if level % 2 else {"L": [nested]}
    agrees(shape, {"TableName": "table", "Item": {"a": nested}})
    bad = {"TableName": "table", "Item": {"a": {"M": {"k": {"L": [{"M": {"": {"S": "x"}}}]}}}}}
    agrees(shape, bad)
    deep_bad: dict[str, Any] = {"L": [{"S": "x"}, None]}
    for _ in range(12):
        deep_bad = {"M": {"k": deep_bad}}
    agrees(shape, {"TableName": "table", "Item": {"a": deep_bad}})
    agrees(shape, {"TableName": "t" * 2000, "Item": {"a": nested}})
