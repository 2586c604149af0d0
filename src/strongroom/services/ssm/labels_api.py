"""LabelParameterVersion and UnlabelParameterVersion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.aws.context import RequestContext
from strongroom.services.ssm import errors, labels, notify, parameters
from strongroom.services.ssm.names import parameter_arn
from strongroom.services.ssm.parameters_api import PARAMETER_TYPE, scope_of

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

Request = dict[str, Any]
Result = dict[str, Any]


class LabelsApi:
    """The label operations of SsmApi."""

    kernel: Kernel

    def label_parameter_version(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        arn = parameter_arn(ctx.region, ctx.account_id, name)
        ctx.authorize("ssm:LabelParameterVersion", arn)
        scope = scope_of(ctx)
        with self.kernel.db.write() as conn:
            if parameters.find_parameter(conn, scope, name, for_update=True) is None:
                raise errors.parameter_not_found(f"Parameter {name} not found.")
            current = parameters.latest(conn, scope, name)
            assert current is not None
            number = int(request.get("ParameterVersion") or current.version)
            if parameters.find_version(conn, scope, name, number) is None:
                raise errors.version_not_found(name, number)
            invalid = labels.attach(conn, scope, name, number, request["Labels"])
            notify.change(
                self.kernel, conn, scope, "LabelParameterVersion", name, current.type, current.description
            )
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        result: Result = {"ParameterVersion": number}
        if invalid:
            result["InvalidLabels"] = invalid
        return result

    def unlabel_parameter_version(self, ctx: RequestContext, request: Request) -> Result:
        name, number = request["Name"], int(request["ParameterVersion"])
        arn = parameter_arn(ctx.region, ctx.account_id, name)
        ctx.authorize("ssm:UnlabelParameterVersion", arn)
        scope = scope_of(ctx)
        with self.kernel.db.write() as conn:
            if parameters.find_parameter(conn, scope, name, for_update=True) is None:
                raise errors.parameter_not_found(f"Parameter {name} not found.")
            if parameters.find_version(conn, scope, name, number) is None:
                raise errors.version_not_found(name, number)
            removed, invalid = labels.detach(conn, scope, name, number, request["Labels"])
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        result: Result = {}
        if removed:
            result["RemovedLabels"] = removed
        if invalid:
            result["InvalidLabels"] = invalid
        return result
