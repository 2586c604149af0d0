"""Why a policy document was refused.

The tree::

    MalformedPolicy          the document breaks the policy grammar (IAM: MalformedPolicyDocument)
    └── PolicyTooLarge       the document is over its size quota (IAM: LimitExceeded)

``message`` is what AWS answers, in its wording where it is known; ``detail`` says precisely
which part of the document is wrong, for logs and tests (AWS's messages are often vague).
"""

from __future__ import annotations

SYNTAX_ERRORS = "Syntax errors in policy."
LEGACY_PARSING = "The policy failed legacy parsing"


class MalformedPolicy(Exception):
    """The policy document cannot be accepted."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message

    def __str__(self) -> str:
        return self.message if self.detail == self.message else f"{self.message} ({self.detail})"


class PolicyTooLarge(MalformedPolicy):
    """The policy document exceeds the size quota of where it is stored."""
