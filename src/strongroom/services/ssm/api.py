"""AWS Systems Manager: Parameter Store's operations, one method per operation.

Handlers authorize `ssm:<Operation>` against the parameter's ARN
(`arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`), the path for
GetParametersByPath, `arn:aws:ssm:<region>:<account>:*` for DescribeParameters and the
setting's ARN for service settings. SecureString values go through KMS as the caller
(see `secure`). The other SSM operations (documents, Run Command, sessions …) answer
NotImplemented.

Every request is counted for the cost meter as one API interaction (`interactions`). What the
meter classifies by — tiers and the throughput setting — and what GetParameter(s) read — the
version a selector names and its tags (`read_cache`) — sit in the kernel's stamped cache "ssm",
which every operation not in `pure_reads` (and every policy job) drops when it returns.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.service import ServiceApi
from strongroom.core.scheduler import Job
from strongroom.services.metered_api import MeteredApi
from strongroom.services.ssm import interactions, policy_jobs
from strongroom.services.ssm.labels_api import LabelsApi
from strongroom.services.ssm.listing_api import ListingApi
from strongroom.services.ssm.parameters_api import ParametersApi
from strongroom.services.ssm.settings_api import SettingsApi
from strongroom.services.ssm.tags_api import TagsApi


class SsmApi(MeteredApi, ParametersApi, ListingApi, LabelsApi, SettingsApi, TagsApi, ServiceApi):
    """AWS Systems Manager (Parameter Store)."""

    model_name = "ssm"
    metered_service = "ssm"
    cache_name: ClassVar[str | None] = interactions.CACHE
    pure_reads: ClassVar[frozenset[str]] = frozenset(
        {
            "GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory",
            "DescribeParameters", "ListTagsForResource", "GetServiceSetting",
        }
    )  # fmt: skip
    # On a cache hit they read nothing from the database: the lookup and its classification come
    # from the "ssm" cache, and KMS Decrypt (itself inline) from KMS's.
    inline_operations: ClassVar[frozenset[str]] = frozenset({"GetParameter", "GetParameters"})

    def price_category(self, ctx: RequestContext, operation: str, request: dict[str, Any]) -> str | None:
        return interactions.category(ctx, operation, request)

    def setup(self) -> None:
        kernel = self.kernel

        def run_policy(conn: Connection, job: Job) -> None:
            policy_jobs.run(kernel, conn, job)

        for kind in policy_jobs.JOB_KINDS:
            kernel.scheduler.register(kind, run_policy)
