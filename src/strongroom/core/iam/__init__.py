"""IAM: the policy language and its evaluation (pure logic, no I/O).

parse_policy(text, kind=...) -> Policy       validate a document as IAM does (MalformedPolicy)
evaluate(AuthzRequest(...), ...) -> Evaluation   AWS's evaluation logic over every policy type
"""

from strongroom.core.iam.conditions import Condition, SetOperator
from strongroom.core.iam.context import ContextValue
from strongroom.core.iam.document import (
    Policy,
    PolicyKind,
    Statement,
    combine_policies,
    parse_policy,
    policy_size,
)
from strongroom.core.iam.evaluation import AuthzRequest, Decision, Evaluation, evaluate
from strongroom.core.iam.matching import glob_match
from strongroom.core.iam.policy_errors import MalformedPolicy, PolicyTooLarge
from strongroom.core.iam.principal_element import PrincipalMatch, PrincipalSet

__all__ = [
    "AuthzRequest",
    "Condition",
    "ContextValue",
    "Decision",
    "Evaluation",
    "MalformedPolicy",
    "Policy",
    "PolicyKind",
    "PolicyTooLarge",
    "PrincipalMatch",
    "PrincipalSet",
    "SetOperator",
    "Statement",
    "combine_policies",
    "evaluate",
    "glob_match",
    "parse_policy",
    "policy_size",
]
