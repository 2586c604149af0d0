"""Parameter Store's EventBridge events, published in the transaction of the change they report.

"Parameter Store Change" on every create, update, delete and label change:
    {"operation": "Create" | "Update" | "Delete" | "LabelParameterVersion", "name", "type", "description"}
"Parameter Store Policy Action" when a parameter policy acts:
    {"parameter-name", "parameter-type", "policy-type", "policy-content", "action-status", "action-reason"}
Both come from `aws.ssm` with the parameter's ARN as the resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from strongroom.services.ssm.names import parameter_arn
from strongroom.services.ssm.parameters import Scope

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

SOURCE = "aws.ssm"
CHANGE = "Parameter Store Change"
POLICY_ACTION = "Parameter Store Policy Action"


def _publish(
    kernel: Kernel, conn: Connection, scope: Scope, detail_type: str, name: str, detail: dict[str, Any]
) -> None:
    events = getattr(kernel, "events", None)
    if events is None:
        return
    events.publish(
        scope.account_id,
        scope.region,
        SOURCE,
        detail_type,
        detail,
        [parameter_arn(scope.region, scope.account_id, name)],
        conn=conn,
    )


def change(
    kernel: Kernel,
    conn: Connection,
    scope: Scope,
    operation: str,
    name: str,
    parameter_type: str,
    description: str | None = None,
) -> None:
    detail: dict[str, Any] = {"operation": operation, "name": name, "type": parameter_type}
    if description:
        detail["description"] = description
    _publish(kernel, conn, scope, CHANGE, name, detail)


def policy_action(
    kernel: Kernel,
    conn: Connection,
    scope: Scope,
    *,
    name: str,
    parameter_type: str,
    policy_type: str,
    policy_text: str,
    status: str,
    reason: str,
) -> None:
    detail = {
        "parameter-name": name,
        "parameter-type": parameter_type,
        "policy-type": policy_type,
        "policy-content": policy_text,
        "action-status": status,
        "action-reason": reason,
    }
    _publish(kernel, conn, scope, POLICY_ACTION, name, detail)
