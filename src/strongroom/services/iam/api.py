"""IAM's query API: one method per operation, each one check, authorize, act, record.

Every handler authorizes `iam:<Operation>` against the resource ARN the IAM service authorization
reference names (users, roles and policies by ARN; listings against `arn:aws:iam::ACCT:user/` and
the like), then acts in one write transaction. Policy documents are checked by the policy engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Row

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ValidationError
from strongroom.aws.service import ServiceApi
from strongroom.services.iam import (
    access_keys,
    account,
    attachments,
    aws_managed,
    inline_policies,
    pagination,
    policies,
    roles,
    tags,
    users,
)
from strongroom.services.iam.documents import (
    check_document,
    check_managed_size,
    check_trust_size,
    encoded,
)
from strongroom.services.iam.entities import Entity, EntityKind
from strongroom.services.iam.errors import already_exists, invalid_input
from strongroom.services.iam.names import (
    DEFAULT_PATH,
    parse_policy_arn,
    role_arn,
    type_root_arn,
    user_arn,
)

Result = dict[str, Any]
Request = dict[str, Any]

_USER = "AWS::IAM::User"
_ROLE = "AWS::IAM::Role"
_POLICY = "AWS::IAM::Policy"
_ACCESS_KEY = "AWS::IAM::AccessKey"


class IamApi(ServiceApi):
    """AWS Identity and Access Management."""

    model_name = "iam"
    access_denied = ("AccessDenied", 403)
    global_service = True

    def setup(self) -> None:
        with self.kernel.db.write() as conn:
            self.kernel.db.lock(conn, "iam:seed-aws-managed-policies")  # every worker runs setup
            aws_managed.seed(conn, self.kernel.clock.now())

    # -- users -------------------------------------------------------------------------------

    def create_user(self, ctx: RequestContext, request: Request) -> Result:
        name, path = request["UserName"], request.get("Path") or DEFAULT_PATH
        arn = user_arn(ctx.account_id, path, name)
        new_tags = tags.requested(request.get("Tags"))
        boundary = request.get("PermissionsBoundary")
        ctx.authorize(
            "iam:CreateUser",
            arn,
            request_tags=tags.tag_map(new_tags),
            context_keys={"iam:PermissionsBoundary": boundary} if boundary else None,
        )
        with self._write() as conn:
            if boundary:
                self._boundary_policy(conn, ctx, boundary)
            row = users.create(conn, ctx.account_id, name, path, boundary, ctx.now())
            tags.put_tags(conn, ctx.account_id, "user", row.name_key, new_tags)
        ctx.audit_resources.append((_USER, arn))
        return {"User": users.describe(row, new_tags)}

    def get_user(self, ctx: RequestContext, request: Request) -> Result:
        name = request.get("UserName")
        if name is None:
            if ctx.principal.is_root:
                return {"User": self._root_user(ctx)}
            name = self._caller_user_name(ctx)
        self._authorize_entity(ctx, "iam:GetUser", "user", name)
        with self._read() as conn:
            row = users.require(conn, ctx.account_id, name)
            user_tags = tags.tag_list(conn, ctx.account_id, "user", row.name_key)
        ctx.audit_resources.append((_USER, row.arn))
        return {"User": users.describe(row, user_tags)}

    def list_users(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:ListUsers", type_root_arn(ctx.account_id, "user"))
        with self._read() as conn:
            rows = users.listing(conn, ctx.account_id, request.get("PathPrefix"))
        chunk, more = pagination.page(rows, request)
        return {"Users": [users.describe(row) for row in chunk], **more}

    def update_user(self, ctx: RequestContext, request: Request) -> Result:
        name = request["UserName"]
        self._authorize_entity(ctx, "iam:UpdateUser", "user", name)
        with self._write() as conn:
            row = users.require(conn, ctx.account_id, name)
            users.rename(conn, ctx.account_id, row, request.get("NewUserName"), request.get("NewPath"))
        ctx.audit_resources.append((_USER, row.arn))
        return {}

    def delete_user(self, ctx: RequestContext, request: Request) -> Result:
        name = request["UserName"]
        self._authorize_entity(ctx, "iam:DeleteUser", "user", name)
        with self._write() as conn:
            row = users.require(conn, ctx.account_id, name)
            users.remove(conn, ctx.account_id, row)
        ctx.audit_resources.append((_USER, row.arn))
        return {}

    # -- access keys -------------------------------------------------------------------------

    def create_access_key(self, ctx: RequestContext, request: Request) -> Result:
        owner = self._key_owner(ctx, request, "iam:CreateAccessKey")
        with self._write() as conn:
            user_key, user_name = self._owner_row(conn, ctx, owner)
            key_id, secret, created = access_keys.create(
                conn, ctx.kernel.credentials, ctx.account_id, user_key
            )
        ctx.audit_resources.append((_ACCESS_KEY, key_id))
        return {
            "AccessKey": {
                "UserName": user_name,
                "AccessKeyId": key_id,
                "Status": "Active",
                "SecretAccessKey": secret,
                "CreateDate": created,
            }
        }

    def list_access_keys(self, ctx: RequestContext, request: Request) -> Result:
        owner = self._key_owner(ctx, request, "iam:ListAccessKeys")
        with self._read() as conn:
            user_key, user_name = self._owner_row(conn, ctx, owner)
            rows = access_keys.listing(conn, ctx.account_id, user_key)
        chunk, more = pagination.page(rows, request)
        metadata = [
            {
                "UserName": user_name,
                "AccessKeyId": r.access_key_id,
                "Status": r.status,
                "CreateDate": r.created_at,
            }
            for r in chunk
        ]
        return {"AccessKeyMetadata": metadata, **more}

    def update_access_key(self, ctx: RequestContext, request: Request) -> Result:
        owner = self._key_owner(ctx, request, "iam:UpdateAccessKey")
        with self._write() as conn:
            user_key, _ = self._owner_row(conn, ctx, owner)
            access_keys.set_status(conn, ctx.account_id, user_key, request["AccessKeyId"], request["Status"])
        ctx.audit_resources.append((_ACCESS_KEY, request["AccessKeyId"]))
        return {}

    def delete_access_key(self, ctx: RequestContext, request: Request) -> Result:
        owner = self._key_owner(ctx, request, "iam:DeleteAccessKey")
        with self._write() as conn:
            user_key, _ = self._owner_row(conn, ctx, owner)
            access_keys.remove(conn, ctx.account_id, user_key, request["AccessKeyId"])
        ctx.audit_resources.append((_ACCESS_KEY, request["AccessKeyId"]))
        return {}

    def get_access_key_last_used(self, ctx: RequestContext, request: Request) -> Result:
        key_id = request["AccessKeyId"]
        with self._read() as conn:
            owner = access_keys.owner(conn, ctx.account_id, key_id)
            row = users.find(conn, ctx.account_id, owner.user_name_key) if owner.user_name_key else None
        resource = row.arn if row is not None else f"arn:aws:iam::{ctx.account_id}:root"
        ctx.authorize("iam:GetAccessKeyLastUsed", resource)
        # Strongroom does not track key use yet; IAM answers N/A for a key never used.
        result: Result = {"AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
        if row is not None:
            result["UserName"] = row.user_name
        return result

    # -- roles -------------------------------------------------------------------------------

    def create_role(self, ctx: RequestContext, request: Request) -> Result:
        name, path = request["RoleName"], request.get("Path") or DEFAULT_PATH
        arn = role_arn(ctx.account_id, path, name)
        new_tags = tags.requested(request.get("Tags"))
        boundary = request.get("PermissionsBoundary")
        ctx.authorize(
            "iam:CreateRole",
            arn,
            request_tags=tags.tag_map(new_tags),
            context_keys={"iam:PermissionsBoundary": boundary} if boundary else None,
        )
        trust = request["AssumeRolePolicyDocument"]
        check_document(trust, "trust")
        check_trust_size(trust)
        with self._write() as conn:
            if boundary:
                self._boundary_policy(conn, ctx, boundary)
            row = roles.create(
                conn,
                ctx.account_id,
                name,
                path,
                trust,
                request.get("Description"),
                int(request.get("MaxSessionDuration") or roles.DEFAULT_MAX_SESSION_DURATION),
                boundary,
                ctx.now(),
            )
            tags.put_tags(conn, ctx.account_id, "role", row.name_key, new_tags)
        ctx.audit_resources.append((_ROLE, arn))
        return {"Role": roles.describe(row, new_tags, full=False)}

    def get_role(self, ctx: RequestContext, request: Request) -> Result:
        name = request["RoleName"]
        self._authorize_entity(ctx, "iam:GetRole", "role", name)
        with self._read() as conn:
            row = roles.require(conn, ctx.account_id, name)
            role_tags = tags.tag_list(conn, ctx.account_id, "role", row.name_key)
        ctx.audit_resources.append((_ROLE, row.arn))
        return {"Role": roles.describe(row, role_tags)}

    def list_roles(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:ListRoles", type_root_arn(ctx.account_id, "role"))
        with self._read() as conn:
            rows = roles.listing(conn, ctx.account_id, request.get("PathPrefix"))
        chunk, more = pagination.page(rows, request)
        return {"Roles": [roles.describe(row, full=False) for row in chunk], **more}

    def update_role(self, ctx: RequestContext, request: Request) -> Result:
        name = request["RoleName"]
        self._authorize_entity(ctx, "iam:UpdateRole", "role", name)
        values: dict[str, Any] = {}
        if request.get("Description") is not None:
            values["description"] = request["Description"]
        if request.get("MaxSessionDuration") is not None:
            values["max_session_duration"] = int(request["MaxSessionDuration"])
        with self._write() as conn:
            row = roles.require(conn, ctx.account_id, name)
            if values:
                roles.change(conn, ctx.account_id, row, **values)
        ctx.audit_resources.append((_ROLE, row.arn))
        return {}

    def update_role_description(self, ctx: RequestContext, request: Request) -> Result:
        name = request["RoleName"]
        self._authorize_entity(ctx, "iam:UpdateRoleDescription", "role", name)
        with self._write() as conn:
            row = roles.require(conn, ctx.account_id, name)
            roles.change(conn, ctx.account_id, row, description=request["Description"])
            row = roles.require(conn, ctx.account_id, name)
            role_tags = tags.tag_list(conn, ctx.account_id, "role", row.name_key)
        ctx.audit_resources.append((_ROLE, row.arn))
        return {"Role": roles.describe(row, role_tags)}

    def update_assume_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        name, document = request["RoleName"], request["PolicyDocument"]
        self._authorize_entity(ctx, "iam:UpdateAssumeRolePolicy", "role", name)
        with self._write() as conn:
            row = roles.require(conn, ctx.account_id, name)
            check_document(document, "trust")
            check_trust_size(document)
            roles.change(conn, ctx.account_id, row, trust_policy=document)
        ctx.audit_resources.append((_ROLE, row.arn))
        return {}

    def delete_role(self, ctx: RequestContext, request: Request) -> Result:
        name = request["RoleName"]
        self._authorize_entity(ctx, "iam:DeleteRole", "role", name)
        with self._write() as conn:
            row = roles.require(conn, ctx.account_id, name)
            roles.remove(conn, ctx.account_id, row)
        ctx.audit_resources.append((_ROLE, row.arn))
        return {}

    # -- inline policies ---------------------------------------------------------------------

    def put_user_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._put_inline(ctx, request, "user", "iam:PutUserPolicy")

    def get_user_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._get_inline(ctx, request, "user", "iam:GetUserPolicy")

    def list_user_policies(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_inline(ctx, request, "user", "iam:ListUserPolicies")

    def delete_user_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._delete_inline(ctx, request, "user", "iam:DeleteUserPolicy")

    def put_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._put_inline(ctx, request, "role", "iam:PutRolePolicy")

    def get_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._get_inline(ctx, request, "role", "iam:GetRolePolicy")

    def list_role_policies(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_inline(ctx, request, "role", "iam:ListRolePolicies")

    def delete_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._delete_inline(ctx, request, "role", "iam:DeleteRolePolicy")

    def _put_inline(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        document = request["PolicyDocument"]
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            check_document(document, "identity")
            inline_policies.put(conn, ctx.account_id, entity, request["PolicyName"], document)
        ctx.audit_resources.append((_entity_type(kind), entity.arn))
        return {}

    def _get_inline(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        with self._read() as conn:
            entity = self._entity(conn, ctx, kind, name)
            document = inline_policies.get(conn, ctx.account_id, entity, request["PolicyName"])
        name_member = "UserName" if kind == "user" else "RoleName"
        return {
            name_member: entity.name,
            "PolicyName": request["PolicyName"],
            "PolicyDocument": encoded(document),
        }

    def _list_inline(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        with self._read() as conn:
            entity = self._entity(conn, ctx, kind, name)
            names = inline_policies.names(conn, ctx.account_id, entity)
        chunk, more = pagination.page(names, request)
        return {"PolicyNames": chunk, **more}

    def _delete_inline(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            inline_policies.remove(conn, ctx.account_id, entity, request["PolicyName"])
        ctx.audit_resources.append((_entity_type(kind), entity.arn))
        return {}

    # -- managed policies --------------------------------------------------------------------

    def create_policy(self, ctx: RequestContext, request: Request) -> Result:
        name, path = request["PolicyName"], request.get("Path") or DEFAULT_PATH
        arn = f"arn:aws:iam::{ctx.account_id}:policy{path}{name}"
        new_tags = tags.requested(request.get("Tags"))
        ctx.authorize("iam:CreatePolicy", arn, request_tags=tags.tag_map(new_tags))
        document = request["PolicyDocument"]
        check_document(document, "identity")
        check_managed_size(document)
        with self._write() as conn:
            row = policies.create(
                conn, ctx.account_id, name, path, request.get("Description"), document, ctx.now()
            )
            tags.put_tags(conn, ctx.account_id, "policy", row.arn, new_tags)
            described = policies.describe(conn, ctx.account_id, row, new_tags)
        ctx.audit_resources.append((_POLICY, arn))
        return {"Policy": described}

    def get_policy(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:GetPolicy", request["PolicyArn"])
        with self._read() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            policy_tags = tags.tag_list(conn, ctx.account_id, "policy", row.arn)
            described = policies.describe(conn, ctx.account_id, row, policy_tags)
        return {"Policy": described}

    def list_policies(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:ListPolicies", type_root_arn(ctx.account_id, "policy"))
        with self._read() as conn:
            listed = policies.listing(
                conn,
                ctx.account_id,
                scope=request.get("Scope") or "All",
                only_attached=bool(request.get("OnlyAttached")),
                path_prefix=request.get("PathPrefix"),
                usage_filter=request.get("PolicyUsageFilter"),
            )
        chunk, more = pagination.page(listed, request)
        return {"Policies": chunk, **more}

    def delete_policy(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:DeletePolicy", request["PolicyArn"], change=True)
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            policies.remove(conn, ctx.account_id, row)
        ctx.audit_resources.append((_POLICY, arn))
        return {}

    def create_policy_version(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:CreatePolicyVersion", request["PolicyArn"], change=True)
        document = request["PolicyDocument"]
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            check_document(document, "identity")
            check_managed_size(document)
            set_default = bool(request.get("SetAsDefault"))
            version_id = policies.create_version(conn, row, document, set_default, ctx.now())
            version = policies.require_version(conn, row, version_id)
        ctx.audit_resources.append((_POLICY, arn))
        default = version_id if set_default else row.default_version_id
        return {"PolicyVersion": policies.describe_version(version, default, with_document=False)}

    def get_policy_version(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:GetPolicyVersion", request["PolicyArn"])
        with self._read() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            version = policies.require_version(conn, row, request["VersionId"])
        return {"PolicyVersion": policies.describe_version(version, row.default_version_id)}

    def list_policy_versions(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:ListPolicyVersions", request["PolicyArn"])
        with self._read() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            versions = policies.versions(conn, row.arn)
        chunk, more = pagination.page(versions, request)
        described = [policies.describe_version(v, row.default_version_id, with_document=False) for v in chunk]
        return {"Versions": described, **more}

    def delete_policy_version(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:DeletePolicyVersion", request["PolicyArn"], change=True)
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            policies.delete_version(conn, row, request["VersionId"])
        ctx.audit_resources.append((_POLICY, arn))
        return {}

    def set_default_policy_version(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:SetDefaultPolicyVersion", request["PolicyArn"], change=True)
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            policies.set_default(conn, row, request["VersionId"], ctx.now())
        ctx.audit_resources.append((_POLICY, arn))
        return {}

    # -- attachments -------------------------------------------------------------------------

    def attach_user_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._attach(ctx, request, "user", "iam:AttachUserPolicy")

    def detach_user_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._detach(ctx, request, "user", "iam:DetachUserPolicy")

    def attach_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._attach(ctx, request, "role", "iam:AttachRolePolicy")

    def detach_role_policy(self, ctx: RequestContext, request: Request) -> Result:
        return self._detach(ctx, request, "role", "iam:DetachRolePolicy")

    def list_attached_user_policies(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_attached(ctx, request, "user", "iam:ListAttachedUserPolicies")

    def list_attached_role_policies(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_attached(ctx, request, "role", "iam:ListAttachedRolePolicies")

    def _attach(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name, arn = _entity_name(request, kind), request["PolicyArn"]
        parse_policy_arn(arn)
        self._authorize_entity(ctx, action, kind, name, context_keys={"iam:PolicyARN": arn})
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            policies.require(conn, ctx.account_id, arn)
            attachments.attach(conn, ctx.account_id, entity, arn)
        ctx.audit_resources.extend([(_entity_type(kind), entity.arn), (_POLICY, arn)])
        return {}

    def _detach(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name, arn = _entity_name(request, kind), request["PolicyArn"]
        parse_policy_arn(arn)
        self._authorize_entity(ctx, action, kind, name, context_keys={"iam:PolicyARN": arn})
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            attachments.detach(conn, ctx.account_id, entity, arn)
        ctx.audit_resources.extend([(_entity_type(kind), entity.arn), (_POLICY, arn)])
        return {}

    def _list_attached(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        prefix = request.get("PathPrefix")
        with self._read() as conn:
            entity = self._entity(conn, ctx, kind, name)
            attached = []
            for arn in attachments.attached_arns(conn, ctx.account_id, entity):
                row = policies.find(conn, arn)
                if row is not None and (prefix is None or row.path.startswith(prefix)):
                    attached.append({"PolicyName": row.policy_name, "PolicyArn": arn})
        attached.sort(key=lambda p: (p["PolicyName"].lower(), p["PolicyArn"]))
        chunk, more = pagination.page(attached, request)
        return {"AttachedPolicies": chunk, **more}

    def list_entities_for_policy(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:ListEntitiesForPolicy", request["PolicyArn"])
        wanted = request.get("EntityFilter")
        usage = request.get("PolicyUsageFilter")
        prefix = request.get("PathPrefix")
        with self._read() as conn:
            policies.require(conn, ctx.account_id, arn)
            found: list[tuple[str, Row[Any]]] = []
            if usage != "PermissionsBoundary":
                for kind, key in attachments.attached_entities(conn, ctx.account_id, arn):
                    row = (users if kind == "user" else roles).find(conn, ctx.account_id, key)
                    if row is not None:
                        found.append((kind, row))
            if usage == "PermissionsBoundary":
                found += [("user", r) for r in users.listing(conn, ctx.account_id, None)
                          if r.permissions_boundary == arn]  # fmt: skip
                found += [("role", r) for r in roles.listing(conn, ctx.account_id, None)
                          if r.permissions_boundary == arn]  # fmt: skip
        found = [
            (kind, row)
            for kind, row in found
            if (wanted in (None, "LocalManagedPolicy", "AWSManagedPolicy") or wanted.lower() == kind)
            and (prefix is None or row.path.startswith(prefix))
        ]
        found.sort(key=lambda item: (item[0], item[1].name_key))
        chunk, more = pagination.page(found, request)
        return {
            "PolicyGroups": [],
            "PolicyUsers": [{"UserName": r.user_name, "UserId": r.user_id} for k, r in chunk if k == "user"],
            "PolicyRoles": [{"RoleName": r.role_name, "RoleId": r.role_id} for k, r in chunk if k == "role"],
            **more,
        }

    # -- permissions boundaries --------------------------------------------------------------

    def put_user_permissions_boundary(self, ctx: RequestContext, request: Request) -> Result:
        return self._put_boundary(ctx, request, "user", "iam:PutUserPermissionsBoundary")

    def delete_user_permissions_boundary(self, ctx: RequestContext, request: Request) -> Result:
        return self._delete_boundary(ctx, request, "user", "iam:DeleteUserPermissionsBoundary")

    def put_role_permissions_boundary(self, ctx: RequestContext, request: Request) -> Result:
        return self._put_boundary(ctx, request, "role", "iam:PutRolePermissionsBoundary")

    def delete_role_permissions_boundary(self, ctx: RequestContext, request: Request) -> Result:
        return self._delete_boundary(ctx, request, "role", "iam:DeleteRolePermissionsBoundary")

    def _put_boundary(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name, arn = _entity_name(request, kind), request["PermissionsBoundary"]
        self._authorize_entity(ctx, action, kind, name, context_keys={"iam:PermissionsBoundary": arn})
        with self._write() as conn:
            row = self._entity_row(conn, ctx, kind, name)
            self._boundary_policy(conn, ctx, arn)
            if kind == "user":
                users.set_boundary(conn, ctx.account_id, row, arn)
            else:
                roles.change(conn, ctx.account_id, row, permissions_boundary=arn)
        ctx.audit_resources.append((_entity_type(kind), row.arn))
        return {}

    def _delete_boundary(
        self, ctx: RequestContext, request: Request, kind: EntityKind, action: str
    ) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        with self._write() as conn:
            row = self._entity_row(conn, ctx, kind, name)
            if kind == "user":
                users.set_boundary(conn, ctx.account_id, row, None)
            else:
                roles.change(conn, ctx.account_id, row, permissions_boundary=None)
        ctx.audit_resources.append((_entity_type(kind), row.arn))
        return {}

    @staticmethod
    def _boundary_policy(conn: Connection, ctx: RequestContext, arn: str) -> None:
        parse_policy_arn(arn)
        policies.require(conn, ctx.account_id, arn)

    # -- tags --------------------------------------------------------------------------------

    def tag_user(self, ctx: RequestContext, request: Request) -> Result:
        return self._tag_entity(ctx, request, "user", "iam:TagUser")

    def untag_user(self, ctx: RequestContext, request: Request) -> Result:
        return self._untag_entity(ctx, request, "user", "iam:UntagUser")

    def list_user_tags(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_entity_tags(ctx, request, "user", "iam:ListUserTags")

    def tag_role(self, ctx: RequestContext, request: Request) -> Result:
        return self._tag_entity(ctx, request, "role", "iam:TagRole")

    def untag_role(self, ctx: RequestContext, request: Request) -> Result:
        return self._untag_entity(ctx, request, "role", "iam:UntagRole")

    def list_role_tags(self, ctx: RequestContext, request: Request) -> Result:
        return self._list_entity_tags(ctx, request, "role", "iam:ListRoleTags")

    def _tag_entity(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        new_tags = tags.requested(request["Tags"])
        self._authorize_entity(ctx, action, kind, name, request_tags=tags.tag_map(new_tags))
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            tags.put_tags(conn, ctx.account_id, kind, entity.key, new_tags)
        ctx.audit_resources.append((_entity_type(kind), entity.arn))
        return {}

    def _untag_entity(self, ctx: RequestContext, request: Request, kind: EntityKind, action: str) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(
            ctx, action, kind, name, context_keys={"aws:TagKeys": list(request["TagKeys"])}
        )
        with self._write() as conn:
            entity = self._entity(conn, ctx, kind, name)
            tags.remove_tags(conn, ctx.account_id, kind, entity.key, request["TagKeys"])
        ctx.audit_resources.append((_entity_type(kind), entity.arn))
        return {}

    def _list_entity_tags(
        self, ctx: RequestContext, request: Request, kind: EntityKind, action: str
    ) -> Result:
        name = _entity_name(request, kind)
        self._authorize_entity(ctx, action, kind, name)
        with self._read() as conn:
            entity = self._entity(conn, ctx, kind, name)
            tag_list = tags.tag_list(conn, ctx.account_id, kind, entity.key)
        chunk, more = pagination.page(tag_list, request)
        return {"Tags": chunk, **more}

    def tag_policy(self, ctx: RequestContext, request: Request) -> Result:
        new_tags = tags.requested(request["Tags"])
        arn = self._authorize_policy(
            ctx, "iam:TagPolicy", request["PolicyArn"], change=True, request_tags=tags.tag_map(new_tags)
        )
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            tags.put_tags(conn, ctx.account_id, "policy", row.arn, new_tags)
        ctx.audit_resources.append((_POLICY, arn))
        return {}

    def untag_policy(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(
            ctx, "iam:UntagPolicy", request["PolicyArn"], change=True,
            context_keys={"aws:TagKeys": list(request["TagKeys"])},
        )  # fmt: skip
        with self._write() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            tags.remove_tags(conn, ctx.account_id, "policy", row.arn, request["TagKeys"])
        ctx.audit_resources.append((_POLICY, arn))
        return {}

    def list_policy_tags(self, ctx: RequestContext, request: Request) -> Result:
        arn = self._authorize_policy(ctx, "iam:ListPolicyTags", request["PolicyArn"])
        with self._read() as conn:
            row = policies.require(conn, ctx.account_id, arn)
            tag_list = tags.tag_list(conn, ctx.account_id, "policy", row.arn)
        chunk, more = pagination.page(tag_list, request)
        return {"Tags": chunk, **more}

    # -- the account -------------------------------------------------------------------------

    def get_account_summary(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:GetAccountSummary", "*")
        with self._read() as conn:
            return {"SummaryMap": account.summary(conn, ctx.account_id)}

    def create_account_alias(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:CreateAccountAlias", "*")
        with self._write() as conn:
            account.create_alias(conn, ctx.account_id, request["AccountAlias"])
        return {}

    def list_account_aliases(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:ListAccountAliases", "*")
        with self._read() as conn:
            aliases = account.aliases(conn, ctx.account_id)
        chunk, more = pagination.page(aliases, request)
        return {"AccountAliases": chunk, **more}

    def delete_account_alias(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("iam:DeleteAccountAlias", "*")
        with self._write() as conn:
            account.delete_alias(conn, ctx.account_id, request["AccountAlias"])
        return {}

    # -- helpers -----------------------------------------------------------------------------

    def _read(self) -> AbstractContextManager[Connection]:
        return self.kernel.db.read()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        # Every unique key in IAM's tables is a name: a violation is a duplicate entity.
        with self.kernel.db.write_unique(lambda: already_exists("The entity already exists.")) as conn:
            yield conn
        self.kernel.credentials.changed()  # keys and users are cached by the gateway

    def _authorize_entity(
        self,
        ctx: RequestContext,
        action: str,
        kind: EntityKind,
        name: str,
        *,
        request_tags: dict[str, str] | None = None,
        context_keys: dict[str, Any] | None = None,
    ) -> None:
        """Authorize on the user or role ARN and its tags (IAM decides before it looks the entity up)."""
        module = users if kind == "user" else roles
        with self._read() as conn:
            row = module.find(conn, ctx.account_id, name)
            resource_tags = (
                tags.tag_map(tags.tag_list(conn, ctx.account_id, kind, row.name_key)) if row else {}
            )
        arn_of: Callable[[str, str, str], str] = user_arn if kind == "user" else role_arn
        arn = row.arn if row is not None else arn_of(ctx.account_id, DEFAULT_PATH, name)
        ctx.authorize(
            action, arn, resource_tags=resource_tags, request_tags=request_tags, context_keys=context_keys
        )

    def _authorize_policy(
        self,
        ctx: RequestContext,
        action: str,
        arn: str,
        *,
        change: bool = False,
        request_tags: dict[str, str] | None = None,
        context_keys: dict[str, Any] | None = None,
    ) -> str:
        parsed = parse_policy_arn(arn)
        if change and parsed.aws_managed:
            ctx.authorize(action, arn, request_tags=request_tags, context_keys=context_keys)
            raise invalid_input(f"Cannot modify the AWS managed policy {arn}.")
        with self._read() as conn:
            resource_tags = tags.tag_map(tags.tag_list(conn, ctx.account_id, "policy", arn))
        ctx.authorize(
            action, arn, resource_tags=resource_tags, request_tags=request_tags, context_keys=context_keys
        )
        return arn

    def _entity_row(self, conn: Connection, ctx: RequestContext, kind: EntityKind, name: str) -> Row[Any]:
        if kind == "user":
            return users.require(conn, ctx.account_id, name)
        return roles.require(conn, ctx.account_id, name)

    def _entity(self, conn: Connection, ctx: RequestContext, kind: EntityKind, name: str) -> Entity:
        row = self._entity_row(conn, ctx, kind, name)
        return users.entity(row) if kind == "user" else roles.entity(row)

    @staticmethod
    def _caller_user_name(ctx: RequestContext) -> str:
        if ctx.principal.type == "IAMUser" and ctx.principal.user_name:
            return ctx.principal.user_name
        raise ValidationError("Must specify userName when calling with non-User credentials")

    def _key_owner(self, ctx: RequestContext, request: Request, action: str) -> str | None:
        """The user whose keys the request is about (None: the account root's own), authorized."""
        name = request.get("UserName")
        if name is None and ctx.principal.is_root:
            ctx.authorize(action, f"arn:aws:iam::{ctx.account_id}:root")
            return None
        if name is None:
            name = self._caller_user_name(ctx)
        self._authorize_entity(ctx, action, "user", name)
        return str(name)

    @staticmethod
    def _owner_row(conn: Connection, ctx: RequestContext, owner: str | None) -> tuple[str | None, str]:
        if owner is None:
            return None, "root"
        row = users.require(conn, ctx.account_id, owner)
        return row.name_key, row.user_name

    def _root_user(self, ctx: RequestContext) -> Result:
        arn = f"arn:aws:iam::{ctx.account_id}:root"
        ctx.authorize("iam:GetUser", arn)
        with self._read() as conn:
            created = account.created_at(conn, ctx.account_id)
        return {"UserId": ctx.account_id, "Arn": arn, "CreateDate": created or ctx.now()}


def _entity_name(request: Request, kind: EntityKind) -> str:
    return str(request["UserName"] if kind == "user" else request["RoleName"])


def _entity_type(kind: EntityKind) -> str:
    return _USER if kind == "user" else _ROLE
