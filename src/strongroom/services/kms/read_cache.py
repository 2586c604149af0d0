"""KMS's hot reads — key by reference, its tags and aliases, its opened material — cached per process.

Every Encrypt and Decrypt needs the key, its tags and aliases (for the policy's condition keys)
and its material; reading them from the database on each call costs more than the cryptography.
They live in the kernel's stamped cache "kms" (core/cache.py): any KMS write operation, KMS's
scheduled jobs and the creation of AWS managed keys drop it on this node at once; other nodes
reload within the cache's ttl.
"""

from __future__ import annotations

from typing import TypeVar, cast

from strongroom.aws.context import RequestContext
from strongroom.core.cache import StampedCache
from strongroom.core.kernel import Kernel
from strongroom.services.kms.keys import (
    Key,
    KeyReference,
    Material,
    ResolvedKey,
    aliases_of,
    current_material,
    material_by_id,
    resolve_reference,
    tags_of,
)

CACHE = "kms"
T = TypeVar("T")


def kms_cache(kernel: Kernel) -> StampedCache[object, object]:
    return kernel.caches.named(CACHE)


def kms_changed(kernel: Kernel) -> None:
    kernel.caches.changed(CACHE)


def _key_id(key: Key) -> tuple[str, str, str]:
    return (key.account_id, key.region, key.key_id)


def reference(ctx: RequestContext, ref: KeyReference) -> ResolvedKey:
    def load() -> ResolvedKey:
        with ctx.kernel.db.read() as conn:
            return resolve_reference(conn, ref, ctx.region)

    return cast(ResolvedKey, kms_cache(ctx.kernel).get(("ref", ref, ctx.region), load))


def tags(ctx: RequestContext, key: Key) -> dict[str, str]:
    def load() -> dict[str, str]:
        with ctx.kernel.db.read() as conn:
            return tags_of(conn, key)

    return dict(cast(dict[str, str], kms_cache(ctx.kernel).get(("tags", *_key_id(key)), load)))


def aliases(ctx: RequestContext, key: Key) -> list[str]:
    def load() -> list[str]:
        with ctx.kernel.db.read() as conn:
            return aliases_of(conn, key)

    return list(cast(list[str], kms_cache(ctx.kernel).get(("aliases", *_key_id(key)), load)))


def current(ctx: RequestContext, key: Key) -> Material:
    def load() -> Material:
        with ctx.kernel.db.read() as conn:
            return current_material(conn, ctx.kernel.root, key)

    return cast(Material, kms_cache(ctx.kernel).get(("material", *_key_id(key)), load))


def by_id(ctx: RequestContext, key: Key, material_id: bytes) -> Material | None:
    def load() -> Material | None:
        with ctx.kernel.db.read() as conn:
            return material_by_id(conn, ctx.kernel.root, key, material_id)

    return cast("Material | None", kms_cache(ctx.kernel).get(("material", *_key_id(key), material_id), load))
