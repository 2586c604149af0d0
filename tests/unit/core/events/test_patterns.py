"""The pattern matcher against AWS's documented examples, table-driven.

Each group names the AWS documentation page its cases come from (events and patterns are
those pages' examples, or the smallest variation of one that shows a documented corner case).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.core.events.patterns import InvalidEventPattern, compile_pattern, matches

Case = tuple[str, dict[str, Any], dict[str, Any], bool]

# The EC2 example event of "Amazon EventBridge event patterns".
EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def ev(**detail: Any) -> dict[str, Any]:
    """The EC2 example event with its detail replaced."""
    return {**EC2, "detail": detail}


# -- "Amazon EventBridge event patterns" ---------------------------------------------------------

EVENT_PATTERNS: list[Case] = [
    ("source exact", {"source": ["aws.ec2"]}, EC2, True),
    ("source other", {"source": ["aws.s3"]}, EC2, False),
    ("source OR", {"source": ["aws.s3", "aws.ec2"]}, EC2, True),
    ("source OR none", {"source": ["aws.s3", "aws.sns"]}, EC2, False),
    ("detail-type", {"detail-type": ["EC2 Instance State-change Notification"]}, EC2, True),
    ("detail-type case sensitive", {"detail-type": ["ec2 instance state-change notification"]}, EC2, False),
    (
        "fields AND",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
        EC2,
        True,
    ),
    ("fields AND one fails", {"source": ["aws.ec2"], "detail-type": ["Other"]}, EC2, False),
    ("nested state", {"detail": {"state": ["terminated"]}}, EC2, True),
    ("nested state OR", {"detail": {"state": ["running", "terminated"]}}, EC2, True),
    ("nested state other", {"detail": {"state": ["running"]}}, EC2, False),
    ("nested and top", {"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}, EC2, True),
    ("nested missing field", {"detail": {"color": ["red"]}}, EC2, False),
    ("missing top field", {"nothing": ["x"]}, EC2, False),
    ("account", {"account": ["111122223333"]}, EC2, True),
    ("region", {"region": ["us-west-1", "us-east-1"]}, EC2, True),
    ("region not", {"region": ["eu-west-1"]}, EC2, False),
    (
        "resources array contains",
        {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]},
        EC2,
        True,
    ),
    ("resources array not", {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-0"]}, EC2, False),
    ("empty pattern leaf matches nothing", {"source": []}, EC2, False),
    ("exact does not match prefix", {"source": ["aws"]}, EC2, False),
    ("exact is whole value", {"detail": {"state": ["terminate"]}}, EC2, False),
    ("deeply nested", {"detail": {"a": {"b": {"c": ["d"]}}}}, ev(a={"b": {"c": "d"}}), True),
    ("deeply nested other", {"detail": {"a": {"b": {"c": ["d"]}}}}, ev(a={"b": {"c": "e"}}), False),
    ("nested pattern on scalar", {"detail": {"a": {"b": ["x"]}}}, ev(a="x"), False),
    ("number exact", {"detail": {"count": [5]}}, ev(count=5), True),
    ("number exact float", {"detail": {"count": [5.0]}}, ev(count=5), True),
    ("number exponent", {"detail": {"count": [300]}}, ev(count=3e2), True),
    ("number other", {"detail": {"count": [5]}}, ev(count=6), False),
    ("number vs string", {"detail": {"count": [5]}}, ev(count="5"), False),
    ("string vs number", {"detail": {"count": ["5"]}}, ev(count=5), False),
    ("boolean true", {"detail": {"ok": [True]}}, ev(ok=True), True),
    ("boolean false", {"detail": {"ok": [False]}}, ev(ok=True), False),
    ("boolean vs string", {"detail": {"ok": ["true"]}}, ev(ok=True), False),
    ("boolean vs number", {"detail": {"ok": [1]}}, ev(ok=True), False),
    ("unicode exact", {"detail": {"name": ["café"]}}, ev(name="café"), True),
]

# "Matching on event values in arrays" (same page): an array matches when the intersection is non-empty.
ARRAYS: list[Case] = [
    (
        "pattern value in event array",
        {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
        {
            **EC2,
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
            ],
        },
        True,
    ),
    ("intersection of arrays", {"resources": ["a", "b"]}, {**EC2, "resources": ["c", "b"]}, True),
    ("no intersection", {"resources": ["a", "b"]}, {**EC2, "resources": ["c", "d"]}, False),
    ("empty event array", {"resources": ["a"]}, {**EC2, "resources": []}, False),
    ("nested arrays flatten", {"detail": {"v": ["x"]}}, ev(v=[["y"], ["x"]]), True),
    ("array of numbers", {"detail": {"v": [3]}}, ev(v=[1, 2, 3]), True),
    (
        "array of objects",
        {"detail": {"items": {"name": ["b"]}}},
        ev(items=[{"name": "a"}, {"name": "b"}]),
        True,
    ),
    (
        "array of objects none",
        {"detail": {"items": {"name": ["c"]}}},
        ev(items=[{"name": "a"}, {"name": "b"}]),
        False,
    ),
    (
        "array of objects same element",
        {"detail": {"items": {"name": ["a"], "size": [2]}}},
        ev(items=[{"name": "a", "size": 1}, {"name": "b", "size": 2}]),
        False,
    ),
    (
        "array of objects both in one",
        {"detail": {"items": {"name": ["b"], "size": [2]}}},
        ev(items=[{"name": "a", "size": 1}, {"name": "b", "size": 2}]),
        True,
    ),
    ("prefix in array", {"detail": {"v": [{"prefix": "ab"}]}}, ev(v=["x", "abc"]), True),
    ("numeric in array", {"detail": {"v": [{"numeric": [">", 10]}]}}, ev(v=[1, 11]), True),
    ("numeric in array none", {"detail": {"v": [{"numeric": [">", 10]}]}}, ev(v=[1, 2]), False),
]

# "Matching null values and empty strings" (same page).
NULLS: list[Case] = [
    ("null matches null", {"detail": {"responseElements": [None]}}, ev(responseElements=None), True),
    ("null does not match value", {"detail": {"responseElements": [None]}}, ev(responseElements="x"), False),
    ("null does not match missing", {"detail": {"responseElements": [None]}}, ev(), False),
    ("empty string matches empty", {"detail": {"eventVersion": [""]}}, ev(eventVersion=""), True),
    ("empty string not null", {"detail": {"eventVersion": [""]}}, ev(eventVersion=None), False),
    ("null not empty string", {"detail": {"eventVersion": [None]}}, ev(eventVersion=""), False),
    ("empty or null", {"detail": {"eventVersion": ["", None]}}, ev(eventVersion=None), True),
    ("null with prefix alternatives", {"detail": {"v": [None, {"prefix": "a"}]}}, ev(v="ab"), True),
    ("null in array", {"detail": {"v": [None]}}, ev(v=["a", None]), True),
]

# -- "Content filtering in Amazon EventBridge event patterns" --------------------------------------

PREFIX_SUFFIX: list[Case] = [
    ("prefix time", {"time": [{"prefix": "2017-12-22"}]}, EC2, True),
    ("prefix time other day", {"time": [{"prefix": "2017-10-02"}]}, EC2, False),
    ("prefix whole value", {"source": [{"prefix": "aws.ec2"}]}, EC2, True),
    ("prefix empty string", {"source": [{"prefix": ""}]}, EC2, True),
    ("prefix not on numbers", {"detail": {"n": [{"prefix": "1"}]}}, ev(n=12), False),
    (
        "prefix case sensitive",
        {"detail": {"service": [{"prefix": "eventb"}]}},
        ev(service="EventBridge"),
        False,
    ),
    (
        "prefix ignore case",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        ev(service="EVENTBRIDGE"),
        True,
    ),
    (
        "prefix ignore case lower",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        ev(service="eventbus"),
        True,
    ),
    (
        "prefix ignore case other",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        ev(service="SNS"),
        False,
    ),
    ("suffix png", {"detail": {"FileName": [{"suffix": ".png"}]}}, ev(FileName="image.png"), True),
    ("suffix png other", {"detail": {"FileName": [{"suffix": ".png"}]}}, ev(FileName="image.jpg"), False),
    (
        "suffix case sensitive",
        {"detail": {"FileName": [{"suffix": ".png"}]}},
        ev(FileName="image.PNG"),
        False,
    ),
    (
        "suffix ignore case",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        ev(FileName="image.PNG"),
        True,
    ),
    (
        "suffix ignore case other",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        ev(FileName="a.gif"),
        False,
    ),
    ("suffix not on numbers", {"detail": {"n": [{"suffix": "2"}]}}, ev(n=12), False),
    ("prefix OR suffix", {"detail": {"f": [{"prefix": "img"}, {"suffix": ".png"}]}}, ev(f="a.png"), True),
    ("prefix missing field", {"detail": {"f": [{"prefix": "a"}]}}, ev(), False),
]

ANYTHING_BUT: list[Case] = [
    (
        "anything-but string",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        ev(state="running"),
        True,
    ),
    (
        "anything-but string equal",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        ev(state="initializing"),
        False,
    ),
    ("anything-but number", {"detail": {"x-limit": [{"anything-but": 123}]}}, ev(**{"x-limit": 456}), True),
    (
        "anything-but number equal",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        ev(**{"x-limit": 123}),
        False,
    ),
    (
        "anything-but list",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        ev(state="running"),
        True,
    ),
    (
        "anything-but list hit",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        ev(state="stopped"),
        False,
    ),
    (
        "anything-but number list",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        ev(**{"x-limit": 150}),
        True,
    ),
    (
        "anything-but number list hit",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        ev(**{"x-limit": 200}),
        False,
    ),
    (
        "anything-but number list float",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        ev(**{"x-limit": 200.0}),
        False,
    ),
    ("anything-but missing field", {"detail": {"state": [{"anything-but": "initializing"}]}}, ev(), False),
    (
        "anything-but case sensitive",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        ev(state="INITIALIZING"),
        True,
    ),
    ("anything-but string vs number", {"detail": {"state": [{"anything-but": "5"}]}}, ev(state=5), True),
    (
        "anything-but prefix",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        ev(state="running"),
        True,
    ),
    (
        "anything-but prefix hit",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        ev(state="initializing"),
        False,
    ),
    (
        "anything-but prefix region",
        {"detail": {"Region": [{"anything-but": {"prefix": "us-"}}]}},
        ev(Region="eu-west-1"),
        True,
    ),
    (
        "anything-but prefix region us",
        {"detail": {"Region": [{"anything-but": {"prefix": "us-"}}]}},
        ev(Region="us-east-1"),
        False,
    ),
    (
        "anything-but prefix list",
        {"detail": {"s": [{"anything-but": {"prefix": ["a", "b"]}}]}},
        ev(s="bc"),
        False,
    ),
    (
        "anything-but suffix",
        {"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}},
        ev(FileName="a.txt"),
        True,
    ),
    (
        "anything-but suffix hit",
        {"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}},
        ev(FileName="a.png"),
        False,
    ),
    (
        "anything-but ignore case",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        ev(state="INITIALIZING"),
        False,
    ),
    (
        "anything-but ignore case other",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        ev(state="running"),
        True,
    ),
    (
        "anything-but ignore case list",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "Overloaded"]}}]}},
        ev(state="OVERLOADED"),
        False,
    ),
    (
        "anything-but ignore case list other",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "Overloaded"]}}]}},
        ev(state="running"),
        True,
    ),
    (
        "anything-but wildcard",
        {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}},
        ev(FilePath="/usr/bin/x"),
        True,
    ),
    (
        "anything-but wildcard hit",
        {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}},
        ev(FilePath="/usr/lib/x"),
        False,
    ),
    (
        "anything-but wildcard list",
        {"detail": {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}},
        ev(FilePath="/usr/bin/x"),
        False,
    ),
    ("anything-but array any element", {"detail": {"v": [{"anything-but": "a"}]}}, ev(v=["a", "b"]), True),
    (
        "anything-but array all excluded",
        {"detail": {"v": [{"anything-but": ["a", "b"]}]}},
        ev(v=["a", "b"]),
        False,
    ),
    ("anything-but null value", {"detail": {"v": [{"anything-but": "a"}]}}, ev(v=None), True),
]

NUMERIC: list[Case] = [
    ("numeric range", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, ev(**{"c-count": 5}), True),
    (
        "numeric range low edge",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        ev(**{"c-count": 0}),
        False,
    ),
    (
        "numeric range above",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        ev(**{"c-count": 6}),
        False,
    ),
    (
        "numeric float in range",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        ev(**{"c-count": 0.5}),
        True,
    ),
    ("numeric lt", {"detail": {"d-count": [{"numeric": ["<", 10]}]}}, ev(**{"d-count": 9.99}), True),
    ("numeric lt edge", {"detail": {"d-count": [{"numeric": ["<", 10]}]}}, ev(**{"d-count": 10}), False),
    ("numeric ge", {"detail": {"x": [{"numeric": [">=", 10]}]}}, ev(x=10), True),
    ("numeric le", {"detail": {"x": [{"numeric": ["<=", 10]}]}}, ev(x=10.000001), False),
    ("numeric eq", {"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, ev(**{"x-limit": 301.8}), True),
    ("numeric eq int", {"detail": {"x-limit": [{"numeric": ["=", 301]}]}}, ev(**{"x-limit": 301.0}), True),
    ("numeric eq other", {"detail": {"x-limit": [{"numeric": ["=", 301]}]}}, ev(**{"x-limit": 302}), False),
    ("numeric negative", {"detail": {"x": [{"numeric": [">", -10, "<", 0]}]}}, ev(x=-5), True),
    ("numeric on string never", {"detail": {"x": [{"numeric": [">", 0]}]}}, ev(x="5"), False),
    ("numeric on boolean never", {"detail": {"x": [{"numeric": [">", 0]}]}}, ev(x=True), False),
    ("numeric on null never", {"detail": {"x": [{"numeric": [">", 0]}]}}, ev(x=None), False),
    ("numeric missing", {"detail": {"x": [{"numeric": [">", 0]}]}}, ev(), False),
    ("numeric OR exact", {"detail": {"x": [{"numeric": [">", 100]}, 5]}}, ev(x=5), True),
    ("numeric ge le inclusive", {"detail": {"x": [{"numeric": [">=", 1, "<=", 1.5]}]}}, ev(x=1.5), True),
    ("numeric large", {"detail": {"x": [{"numeric": ["<", 5e9]}]}}, ev(x=4.9e9), True),
]

IP: list[Case] = [
    (
        "cidr ipv4",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        ev(sourceIPAddress="10.0.0.255"),
        True,
    ),
    (
        "cidr ipv4 outside",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        ev(sourceIPAddress="10.0.1.0"),
        False,
    ),
    ("cidr /32", {"detail": {"ip": [{"cidr": "192.0.2.1/32"}]}}, ev(ip="192.0.2.1"), True),
    (
        "cidr ipv6",
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}},
        ev(sourceIPAddress="2001:db8::1"),
        True,
    ),
    (
        "cidr ipv6 outside",
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}},
        ev(sourceIPAddress="2001:db9::1"),
        False,
    ),
    ("cidr not an ip", {"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, ev(ip="not-an-ip"), False),
    ("cidr number", {"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, ev(ip=10), False),
    ("cidr v4 vs v6", {"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, ev(ip="::1"), False),
    ("cidr in array", {"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, ev(ip=["1.1.1.1", "10.9.9.9"]), True),
]

EXISTS: list[Case] = [
    ("exists true", {"detail": {"state": [{"exists": True}]}}, ev(state="x"), True),
    ("exists true missing", {"detail": {"state": [{"exists": True}]}}, ev(), False),
    ("exists false missing", {"detail": {"c-count": [{"exists": False}]}}, ev(state="x"), True),
    ("exists false present", {"detail": {"c-count": [{"exists": False}]}}, ev(**{"c-count": 1}), False),
    ("exists true null value", {"detail": {"v": [{"exists": True}]}}, ev(v=None), True),
    ("exists false null value", {"detail": {"v": [{"exists": False}]}}, ev(v=None), False),
    ("exists true empty string", {"detail": {"v": [{"exists": True}]}}, ev(v=""), True),
    ("exists on object is not a leaf", {"detail": {"v": [{"exists": True}]}}, ev(v={"a": 1}), False),
    ("exists false on object", {"detail": {"v": [{"exists": False}]}}, ev(v={"a": 1}), True),
    (
        "exists false no detail",
        {"detail": {"v": [{"exists": False}]}},
        {k: v for k, v in EC2.items() if k != "detail"},
        True,
    ),
    ("exists true empty array", {"detail": {"v": [{"exists": True}]}}, ev(v=[]), False),
    ("exists false empty array", {"detail": {"v": [{"exists": False}]}}, ev(v=[]), True),
    ("exists with other field", {"source": ["aws.ec2"], "detail": {"v": [{"exists": False}]}}, ev(), True),
    ("exists or value", {"detail": {"v": [{"exists": False}, "x"]}}, ev(v="x"), True),
    ("exists or value neither", {"detail": {"v": [{"exists": False}, "x"]}}, ev(v="y"), False),
]

EQUALS_IGNORE_CASE: list[Case] = [
    (
        "ignore case",
        {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]},
        EC2,
        True,
    ),
    ("ignore case upper", {"detail": {"s": [{"equals-ignore-case": "ALICE"}]}}, ev(s="alice"), True),
    ("ignore case other", {"detail": {"s": [{"equals-ignore-case": "alice"}]}}, ev(s="bob"), False),
    ("ignore case not prefix", {"detail": {"s": [{"equals-ignore-case": "ali"}]}}, ev(s="alice"), False),
    ("ignore case not numbers", {"detail": {"s": [{"equals-ignore-case": "1"}]}}, ev(s=1), False),
    ("ignore case unicode", {"detail": {"s": [{"equals-ignore-case": "ÉCOLE"}]}}, ev(s="école"), True),
]

WILDCARD: list[Case] = [
    (
        "wildcard path",
        {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}},
        ev(EventBusArn="arn:aws:events:us-east-1:123456789012:event-bus/default"),
        True,
    ),
    (
        "wildcard path other region",
        {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}},
        ev(EventBusArn="arn:aws:events:eu-west-1:123456789012:event-bus/default"),
        False,
    ),
    ("wildcard dir", {"detail": {"f": [{"wildcard": "dir/*.png"}]}}, ev(f="dir/a.png"), True),
    ("wildcard dir nested", {"detail": {"f": [{"wildcard": "dir/*.png"}]}}, ev(f="dir/sub/a.png"), True),
    ("wildcard no match", {"detail": {"f": [{"wildcard": "dir/*.png"}]}}, ev(f="dir/a.jpg"), False),
    ("wildcard empty star", {"detail": {"f": [{"wildcard": "a*b"}]}}, ev(f="ab"), True),
    ("wildcard no star exact", {"detail": {"f": [{"wildcard": "abc"}]}}, ev(f="abc"), True),
    ("wildcard no star other", {"detail": {"f": [{"wildcard": "abc"}]}}, ev(f="abcd"), False),
    ("wildcard escaped star", {"detail": {"f": [{"wildcard": "a\\*b"}]}}, ev(f="a*b"), True),
    ("wildcard escaped star literal", {"detail": {"f": [{"wildcard": "a\\*b"}]}}, ev(f="axb"), False),
    ("wildcard regex chars literal", {"detail": {"f": [{"wildcard": "a.c*"}]}}, ev(f="abc"), False),
    ("wildcard two stars", {"detail": {"f": [{"wildcard": "*a*"}]}}, ev(f="xxaxx"), True),
    ("wildcard case sensitive", {"detail": {"f": [{"wildcard": "A*"}]}}, ev(f="abc"), False),
    ("wildcard not numbers", {"detail": {"f": [{"wildcard": "1*"}]}}, ev(f=12), False),
]

OR: list[Case] = [
    (
        "$or first branch",
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                    {"x-limit": [{"numeric": ["=", 3.018e2]}]},
                ]
            }
        },
        ev(**{"c-count": 3}),
        True,
    ),
    (
        "$or second branch",
        {
            "detail": {
                "$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]
            }
        },
        ev(**{"c-count": 30, "d-count": 3}),
        True,
    ),
    (
        "$or no branch",
        {
            "detail": {
                "$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]
            }
        },
        ev(**{"c-count": 30, "d-count": 30}),
        False,
    ),
    (
        "$or top level",
        {"source": ["aws.ec2"], "$or": [{"detail-type": ["x"]}, {"detail": {"state": ["terminated"]}}]},
        EC2,
        True,
    ),
    (
        "$or top level none",
        {"source": ["aws.ec2"], "$or": [{"detail-type": ["x"]}, {"detail": {"state": ["running"]}}]},
        EC2,
        False,
    ),
    (
        "$or AND with fields",
        {
            "source": ["aws.s3"],
            "$or": [{"detail-type": ["EC2 Instance State-change Notification"]}, {"region": ["x"]}],
        },
        EC2,
        False,
    ),
    (
        "$or nested $or",
        {"$or": [{"source": ["x"]}, {"$or": [{"region": ["y"]}, {"region": ["us-west-1"]}]}]},
        EC2,
        True,
    ),
    (
        "$or with exists",
        {"detail": {"$or": [{"a": [{"exists": True}]}, {"b": [{"exists": True}]}]}},
        ev(b=1),
        True,
    ),
    (
        "$or with exists neither",
        {"detail": {"$or": [{"a": [{"exists": True}]}, {"b": [{"exists": True}]}]}},
        ev(c=1),
        False,
    ),
    (
        "two $or groups",
        {
            "$or": [{"source": ["aws.ec2"]}, {"source": ["x"]}],
            "detail": {"$or": [{"state": ["y"]}, {"state": ["terminated"]}]},
        },
        EC2,
        True,
    ),
]

# The "Example: complex matching" of the content filtering page, and combinations.
COMPLEX: list[Case] = [
    (
        "complex all",
        {
            "time": [{"prefix": "2017-12-22"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        ev(state="running", **{"c-count": 1, "d-count": 2, "x-limit": 301.8}),
        True,
    ),
    (
        "complex one fails",
        {
            "time": [{"prefix": "2017-12-22"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        ev(state="running", **{"c-count": 1, "x-limit": 300}),
        False,
    ),
    (
        "prefix and exists",
        {"source": [{"prefix": "aws."}], "detail": {"error": [{"exists": False}]}},
        EC2,
        True,
    ),
    (
        "wildcard and numeric",
        {"detail": {"f": [{"wildcard": "*.log"}], "size": [{"numeric": [">", 1024]}]}},
        ev(f="a.log", size=2048),
        True,
    ),
    (
        "wildcard and numeric small",
        {"detail": {"f": [{"wildcard": "*.log"}], "size": [{"numeric": [">", 1024]}]}},
        ev(f="a.log", size=20),
        False,
    ),
    (
        "cidr and exact",
        {"detail": {"ip": [{"cidr": "10.0.0.0/8"}], "user": ["root"]}},
        ev(ip="10.1.2.3", user="root"),
        True,
    ),
    (
        "many alternatives",
        {"detail": {"s": ["a", {"prefix": "b"}, {"suffix": "c"}, {"numeric": [">", 5]}, None]}},
        ev(s=9),
        True,
    ),
    (
        "many alternatives none",
        {"detail": {"s": ["a", {"prefix": "b"}, {"suffix": "c"}, {"numeric": [">", 5]}, None]}},
        ev(s="zz"),
        False,
    ),
    (
        "cloudtrail api call",
        {
            "source": ["aws.kms"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["kms.amazonaws.com"],
                "eventName": ["ScheduleKeyDeletion", "DisableKey"],
            },
        },
        {
            **EC2,
            "source": "aws.kms",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventSource": "kms.amazonaws.com", "eventName": "DisableKey"},
        },
        True,
    ),
    (
        "cloudtrail user identity",
        {"detail": {"userIdentity": {"type": ["Root"]}}},
        ev(userIdentity={"type": "Root", "arn": "x"}),
        True,
    ),
    (
        "cloudtrail user identity other",
        {"detail": {"userIdentity": {"type": ["Root"]}}},
        ev(userIdentity={"type": "IAMUser"}),
        False,
    ),
]

ALL_CASES = (
    EVENT_PATTERNS + ARRAYS + NULLS + PREFIX_SUFFIX + ANYTHING_BUT + NUMERIC + IP + EXISTS
    + EQUALS_IGNORE_CASE + WILDCARD + OR + COMPLEX
)  # fmt: skip


@pytest.mark.parametrize(("name", "pattern", "event", "expected"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_pattern_matches_as_aws_documents(
    name: str, pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected
    assert matches(json.dumps(pattern), event) is expected


def test_there_are_at_least_150_documented_cases() -> None:
    assert len(ALL_CASES) >= 150
    assert len({c[0] for c in ALL_CASES}) == len(ALL_CASES)


# -- malformed patterns: InvalidEventPatternException -------------------------------------------

INVALID: list[tuple[str, Any]] = [
    ("not json", "{source: [aws.ec2]}"),
    ("not an object", '["aws.ec2"]'),
    ("leaf string", '{"source": "aws.ec2"}'),
    ("leaf number", '{"detail": {"n": 5}}'),
    ("leaf null", '{"source": null}'),
    ("nested array", '{"source": [["aws.ec2"]]}'),
    ("unknown operator", '{"source": [{"regex": ".*"}]}'),
    ("two keys in operator", '{"source": [{"prefix": "a", "suffix": "b"}]}'),
    ("prefix number", '{"source": [{"prefix": 5}]}'),
    ("suffix list", '{"source": [{"suffix": ["a"]}]}'),
    ("equals-ignore-case number", '{"source": [{"equals-ignore-case": 5}]}'),
    ("exists string", '{"source": [{"exists": "true"}]}'),
    ("numeric not list", '{"n": [{"numeric": ">"}]}'),
    ("numeric odd", '{"n": [{"numeric": [">", 0, "<"]}]}'),
    ("numeric string bound", '{"n": [{"numeric": [">", "5"]}]}'),
    ("numeric unknown op", '{"n": [{"numeric": ["!=", 5]}]}'),
    ("numeric two lower", '{"n": [{"numeric": [">", 0, ">=", 5]}]}'),
    ("numeric empty range", '{"n": [{"numeric": [">", 10, "<", 5]}]}'),
    ("numeric eq combined", '{"n": [{"numeric": ["=", 1, "<", 5]}]}'),
    ("numeric out of range", '{"n": [{"numeric": [">", 1e10]}]}'),
    ("cidr bad", '{"ip": [{"cidr": "10.0.0.0/33"}]}'),
    ("cidr not string", '{"ip": [{"cidr": 10}]}'),
    ("wildcard consecutive", '{"f": [{"wildcard": "a**b"}]}'),
    ("wildcard bad escape", '{"f": [{"wildcard": "a\\\\b"}]}'),
    ("anything-but mixed list", '{"s": [{"anything-but": ["a", 1]}]}'),
    ("anything-but empty list", '{"s": [{"anything-but": []}]}'),
    ("anything-but boolean", '{"s": [{"anything-but": true}]}'),
    ("anything-but unknown", '{"s": [{"anything-but": {"numeric": [">", 1]}}]}'),
    ("anything-but prefix empty", '{"s": [{"anything-but": {"prefix": ""}}]}'),
    ("$or one branch", '{"$or": [{"a": ["b"]}]}'),
    ("$or not list", '{"$or": {"a": ["b"]}}'),
    ("$or empty branch", '{"$or": [{}, {"a": ["b"]}]}'),
    ("NaN", '{"n": [NaN]}'),
]


@pytest.mark.parametrize(("name", "text"), INVALID, ids=[c[0] for c in INVALID])
def test_malformed_patterns_are_refused(name: str, text: str) -> None:
    with pytest.raises(InvalidEventPattern) as err:
        compile_pattern(text)
    assert str(err.value).startswith("Event pattern is not valid. Reason: ")


def test_an_oversized_pattern_is_refused() -> None:
    text = json.dumps({"source": ["x" * 5000]})
    with pytest.raises(InvalidEventPattern):
        compile_pattern(text)
