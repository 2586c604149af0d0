"""Tags: TagResource, UntagResource, ListResourceTags."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.services.kms import pagination, tags
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.keys import lock_key, tags_of
from strongroom.services.kms.states import check_state

Request = dict[str, Any]
Result = dict[str, Any]


class TagsApi:
    """TagResource, UntagResource, ListResourceTags."""

    def tag_resource(self, ctx: RequestContext, request: Request) -> Result:
        new = tags.requested(request["Tags"])
        resolved = usable_key(ctx, request["KeyId"], "TagResource", request_tags=new)
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state("TagResource", key.state, key.arn)
            tags.put(conn, key, new)
        return {}

    def untag_resource(self, ctx: RequestContext, request: Request) -> Result:
        tag_keys = list(request["TagKeys"])
        resolved = usable_key(
            ctx,
            request["KeyId"],
            "UntagResource",
            context_keys={"aws:TagKeys": tag_keys},
        )
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state("UntagResource", key.state, key.arn)
            tags.remove(conn, key, tag_keys)
        return {}

    def list_resource_tags(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "ListResourceTags")
        with ctx.kernel.db.read() as conn:
            current = tags.as_list(tags_of(conn, resolved.key))
        chunk, more = pagination.page(current, request, default_limit=50)
        return {"Tags": chunk, **more}
