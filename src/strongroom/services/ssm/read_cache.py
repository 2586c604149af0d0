"""GetParameter(s)'s hot read — the version a selector names, with the parameter's tags — cached.

Each lookup is loaded in one read transaction and kept in the kernel's stamped cache "ssm"
(`core/cache.py`, shared with `interactions`): every Parameter Store operation that is not a pure
read drops it once its handler returns (`SsmApi.pure_reads`), and so does every parameter-policy
job once its transaction commits (its kind starts with "ssm/"), on every worker of the node at
once; other nodes reload within the cache's ttl. A SecureString version holds only its KMS
ciphertext, so a cached entry holds nothing KMS would not have to open again: every read still
calls KMS Decrypt as the caller, and a disabled key refuses it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from strongroom.aws.errors import ServiceError
from strongroom.services.ssm import parameters, tags
from strongroom.services.ssm.interactions import CACHE
from strongroom.services.ssm.names import Selector, parameter_arn
from strongroom.services.ssm.parameters import Scope, Version

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel


@dataclass(frozen=True)
class Lookup:
    """What a selector resolves to: a version and its parameter's tags, or the error to answer."""

    version: Version | None
    tags: Mapping[str, str]
    # ParameterNotFound / ParameterVersionNotFound, as (code, message): an exception object raised
    # on every hit would grow its traceback each time.
    failure: tuple[str, str] | None = None
    # The version's parameter ARN, worked out once per load rather than on every read.
    arn: str = ""

    def found(self) -> Version:
        if self.version is None:
            assert self.failure is not None
            raise ServiceError(*self.failure)
        return self.version


def lookup(kernel: Kernel, account_id: str, region: str, selector: Selector) -> Lookup:
    def load() -> Lookup:
        scope = Scope(account_id, region)
        with kernel.db.read() as conn:
            try:
                version = parameters.resolve(conn, scope, selector)
            except ServiceError as missing:
                return Lookup(None, {}, (missing.code, missing.message))
            arn = parameter_arn(scope.region, scope.account_id, version.name)
            return Lookup(version, tags.of(conn, scope, version.name), arn=arn)

    key = ("parameter", account_id, region, selector)
    return cast(Lookup, kernel.caches.named(CACHE).get(key, load))
