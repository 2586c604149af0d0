"""GetParametersByPath, DescribeParameters and GetParameterHistory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.aws.context import RequestContext
from strongroom.services.ssm import errors, filters, names, pagination, parameters, public, tags, values
from strongroom.services.ssm.parameters import Version
from strongroom.services.ssm.parameters_api import PARAMETER_TYPE, scope_of, shown_value

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

Request = dict[str, Any]
Result = dict[str, Any]

BY_PATH_PAGE = 10
DESCRIBE_PAGE = 50
HISTORY_PAGE = 50


class ListingApi:
    """The listing operations of SsmApi."""

    kernel: Kernel

    def get_parameters_by_path(self, ctx: RequestContext, request: Request) -> Result:
        path = request["Path"]
        names.check_path(path)
        recursive = bool(request.get("Recursive"))
        decrypt = bool(request.get("WithDecryption"))
        chosen = filters.for_by_path(request.get("ParameterFilters"))
        size = int(request.get("MaxResults") or BY_PATH_PAGE)
        if public.is_public(path.rstrip("/") + "/"):
            ctx.authorize("ssm:GetParametersByPath", names.public_arn(ctx.region, path.rstrip("/")))
            return self._public_by_path(ctx, path, recursive, chosen, request.get("NextToken"), size)
        ctx.authorize(
            "ssm:GetParametersByPath",
            names.parameter_arn(ctx.region, ctx.account_id, path.rstrip("/") or "/"),
        )
        scope = scope_of(ctx)
        label_filter = next((f for f in chosen if f.key == "Label"), None)
        others = [f for f in chosen if f is not label_filter]
        with self.kernel.db.read() as conn:
            candidates = [
                v
                for v in parameters.every_latest(conn, scope)
                if names.under_path(v.name, path, recursive=recursive)
            ]
            if label_filter is not None:
                # A Label filter answers the labelled version of each parameter that carries the label.
                labelled: dict[str, int] = {}
                for (name, number), on_version in parameters.labels_by_version(
                    conn, scope, [v.name for v in candidates]
                ).items():
                    if any(label in label_filter.values for label in on_version):
                        labelled[name] = number
                chosen_versions = [
                    parameters.find_version(conn, scope, v.name, labelled[v.name])
                    for v in candidates
                    if v.name in labelled
                ]
                candidates = [v for v in chosen_versions if v is not None]
        selected = [v for v in candidates if all(filters.matches(v, f, tags={}, labels=[]) for f in others)]
        chunk, token = pagination.page(selected, lambda v: v.name, request.get("NextToken"), size)
        result: Result = {"Parameters": [_listed(ctx, v, decrypt) for v in chunk]}
        if token:
            result["NextToken"] = token
        return result

    def _public_by_path(
        self,
        ctx: RequestContext,
        path: str,
        recursive: bool,
        chosen: list[filters.Filter],
        next_token: str | None,
        size: int,
    ) -> Result:
        found = [
            (name, value)
            for name, value in public.catalog().items()
            if names.under_path(name, path, recursive=recursive)
            and all(f.key == "Type" and values.STRING in f.values for f in chosen)
        ]
        chunk, token = pagination.page(found, lambda item: item[0], next_token, size)
        result: Result = {
            "Parameters": [
                {
                    "Name": name,
                    "Type": values.STRING,
                    "Value": value,
                    "Version": 1,
                    "LastModifiedDate": public.PUBLISHED,
                    "ARN": names.public_arn(ctx.region, name),
                    "DataType": values.TEXT,
                }
                for name, value in chunk
            ]
        }
        if token:
            result["NextToken"] = token
        return result

    def describe_parameters(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("ssm:DescribeParameters", f"arn:aws:ssm:{ctx.region}:{ctx.account_id}:*")
        chosen = filters.for_describe(request.get("Filters"), request.get("ParameterFilters"))
        size = int(request.get("MaxResults") or DESCRIBE_PAGE)
        if request.get("Shared"):
            # Strongroom shares no parameters across accounts (AWS RAM), so none are shared with anyone.
            return {"Parameters": []}
        scope = scope_of(ctx)
        with self.kernel.db.read() as conn:
            every = parameters.every_latest(conn, scope)
            all_tags = tags.of_many(conn, scope) if any(f.tag_key is not None for f in chosen) else {}
        selected = [
            v
            for v in every
            if all(filters.matches(v, f, tags=all_tags.get(v.name, {}), labels=[]) for f in chosen)
        ]
        chunk, token = pagination.page(selected, lambda v: v.name, request.get("NextToken"), size)
        result: Result = {"Parameters": [_metadata(ctx, v) for v in chunk]}
        if token:
            result["NextToken"] = token
        return result

    def get_parameter_history(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        arn = names.parameter_arn(ctx.region, ctx.account_id, name)
        ctx.authorize("ssm:GetParameterHistory", arn)
        scope = scope_of(ctx)
        decrypt = bool(request.get("WithDecryption"))
        with self.kernel.db.read() as conn:
            versions = parameters.history(conn, scope, name)
            labels = parameters.labels_by_version(conn, scope, [name])
        if not versions:
            raise errors.parameter_not_found(f"Parameter {name} not found.")
        size = int(request.get("MaxResults") or HISTORY_PAGE)
        chunk, token = pagination.page(versions, lambda v: v.version, request.get("NextToken"), size)
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        entries = []
        for version in chunk:
            entry = _metadata(ctx, version)
            del entry["ARN"]
            entry["Value"] = shown_value(ctx, version, decrypt)
            entry["Labels"] = labels.get((name, version.version), [])
            entries.append(entry)
        result: Result = {"Parameters": entries}
        if token:
            result["NextToken"] = token
        return result


def _listed(ctx: RequestContext, version: Version, decrypt: bool) -> Result:
    return {
        "Name": version.name,
        "Type": version.type,
        "Value": shown_value(ctx, version, decrypt),
        "Version": version.version,
        "LastModifiedDate": version.modified_at,
        "ARN": names.parameter_arn(ctx.region, ctx.account_id, version.name),
        "DataType": version.data_type,
    }


def _metadata(ctx: RequestContext, version: Version) -> Result:
    result: Result = {
        "Name": version.name,
        "ARN": names.parameter_arn(ctx.region, ctx.account_id, version.name),
        "Type": version.type,
        "LastModifiedDate": version.modified_at,
        "LastModifiedUser": version.modified_by,
        "Version": version.version,
        "Tier": version.tier,
        "Policies": [p.describe() for p in version.policies],
        "DataType": version.data_type,
    }
    if version.key_id:
        result["KeyId"] = version.key_id
    if version.description:
        result["Description"] = version.description
    if version.allowed_pattern:
        result["AllowedPattern"] = version.allowed_pattern
    return result
