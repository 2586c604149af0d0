"""Listings are in UTF-8 binary order of the keys, as on AWS, whatever the database's collation.

AWS: "List results are always returned in UTF-8 binary order." A PostgreSQL database whose
default collation is a locale (en-US) orders "ab" before "aB" and "a" before "Z"; the listing must
not. So the same assertions run on the session server and, when the suite runs on PostgreSQL, on
a server of its own over a database created with the ICU en-US collation.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.service.s3.conftest import ACCOUNT, unique_bucket
from tests.support.server import TEST_DATABASE_ENV, ServerProcess, boto_config

# Orders differ between collations: case, punctuation, accents, and code points beyond the BMP
# (UTF-16 order would put the emoji before U+FF5E).
KEYS = ["a-b", "a_b", "aB", "ab", "Z", "é", "~", "a/b", "a b", "A", "0", "ä", "\uff5e", "😀", "a", "b"]
BINARY_ORDER = sorted(KEYS, key=lambda key: key.encode("utf-8"))


def test_the_expected_order_is_not_a_locale_order() -> None:
    assert BINARY_ORDER[:3] == ["0", "A", "Z"]
    assert BINARY_ORDER.index("aB") < BINARY_ORDER.index("a_b") < BINARY_ORDER.index("ab")
    assert BINARY_ORDER[-2:] == ["\uff5e", "😀"]


@pytest.fixture(scope="module")
def icu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        pytest.skip(f"{TEST_DATABASE_ENV} not set: the locale-collated database needs PostgreSQL")
    import psycopg

    admin_url = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"strongroom_icu_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
            "LOCALE 'C.UTF-8'"
        )
    server = ServerProcess(
        tmp_path_factory.mktemp("s3-icu") / "data",
        database_url=admin_url.rsplit("/", 1)[0] + "/" + name,
        workers=1,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["session", "postgresql-en-US"])
def listing_s3(request: pytest.FixtureRequest) -> Any:
    if request.param == "session":
        return request.getfixturevalue("s3")
    server: ServerProcess = request.getfixturevalue("icu_server")
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
        config=boto_config(signature_version="s3v4"),
    )


@pytest.fixture
def filled_bucket(listing_s3: Any) -> str:
    name = unique_bucket("order")
    listing_s3.create_bucket(Bucket=name)
    listing_s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for key in KEYS:
        listing_s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_list_objects_v2_in_binary_order_across_pages(listing_s3: Any, filled_bucket: str) -> None:
    whole = listing_s3.list_objects_v2(Bucket=filled_bucket)
    assert [o["Key"] for o in whole["Contents"]] == BINARY_ORDER
    paged = [
        o["Key"]
        for page in listing_s3.get_paginator("list_objects_v2").paginate(
            Bucket=filled_bucket, PaginationConfig={"PageSize": 3}
        )
        for o in page.get("Contents", [])
    ]
    assert paged == BINARY_ORDER
    after = listing_s3.list_objects_v2(Bucket=filled_bucket, StartAfter="Z")
    assert [o["Key"] for o in after["Contents"]] == BINARY_ORDER[BINARY_ORDER.index("Z") + 1 :]
    within = listing_s3.list_objects_v2(Bucket=filled_bucket, Prefix="a", Delimiter="/")
    assert [o["Key"] for o in within["Contents"]] == [
        k for k in BINARY_ORDER if k.startswith("a") and "/" not in k
    ]
    assert within["CommonPrefixes"] == [{"Prefix": "a/"}]


def test_list_objects_v1_in_binary_order_across_pages(listing_s3: Any, filled_bucket: str) -> None:
    whole = listing_s3.list_objects(Bucket=filled_bucket)
    assert [o["Key"] for o in whole["Contents"]] == BINARY_ORDER
    assert whole["IsTruncated"] is False
    assert whole["Contents"][0]["Owner"]["ID"] == ACCOUNT
    paged = [
        o["Key"]
        for page in listing_s3.get_paginator("list_objects").paginate(
            Bucket=filled_bucket, PaginationConfig={"PageSize": 4}
        )
        for o in page.get("Contents", [])
    ]
    assert paged == BINARY_ORDER
    after = listing_s3.list_objects(Bucket=filled_bucket, Marker="aB", MaxKeys=2)
    assert [o["Key"] for o in after["Contents"]] == BINARY_ORDER[BINARY_ORDER.index("aB") + 1 :][:2]
    assert after["IsTruncated"] is True
    assert "NextMarker" not in after  # only with a delimiter, as on AWS
    grouped = listing_s3.list_objects(Bucket=filled_bucket, Delimiter="/", MaxKeys=7)
    assert [o["Key"] for o in grouped["Contents"]] == ["0", "A", "Z", "a", "a b", "a-b"]
    assert grouped["CommonPrefixes"] == [{"Prefix": "a/"}]
    assert grouped["IsTruncated"] is True
    assert grouped["NextMarker"] == "a/"
    keys: list[str] = []
    prefixes: list[str] = []
    for page in listing_s3.get_paginator("list_objects").paginate(
        Bucket=filled_bucket, Delimiter="/", PaginationConfig={"PageSize": 3}
    ):
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert keys == [k for k in BINARY_ORDER if "/" not in k]
    assert prefixes == ["a/"]


def test_list_object_versions_in_binary_order_across_pages(listing_s3: Any, filled_bucket: str) -> None:
    listing_s3.put_object(Bucket=filled_bucket, Key="aB", Body=b"second")
    listing_s3.delete_object(Bucket=filled_bucket, Key="é")
    listed = listing_s3.list_object_versions(Bucket=filled_bucket)
    expected_versions = [k for k in BINARY_ORDER for _ in range(2 if k == "aB" else 1)]
    assert [v["Key"] for v in listed["Versions"]] == expected_versions
    assert [m["Key"] for m in listed["DeleteMarkers"]] == ["é"]
    paged: list[str] = []
    for page in listing_s3.get_paginator("list_object_versions").paginate(
        Bucket=filled_bucket, PaginationConfig={"PageSize": 3}
    ):
        paged += [v["Key"] for v in page.get("Versions", [])]
    assert paged == expected_versions
    after = listing_s3.list_object_versions(Bucket=filled_bucket, KeyMarker="a_b")
    assert [v["Key"] for v in after["Versions"]] == [k for k in expected_versions if k.encode() > b"a_b"]
