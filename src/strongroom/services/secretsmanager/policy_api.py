"""Resource policies: put (with BlockPublicPolicy), get, delete, list, validate.

Only the `default` policy can be put or deleted; a cross-account replica's managed
`cross-account-replication` policy (policies.py) is listed and read like any other."""

from __future__ import annotations

import json

from strongroom.aws.context import RequestContext
from strongroom.services.secretsmanager import policies, records
from strongroom.services.secretsmanager.base import Request, Result, SecretsBase
from strongroom.services.secretsmanager.errors import invalid_parameter, not_found, public_policy
from strongroom.services.secretsmanager.policies import DEFAULT_POLICY, REPLICATION_POLICY


def _policy_name(request: Request) -> str:
    """The policy a Put or Delete names: only the default one can be changed."""
    name = request.get("PolicyName") or DEFAULT_POLICY
    if name == REPLICATION_POLICY:
        raise invalid_parameter(
            f"You can't change the managed {REPLICATION_POLICY} resource policy. It is removed when "
            "you call StopReplicationToReplica on the replica secret."
        )
    if name != DEFAULT_POLICY:
        raise invalid_parameter("You can attach only the default resource policy to a secret.")
    return name


class PolicyApi(SecretsBase):
    """PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy, ListResourcePolicies,
    ValidateResourcePolicy."""

    def put_resource_policy(self, ctx: RequestContext, request: Request) -> Result:
        name = _policy_name(request)
        block = bool(request.get("BlockPublicPolicy"))
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:PutResourcePolicy",
            context_keys={"secretsmanager:BlockPublicPolicy": block, "secretsmanager:PolicyName": name},
            live=True,
            primary=True,
        )
        text = request["ResourcePolicy"]
        policy = policies.parse(text)
        if block and policies.is_public(policy):
            raise public_policy()
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, secret.secret_id, resource_policy=text)
        return {"ARN": secret.arn, "Name": secret.name, "PolicyName": name}

    def get_resource_policy(self, ctx: RequestContext, request: Request) -> Result:
        name = request.get("PolicyName") or DEFAULT_POLICY
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:GetResourcePolicy",
            context_keys={"secretsmanager:PolicyName": name},
        )
        result: Result = {"ARN": secret.arn, "Name": secret.name}
        if name == DEFAULT_POLICY:
            text = secret.resource_policy
        elif name == REPLICATION_POLICY and (managed := policies.replication_policy(secret)) is not None:
            text = json.dumps(managed)
        else:
            raise not_found(f"Secrets Manager can't find the resource policy {name}.")
        if text is not None:
            result["ResourcePolicy"] = text
            result["PolicyName"] = name
        return result

    def delete_resource_policy(self, ctx: RequestContext, request: Request) -> Result:
        name = _policy_name(request)
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:DeleteResourcePolicy",
            context_keys={"secretsmanager:PolicyName": name},
            primary=True,
        )
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, secret.secret_id, resource_policy=None)
        return {"ARN": secret.arn, "Name": secret.name}

    def list_resource_policies(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(ctx, request["SecretId"], "secretsmanager:ListResourcePolicies")
        return {"ResourcePolicies": [{"PolicyName": name} for name in policies.names(secret)]}

    def validate_resource_policy(self, ctx: RequestContext, request: Request) -> Result:
        if request.get("SecretId"):
            self.load(ctx, request["SecretId"], "secretsmanager:ValidateResourcePolicy")
        else:
            ctx.authorize("secretsmanager:ValidateResourcePolicy", "*")
        found = policies.findings(request["ResourcePolicy"])
        return {
            "PolicyValidationPassed": not found,
            "ValidationErrors": [{"CheckName": f.check_name, "ErrorMessage": f.message} for f in found],
        }
