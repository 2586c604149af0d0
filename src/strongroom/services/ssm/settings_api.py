"""GetServiceSetting, UpdateServiceSetting and ResetServiceSetting (Parameter Store's settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.aws.context import RequestContext
from strongroom.services.ssm import settings
from strongroom.services.ssm.parameters_api import scope_of

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

Request = dict[str, Any]
Result = dict[str, Any]


class SettingsApi:
    """The service-setting operations of SsmApi."""

    kernel: Kernel

    def get_service_setting(self, ctx: RequestContext, request: Request) -> Result:
        scope = scope_of(ctx)
        path = settings.setting_path(request["SettingId"], scope)
        arn = settings.setting_arn(path, scope)
        ctx.authorize("ssm:GetServiceSetting", arn)
        with self.kernel.db.read() as conn:
            current = settings.read(conn, scope, path)
        return {"ServiceSetting": current.describe(arn, ctx.now())}

    def update_service_setting(self, ctx: RequestContext, request: Request) -> Result:
        scope = scope_of(ctx)
        path = settings.setting_path(request["SettingId"], scope)
        arn = settings.setting_arn(path, scope)
        ctx.authorize("ssm:UpdateServiceSetting", arn)
        with self.kernel.db.write() as conn:
            settings.write(conn, scope, path, request["SettingValue"], ctx.now(), ctx.principal.arn)
        ctx.audit_resources.append(("AWS::SSM::ServiceSetting", arn))
        return {}

    def reset_service_setting(self, ctx: RequestContext, request: Request) -> Result:
        scope = scope_of(ctx)
        path = settings.setting_path(request["SettingId"], scope)
        arn = settings.setting_arn(path, scope)
        ctx.authorize("ssm:ResetServiceSetting", arn)
        with self.kernel.db.write() as conn:
            settings.reset(conn, scope, path)
            current = settings.read(conn, scope, path)
        ctx.audit_resources.append(("AWS::SSM::ServiceSetting", arn))
        return {"ServiceSetting": current.describe(arn, ctx.now())}
