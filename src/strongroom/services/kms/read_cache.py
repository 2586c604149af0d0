"""KMS's hot reads — key by reference, its tags and aliases, its opened material — cached per process.

Every Encrypt and Decrypt needs the key, its tags and aliases (for the policy's condition keys)
and its material; reading them from the database on each call costs more than the cryptography.
They live in the kernel's stamped cache "kms" (core/cache.py): any KMS write operation, KMS's
scheduled jobs and the creation of AWS managed keys drop it on this node at once; other nodes
reload within the cache's ttl.

Two entries serve a request: the key a KeyId names (by the KeyId as written, so a repeated KeyId
is not parsed again), and the key's `KeyFacts` — tags, aliases and opened material versions,
each read the first time a request needs it. A fact read later than its `KeyFacts` was made is
never older than what a fresh entry would hold, and the entry itself obeys the stamp and ttl, so
this serves nothing a per-fact entry would not.
"""

from __future__ import annotations

import hmac
import threading
from typing import TypeVar, cast

from strongroom.aws.context import RequestContext
from strongroom.core.cache import StampedCache
from strongroom.core.kernel import Kernel
from strongroom.services.kms.ciphertext import CiphertextHeader, MaterialCipher
from strongroom.services.kms.keys import (
    Key,
    Material,
    ResolvedKey,
    aliases_of,
    current_material,
    material_by_id,
    parse_key_reference,
    resolve_reference,
    tags_of,
)

CACHE = "kms"
T = TypeVar("T")
_NOT_READ: object = object()


def kms_cache(kernel: Kernel) -> StampedCache[object, object]:
    return kernel.caches.named(CACHE)


def kms_changed(kernel: Kernel) -> None:
    kernel.caches.changed(CACHE)


class KeyFacts:
    """What the hot path reads about one key, each part loaded on first use."""

    __slots__ = (
        "_aliases",
        "_ciphers",
        "_current",
        "_lock",
        "_materials",
        "_tags",
        "account_id",
        "key_id",
        "region",
    )

    # Material versions a Decrypt may name (any of the key's versions, or junk): bounded.
    MAX_MATERIALS = 256

    def __init__(self, key: Key) -> None:
        self.account_id = key.account_id
        self.region = key.region
        self.key_id = key.key_id
        self._tags: dict[str, str] | None = None
        self._aliases: list[str] | None = None
        self._current: object = _NOT_READ
        self._materials: dict[bytes, Material | None] = {}
        self._ciphers: dict[bytes, MaterialCipher] = {}
        self._lock = threading.Lock()

    def tags(self, ctx: RequestContext, key: Key) -> dict[str, str]:
        """The key's tags (shared: never change the dict returned)."""
        tags = self._tags
        if tags is None:
            with ctx.kernel.db.read() as conn:
                tags = self._tags = tags_of(conn, key)
        return tags

    def aliases(self, ctx: RequestContext, key: Key) -> list[str]:
        """The key's alias names (shared: never change the list returned)."""
        aliases = self._aliases
        if aliases is None:
            with ctx.kernel.db.read() as conn:
                aliases = self._aliases = aliases_of(conn, key)
        return aliases

    def current(self, ctx: RequestContext, key: Key) -> Material:
        current = self._current
        if current is _NOT_READ:
            with ctx.kernel.db.read() as conn:
                current = current_material(conn, ctx.kernel.root, key)
            # Decrypt then finds the same object by id, and with it the same cipher.
            known = self._materials.get(current.material_id)
            if known is not None and hmac.compare_digest(known.secret, current.secret):
                current = known
            else:
                self._remember(current.material_id, current)
            self._current = current
        return cast(Material, current)

    def by_id(self, ctx: RequestContext, key: Key, material_id: bytes) -> Material | None:
        known = self._materials.get(material_id, _NOT_READ)
        if known is not _NOT_READ:
            return cast("Material | None", known)
        with ctx.kernel.db.read() as conn:
            material = material_by_id(conn, ctx.kernel.root, key, material_id)
        self._remember(material_id, material)
        return material

    def _remember(self, material_id: bytes, material: Material | None) -> None:
        with self._lock:
            if len(self._materials) >= self.MAX_MATERIALS:
                self._materials.clear()
                self._ciphers.clear()
            self._materials[material_id] = material

    def cipher(self, material: Material) -> MaterialCipher:
        """The symmetric cipher of one of this key's material versions (kept with the material)."""
        cipher = self._ciphers.get(material.material_id)
        if cipher is None or not cipher.uses(material.secret):
            cipher = MaterialCipher(
                material.secret, CiphertextHeader(self.account_id, self.key_id, material.material_id)
            )
            with self._lock:
                if len(self._ciphers) >= self.MAX_MATERIALS:
                    self._ciphers.clear()
                self._ciphers[material.material_id] = cipher
        return cipher


def _ids(key: Key) -> tuple[str, str, str, str]:
    return ("facts", key.account_id, key.region, key.key_id)


def facts(ctx: RequestContext, key: Key) -> KeyFacts:
    """The cached facts of `key` (made empty when the cache holds none)."""
    return cast(KeyFacts, kms_cache(ctx.kernel).get(_ids(key), lambda: KeyFacts(key)))


def reference(ctx: RequestContext, key_id: str) -> ResolvedKey:
    """The key a KeyId (as written in the request) names in the caller's account and region.

    A KeyId that does not parse or names no key raises as `keys.resolve_reference` does; nothing
    is cached then.
    """

    def load() -> ResolvedKey:
        ref = parse_key_reference(key_id, ctx.account_id, ctx.region)
        with ctx.kernel.db.read() as conn:
            return resolve_reference(conn, ref, ctx.region)

    return cast(ResolvedKey, kms_cache(ctx.kernel).get(("ref", key_id, ctx.account_id, ctx.region), load))


def current(ctx: RequestContext, key: Key) -> Material:
    return facts(ctx, key).current(ctx, key)
