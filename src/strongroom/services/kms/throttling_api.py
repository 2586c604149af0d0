"""The KMS request path's hook for quotas and metering (handlers wrapped by `MeteredApi`).

Before a handler runs, the request is classified (`request_quotas`): the quota it counts against
and its price category, both depending on the spec of the key it names. Past the quota the
request is answered `ThrottlingException` and counted nowhere; otherwise it is counted for the
cost meter and handled. Internal calls (`ctx.call("kms", ...)` from other services) pass here
too, as requests AWS services make on a caller's behalf count against the caller's quotas.

Finding the key spec must not cost a database read per request: a key's spec never changes, so
specs are cached per process by the KeyId as written (an alias is re-read after a few seconds,
since it may be pointed at another key). Decrypt without a KeyId reads the key from the blob.

AWS's default rates apply unless the server runs in dev mode, where only quotas an operator
configured apply (`STRONGROOM_QUOTA_FILE`/`STRONGROOM_QUOTAS`), because test suites create keys
far faster than CreateKey's 5 per second; `STRONGROOM_QUOTA_DEFAULTS=aws` turns them on in dev.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strongroom.aws.errors import ServiceError, ThrottlingError
from strongroom.core.quotas import RateQuotas, Throttled, load_overrides
from strongroom.services.kms import ciphertext, request_quotas
from strongroom.services.kms.aws_managed import AWS_OWNED_PREFIX
from strongroom.services.kms.keys import find_key, parse_key_reference, resolve_reference
from strongroom.services.metered_api import MeteredApi

if TYPE_CHECKING:
    from strongroom.aws.context import RequestContext
    from strongroom.core.kernel import Kernel

THROTTLED_MESSAGE = (
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
)
QUOTA_DEFAULTS_ENV = "STRONGROOM_QUOTA_DEFAULTS"
_ALIAS_TTL_SECONDS = 5.0
_CACHE_LIMIT = 50_000
_KEY_MEMBERS = ("KeyId", "SourceKeyId", "DestinationKeyId")


@dataclass(frozen=True, slots=True)
class KeyClass:
    spec: str | None
    aws_owned: bool = False


_UNKNOWN = KeyClass(None)
_FOREVER = float("inf")
_OWNED = KeyClass("SYMMETRIC_DEFAULT", aws_owned=True)


class ThrottledApi(MeteredApi):
    """Checks every KMS request against its quota, then counts it by its price category."""

    metered_service = "kms"

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel)
        use_defaults = os.environ.get(QUOTA_DEFAULTS_ENV, "off" if kernel.dev else "aws") == "aws"
        self.quotas = RateQuotas(
            request_quotas.default_rate if use_defaults else (lambda name, region: None),
            load_overrides(),
        )
        self._key_classes: dict[tuple[str, str, str], tuple[KeyClass, float]] = {}
        self._classes: dict[tuple[str, str | None, bool, Any], tuple[str, str | None]] = {}

    def admit(self, ctx: RequestContext, operation: str, request: dict[str, Any]) -> None:
        """Raise ThrottlingException past the quota; count the request for the cost meter."""
        key_class = self._key_class(ctx, request) if operation in _KEYED_OPERATIONS else _UNKNOWN
        pair_spec = request.get("KeyPairSpec") if operation in _PAIR_OPERATIONS else None
        name, category = self._classify(operation, key_class, pair_spec)
        try:
            self.quotas.acquire(ctx.account_id, ctx.region, name)
        except Throttled:
            raise ThrottlingError(THROTTLED_MESSAGE) from None
        self.count(ctx, category)

    def _classify(self, operation: str, key_class: KeyClass, key_pair_spec: Any) -> tuple[str, str | None]:
        """(quota name, price category) of a request: a pure function, remembered."""
        memo_key = (operation, key_class.spec, key_class.aws_owned, key_pair_spec)
        found = self._classes.get(memo_key)
        if found is None:
            found = (
                request_quotas.quota_name(operation, key_class.spec),
                request_quotas.price_category(
                    operation, key_class.spec, aws_owned=key_class.aws_owned, key_pair_spec=key_pair_spec
                ),
            )
            if len(self._classes) >= _CACHE_LIMIT:
                self._classes.clear()
            self._classes[memo_key] = found
        return found

    def _key_class(self, ctx: RequestContext, request: dict[str, Any]) -> KeyClass:
        reference: str | None = None
        for member in _KEY_MEMBERS:
            value = request.get(member)
            if isinstance(value, str):
                reference = value
                break
        if reference is None:
            blob = request.get("CiphertextBlob")
            if not isinstance(blob, bytes):
                return _UNKNOWN
            try:
                header = ciphertext.parse(blob).header
            except ciphertext.InvalidCiphertext:
                return _UNKNOWN
            reference = f"arn:aws:kms:{ctx.region}:{header.account_id}:key/{header.key_id}"
        elif reference.startswith(AWS_OWNED_PREFIX):
            return _OWNED
        cache_key = (ctx.account_id, ctx.region, reference)
        cached = self._key_classes.get(cache_key)
        if cached is not None and (cached[1] == _FOREVER or cached[1] > time.monotonic()):
            return cached[0]
        now = time.monotonic()
        found = self._look_up(ctx, reference)
        if found is not _UNKNOWN:
            if len(self._key_classes) >= _CACHE_LIMIT:
                self._key_classes.clear()
            by_alias = reference.startswith("alias/") or ":alias/" in reference
            self._key_classes[cache_key] = (found, now + _ALIAS_TTL_SECONDS if by_alias else _FOREVER)
        return found

    def _look_up(self, ctx: RequestContext, reference: str) -> KeyClass:
        try:
            ref = parse_key_reference(reference, ctx.account_id, ctx.region)
            with ctx.kernel.db.read() as conn:
                # By id, AWS owned keys are found too (resolve_reference hides them): they are free.
                key = (
                    find_key(conn, ref.account_id, ctx.region, ref.key_id)
                    if ref.key_id is not None
                    else resolve_reference(conn, ref, ctx.region).key
                )
        except ServiceError:
            return _UNKNOWN  # not found yet (an AWS managed key about to be created): symmetric
        return KeyClass(key.key_spec, key.aws_owned) if key is not None else _UNKNOWN


# The operations whose quota and price depend on the key they name.
_KEYED_OPERATIONS = request_quotas.CRYPTOGRAPHIC_OPERATIONS | {"GetPublicKey"}
# The operations priced by the key pair they make (KeyPairSpec).
_PAIR_OPERATIONS = frozenset({"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"})
