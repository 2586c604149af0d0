"""Resource policies: put (with BlockPublicPolicy), get, delete, list, validate."""

from __future__ import annotations

from strongroom.aws.context import RequestContext
from strongroom.services.secretsmanager import policies, records
from strongroom.services.secretsmanager.base import Request, Result, SecretsBase
from strongroom.services.secretsmanager.errors import invalid_parameter, not_found, public_policy

DEFAULT_POLICY = "default"


def _policy_name(request: Request) -> str:
    name = request.get("PolicyName") or DEFAULT_POLICY
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
            context_keys={"secretsmanager:BlockPublicPolicy": block},
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
        secret = self.load(ctx, request["SecretId"], "secretsmanager:GetResourcePolicy")
        result: Result = {"ARN": secret.arn, "Name": secret.name}
        if name != DEFAULT_POLICY:
            raise not_found(f"Secrets Manager can't find the resource policy {name}.")
        if secret.resource_policy is not None:
            result["ResourcePolicy"] = secret.resource_policy
            result["PolicyName"] = DEFAULT_POLICY
        return result

    def delete_resource_policy(self, ctx: RequestContext, request: Request) -> Result:
        _policy_name(request)
        secret = self.load(ctx, request["SecretId"], "secretsmanager:DeleteResourcePolicy", primary=True)
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, secret.secret_id, resource_policy=None)
        return {"ARN": secret.arn, "Name": secret.name}

    def list_resource_policies(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(ctx, request["SecretId"], "secretsmanager:ListResourcePolicies")
        names = [{"PolicyName": DEFAULT_POLICY}] if secret.resource_policy is not None else []
        return {"ResourcePolicies": names}

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
