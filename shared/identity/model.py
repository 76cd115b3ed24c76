"""Users and roles, pure: what a request's caller is and what they may see. No I/O, no web framework."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

TOKEN_PREFIX = "hw_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"
    DPO = "dpo"  # the data-protection officer: reads who accessed which case, and why


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    role: Role
    # the donor programmes this user works on; empty: all of them
    programmes: frozenset[str] = frozenset()

    def may_see_programme(self, programme_id: str) -> bool:
        return not self.programmes or programme_id in self.programmes

    def programme_scope(self) -> list[str] | None:
        """The programmes to filter lists by; None when the user sees every programme."""
        return sorted(self.programmes) if self.programmes else None


def hash_token(token: str) -> str:
    """Tokens are stored only as this hash: a leaked table does not leak a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
