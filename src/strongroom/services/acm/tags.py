"""Certificate tags: at most 50 per certificate, `aws:` keys reserved for AWS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.services.acm import errors
from strongroom.services.acm.tables import acm_tags

MAX_TAGS = 50


def check(tag_list: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    tags = list(tag_list or [])
    for tag in tags:
        if str(tag["Key"]).lower().startswith("aws:"):
            raise errors.invalid_tag(f"Tag key '{tag['Key']}' uses the reserved prefix 'aws:'.")
    if len(tags) > MAX_TAGS:
        raise errors.too_many_tags(f"The request contains too many tags: at most {MAX_TAGS}.")
    return tags


def tag_map(tag_list: list[dict[str, Any]] | None) -> dict[str, str]:
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def listing(conn: Connection, arn: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(acm_tags).where(acm_tags.c.arn == arn).order_by(acm_tags.c.tag_key))
    out: list[dict[str, Any]] = []
    for row in rows:
        tag: dict[str, Any] = {"Key": row.tag_key}
        if row.tag_value is not None:
            tag["Value"] = row.tag_value
        out.append(tag)
    return out


def add(conn: Connection, arn: str, new: list[dict[str, Any]]) -> None:
    existing = {tag["Key"] for tag in listing(conn, arn)}
    if len(existing | {tag["Key"] for tag in new}) > MAX_TAGS:
        raise errors.too_many_tags(f"The certificate {arn} would have more than {MAX_TAGS} tags.")
    for tag in new:
        if tag["Key"] in existing:
            conn.execute(
                update(acm_tags)
                .where(acm_tags.c.arn == arn, acm_tags.c.tag_key == tag["Key"])
                .values(tag_value=tag.get("Value"))
            )
        else:
            conn.execute(insert(acm_tags).values(arn=arn, tag_key=tag["Key"], tag_value=tag.get("Value")))
            existing.add(tag["Key"])


def remove(conn: Connection, arn: str, gone: list[dict[str, Any]]) -> None:
    """RemoveTagsFromCertificate: a tag given with a value goes only when the value matches."""
    for tag in gone:
        condition = [acm_tags.c.arn == arn, acm_tags.c.tag_key == tag["Key"]]
        if "Value" in tag:
            condition.append(acm_tags.c.tag_value == tag["Value"])
        conn.execute(delete(acm_tags).where(*condition))


def remove_all(conn: Connection, arn: str) -> None:
    conn.execute(delete(acm_tags).where(acm_tags.c.arn == arn))
