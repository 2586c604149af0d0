"""A user or role as the modules that hang things on either see it (inline policies, attachments, tags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntityKind = Literal["user", "role"]


@dataclass(frozen=True)
class Entity:
    kind: EntityKind
    key: str  # the lower-cased name the tables are keyed by
    name: str
    arn: str

    @property
    def title(self) -> str:
        """How IAM names the kind in messages ("user", "role")."""
        return self.kind
