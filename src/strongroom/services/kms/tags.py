"""Key tags: KMS's rules for them (TagException, 50 per key) and their storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, update

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.keys import Key, tags_of
from strongroom.services.kms.tables import kms_tags

MAX_TAGS_PER_KEY = 50


def requested(raw: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """The Tags member as a map; a reserved `aws:` key or a repeated key is a TagException."""
    result: dict[str, str] = {}
    for tag in raw or ():
        key, value = str(tag["TagKey"]), str(tag["TagValue"])
        if key.lower().startswith("aws:"):
            raise ServiceError("TagException", "Tags beginning with aws: are reserved.")
        if key in result:
            raise ServiceError("TagException", f"Duplicate tag keys: {key}")
        result[key] = value
    return result


def as_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]


def put(conn: Connection, key: Key, new: Mapping[str, str]) -> None:
    existing = tags_of(conn, key)
    if len(set(existing) | set(new)) > MAX_TAGS_PER_KEY:
        raise ServiceError("LimitExceededException", f"A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")
    for tag_key, value in new.items():
        where = (
            (kms_tags.c.account_id == key.account_id)
            & (kms_tags.c.region == key.region)
            & (kms_tags.c.key_id == key.key_id)
            & (kms_tags.c.tag_key == tag_key)
        )
        if tag_key in existing:
            conn.execute(update(kms_tags).where(where).values(tag_value=value))
        else:
            conn.execute(
                insert(kms_tags).values(
                    account_id=key.account_id,
                    region=key.region,
                    key_id=key.key_id,
                    tag_key=tag_key,
                    tag_value=value,
                )
            )


def remove(conn: Connection, key: Key, tag_keys: Iterable[str]) -> None:
    conn.execute(
        delete(kms_tags).where(
            kms_tags.c.account_id == key.account_id,
            kms_tags.c.region == key.region,
            kms_tags.c.key_id == key.key_id,
            kms_tags.c.tag_key.in_(list(tag_keys)),
        )
    )
