"""How AWS prices a Parameter Store request: the API-interaction category of each request.

`higher_throughput` when the account and Region has turned higher throughput on; otherwise
`advanced` when the request names an advanced parameter (Name, Names, a Parameter ResourceId) or
writes one (PutParameter with Tier Advanced); otherwise `standard`, which AWS does not charge.

A request's category depends only on its account and Region, the names it holds and whether it
writes an advanced parameter, so it is kept under exactly those in the kernel's stamped cache
"ssm" (`core/cache.py`), loaded in one read transaction: a repeated request — the hot
GetParameter of one name — is classified by one cache hit, without parsing its names again.
Every Parameter Store write drops that cache on this node at once; other nodes see a change
within the cache's ttl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import BindParameter, Connection, bindparam, select

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
    writes_advanced = operation == "PutParameter" and request.get("Tier") == tiers.ADVANCED
    texts = _named_texts(request)
    account, region = ctx.account_id, ctx.region

    def load() -> str:
        return _classify(ctx, Scope(account, region), writes_advanced, texts)

    key = ("category", account, region, writes_advanced, texts)
    return cast(str, ctx.kernel.caches.named(CACHE).get(key, load))


def _named_texts(request: dict[str, Any]) -> tuple[str, ...]:
    """The texts in a request that may name a parameter (Name, Names, a Parameter ResourceId)."""
    name = request.get("Name")
    listed = request.get("Names")
    if isinstance(name, str) and listed is None and "ResourceType" not in request:
        return (name,)  # the usual request: one name
    texts: list[Any] = [name]
    if isinstance(listed, list):
        texts += listed
    if request.get("ResourceType") == "Parameter":
        texts.append(request.get("ResourceId"))
    return tuple(text for text in texts if isinstance(text, str))


def _classify(ctx: RequestContext, scope: Scope, writes_advanced: bool, texts: tuple[str, ...]) -> str:
    with ctx.kernel.db.read() as conn:
        if settings.read(conn, scope, settings.HIGH_THROUGHPUT).value == "true":
            return HIGHER_THROUGHPUT
        if writes_advanced:
            return ADVANCED
        for text in texts:
            try:
                name = names.parse_selector(text, scope.region, scope.account_id).name
            except names.InvalidSelector:
                continue
            if _is_advanced(conn, scope, name):
                return ADVANCED
    return STANDARD


def _is_advanced(conn: Connection, scope: Scope, name: str) -> bool:
    tier = conn.execute(_TIER, {"a": scope.account_id, "r": scope.region, "n": name}).scalar()
    return tier == tiers.ADVANCED
