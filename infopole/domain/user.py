"""People who work in Infopole and what they did (the audit trail that 152-ФЗ asks for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infopole.config.municipality import Role


@dataclass(frozen=True, slots=True)
class User:
    login: str
    name: str
    role: Role
    department_id: str | None = None  # for block owners

    @property
    def sees_identities(self) -> bool:
        """Only those who answer residents need to know who wrote; others see pseudonyms."""
        return self.role in (Role.HEAD, Role.BLOCK_OWNER, Role.CURATOR)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    actor: str
    action: str  # view, create, update, delete, login, export…
    object_type: str
    object_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    client: str = ""
