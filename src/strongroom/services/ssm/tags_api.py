"""AddTagsToResource, ListTagsForResource and RemoveTagsFromResource for parameters.

Parameter is the only taggable SSM resource type Strongroom holds; the other types answer
InvalidResourceType. A parameter is named by its name (AWS also takes its ARN here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.aws.context import RequestContext
from strongroom.services.ssm import errors, parameters, tags
from strongroom.services.ssm.names import InvalidSelector, parameter_arn, parse_selector
from strongroom.services.ssm.parameters_api import PARAMETER_TYPE, scope_of

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

Request = dict[str, Any]
Result = dict[str, Any]


class TagsApi:
    """The tagging operations of SsmApi (parameters only)."""

    kernel: Kernel

    def add_tags_to_resource(self, ctx: RequestContext, request: Request) -> Result:
        name, arn = self._parameter(ctx, request)
        new = tags.tag_map(request["Tags"])
        ctx.authorize("ssm:AddTagsToResource", arn, request_tags=new)
        scope = scope_of(ctx)
        with self.kernel.db.write() as conn:
            if parameters.find_parameter(conn, scope, name, for_update=True) is None:
                raise errors.invalid_resource_id()
            tags.put(conn, scope, name, new)
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: Request) -> Result:
        name, arn = self._parameter(ctx, request)
        ctx.authorize("ssm:ListTagsForResource", arn)
        scope = scope_of(ctx)
        with self.kernel.db.read() as conn:
            if parameters.find_parameter(conn, scope, name) is None:
                raise errors.invalid_resource_id()
            current = tags.of(conn, scope, name)
        return {"TagList": tags.as_list(current)}

    def remove_tags_from_resource(self, ctx: RequestContext, request: Request) -> Result:
        name, arn = self._parameter(ctx, request)
        ctx.authorize("ssm:RemoveTagsFromResource", arn)
        scope = scope_of(ctx)
        with self.kernel.db.write() as conn:
            if parameters.find_parameter(conn, scope, name, for_update=True) is None:
                raise errors.invalid_resource_id()
            tags.remove(conn, scope, name, list(request["TagKeys"]))
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        return {}

    @staticmethod
    def _parameter(ctx: RequestContext, request: Request) -> tuple[str, str]:
        if request["ResourceType"] != "Parameter":
            raise errors.invalid_resource_type()
        try:
            selector = parse_selector(request["ResourceId"], ctx.region, ctx.account_id)
        except InvalidSelector:
            raise errors.invalid_resource_id() from None
        if selector.suffix is not None:
            raise errors.invalid_resource_id()
        return selector.name, parameter_arn(ctx.region, ctx.account_id, selector.name)
