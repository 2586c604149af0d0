"""How AWS prices a Parameter Store request: the API-interaction category of each request.

`higher_throughput` when the account and Region has turned higher throughput on; otherwise
`advanced` when the request names an advanced parameter (Name, Names, a Parameter ResourceId) or
writes one (PutParameter with Tier Advanced); otherwise `standard`, which AWS does not charge.

Both facts are read through the kernel's stamped cache "ssm" (`core/cache.py`), which every
Parameter Store write drops on this node at once, so classifying costs no database round trip
on the hot path; other nodes see a change within the cache's ttl.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import BindParameter, bindparam, select

from strongroom.services.ssm import names, settings, tiers
from strongroom.services.ssm.parameters import Scope
from strongroom.services.ssm.tables import ssm_parameters

if TYPE_CHECKING:
    from strongroom.aws.context import RequestContext

CACHE = "ssm"
STANDARD = "standard"
ADVANCED = "advanced"
HIGHER_THROUGHPUT = "higher_throughput"

_A: BindParameter[str] = bindparam("a")
_R: BindParameter[str] = bindparam("r")
_N: BindParameter[str] = bindparam("n")
_TIER = select(ssm_parameters.c.tier).where(
    ssm_parameters.c.account_id == _A, ssm_parameters.c.region == _R, ssm_parameters.c.name == _N
)


def category(ctx: RequestContext, operation: str, request: dict[str, Any]) -> str:
    scope = Scope(ctx.account_id, ctx.region)
    if _high_throughput(ctx, scope):
        return HIGHER_THROUGHPUT
    if operation == "PutParameter" and request.get("Tier") == tiers.ADVANCED:
        return ADVANCED
    return ADVANCED if any(_is_advanced(ctx, scope, name) for name in _named(ctx, request)) else STANDARD


def _named(ctx: RequestContext, request: dict[str, Any]) -> Iterator[str]:
    texts: list[Any] = [request.get("Name")]
    if isinstance(request.get("Names"), list):
        texts += request["Names"]
    if request.get("ResourceType") == "Parameter":
        texts.append(request.get("ResourceId"))
    for text in texts:
        if isinstance(text, str):
            try:
                yield names.parse_selector(text, ctx.region, ctx.account_id).name
            except names.InvalidSelector:
                continue


def _high_throughput(ctx: RequestContext, scope: Scope) -> bool:
    def load() -> bool:
        with ctx.kernel.db.read() as conn:
            return settings.read(conn, scope, settings.HIGH_THROUGHPUT).value == "true"

    cache = ctx.kernel.caches.named(CACHE)
    return cast(bool, cache.get(("high-throughput", scope.account_id, scope.region), load))


def _is_advanced(ctx: RequestContext, scope: Scope, name: str) -> bool:
    def load() -> bool:
        with ctx.kernel.db.read() as conn:
            tier = conn.execute(_TIER, {"a": scope.account_id, "r": scope.region, "n": name}).scalar()
        return tier == tiers.ADVANCED

    cache = ctx.kernel.caches.named(CACHE)
    return cast(bool, cache.get(("advanced", scope.account_id, scope.region, name), load))
