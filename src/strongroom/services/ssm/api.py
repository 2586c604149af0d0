"""AWS Systems Manager: Parameter Store's operations, one method per operation.

Handlers authorize `ssm:<Operation>` against the parameter's ARN
(`arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`), the path for
GetParametersByPath, `arn:aws:ssm:<region>:<account>:*` for DescribeParameters and the
setting's ARN for service settings. SecureString values go through KMS as the caller
(see `secure`). The other SSM operations (documents, Run Command, sessions …) answer
NotImplemented.
"""

from __future__ import annotations

from sqlalchemy import Connection

from strongroom.aws.service import ServiceApi
from strongroom.core.scheduler import Job
from strongroom.services.ssm import policy_jobs
from strongroom.services.ssm.labels_api import LabelsApi
from strongroom.services.ssm.listing_api import ListingApi
from strongroom.services.ssm.parameters_api import ParametersApi
from strongroom.services.ssm.settings_api import SettingsApi
from strongroom.services.ssm.tags_api import TagsApi


class SsmApi(ParametersApi, ListingApi, LabelsApi, SettingsApi, TagsApi, ServiceApi):
    """AWS Systems Manager (Parameter Store)."""

    model_name = "ssm"

    def setup(self) -> None:
        kernel = self.kernel

        def run_policy(conn: Connection, job: Job) -> None:
            policy_jobs.run(kernel, conn, job)

        kernel.scheduler.register(policy_jobs.JOB_KIND, run_policy)
