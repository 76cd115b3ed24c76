"""Users and roles, pure: what a request's caller is and what they may see. No I/O, no web framework.

Scopes fail closed: a user sees the cases of the programmes listed on them and nothing else — an
empty list sees nothing; only an admin sees every programme. A user may be limited further to the
cases assigned to their office or to them (`CaseScope`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

TOKEN_PREFIX = "hw_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
# letters, digits and . _ @ - (user names and office codes are ids: they appear in logs and URLs)
NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,100}$"
OFFICE_PATTERN = r"^[A-Za-z0-9._-]{1,50}$"


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"
    DPO = "dpo"  # the data-protection officer: reads who accessed which case, and why
    # a programme manager: reads the reporting service's aggregate reports of their programmes, and
    # nothing personal (no other service lets this role read anything)
    MANAGER = "manager"
    # a sending country's mission: announces expected returns of its programmes, changes or cancels
    # them, and reads their arrival status (not the cases: no assessment, plan or timeline)
    SENDING_MISSION = "sending_mission"
    # a partner organisation's staff on the partner portal (referral's pages): bound to ONE partner
    # of the directory (`User.partner_id`), they read and answer that partner's referrals and
    # nothing else — no other page or API of any service lets this role in
    PARTNER = "partner"


class CaseScope(StrEnum):
    """Which cases of their programmes a user sees."""

    PROGRAMMES = "programmes"  # every case of their programmes
    OFFICE = "office"  # only those assigned to their office
    ASSIGNED = "assigned"  # only those assigned to them


@dataclass(frozen=True)
class CaseLimit:
    """The assignment a list is filtered by, beyond the programmes: None where it is not limited."""

    assigned_to: UUID | None = None
    office: str | None = None
    matches_nothing: bool = False  # limited to an office, but the user has none


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    role: Role
    # the donor programmes this user works on; empty: none at all (scopes fail closed)
    programmes: frozenset[str] = frozenset()
    office: str | None = None
    case_scope: CaseScope = CaseScope.PROGRAMMES
    # the pages' language this person chose (`en`, `mk`, `sq`); None: the browser's decides
    language: str | None = None
    # the directory partner a `partner` user acts for (None for every other role): the portal
    # takes the partner from here, never from a form
    partner_id: str | None = None

    @property
    def sees_every_programme(self) -> bool:
        return self.role is Role.ADMIN

    def may_see_programme(self, programme_id: str | None) -> bool:
        if self.sees_every_programme:
            return True
        return programme_id is not None and programme_id in self.programmes

    def may_see_programmes(self, programme_ids: Iterable[str]) -> bool:
        """Whether every one of `programme_ids` is in scope (e.g. a whole-ledger export)."""
        return all(self.may_see_programme(p) for p in programme_ids)

    def acts_for_partner(self, partner_id: str | None) -> bool:
        """Whether this user may read and answer `partner_id`'s referrals (fails closed: only a
        partner user, only their own partner)."""
        return self.role is Role.PARTNER and self.partner_id is not None and self.partner_id == partner_id

    def programme_scope(self) -> list[str] | None:
        """The programmes to filter lists by: None only for an admin, who sees every programme; an
        empty list (a user with no programmes) matches nothing."""
        return None if self.sees_every_programme else sorted(self.programmes)

    def case_limit(self) -> CaseLimit:
        """What a case list is limited to beyond the programmes (fails closed: a user limited to
        their office who has none sees nothing)."""
        if self.sees_every_programme or self.case_scope is CaseScope.PROGRAMMES:
            return CaseLimit()
        if self.case_scope is CaseScope.ASSIGNED:
            return CaseLimit(assigned_to=self.id)
        return CaseLimit(office=self.office, matches_nothing=self.office is None)

    def may_see_case(self, programme_id: str | None, assigned_to: UUID | None, office: str | None) -> bool:
        """Object-level authorization for one case (or anything that belongs to a case)."""
        if not self.may_see_programme(programme_id):
            return False
        limit = self.case_limit()
        if limit.matches_nothing:
            return False
        if limit.assigned_to is not None and assigned_to != limit.assigned_to:
            return False
        return limit.office is None or office == limit.office


class GrantChange(StrEnum):
    GRANTED = "granted"  # the user was made, with this role and scope
    CHANGED = "changed"  # role, programmes, office or case scope changed
    REVOKED = "revoked"  # the user was revoked: sessions and tokens ended


@dataclass(frozen=True)
class RoleGrant:
    """One line of the record of who was given which role and scope, by whom and when."""

    user_id: UUID
    change: GrantChange
    role: Role
    programmes: frozenset[str]
    office: str | None
    case_scope: CaseScope
    granted_by: UUID | None  # None: from the shell (`homeward users`), named in `via`
    via: str  # "http", or "cli:<operating-system user>"
    granted_at: datetime
    partner_id: str | None = None


@dataclass(frozen=True)
class Account:
    """A user as an admin sees one: who they are, who made them and when, how they sign in."""

    user: User
    created_by: UUID | None
    created_at: datetime
    revoked_at: datetime | None
    has_password: bool


@dataclass(frozen=True)
class ApiToken:
    """A token as an admin sees it (never the secret: only its hash is kept)."""

    id: UUID
    user_id: UUID
    created_by: UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def scope_problems(
    role: Role,
    programmes: Collection[str],
    office: str | None,
    case_scope: CaseScope,
    known_programmes: Collection[str],
    *,
    partner_id: str | None = None,
    known_partners: Collection[str] = (),
) -> list[tuple[str, str]]:
    """What is wrong with a user's role and scope, as (field, message); empty when nothing is.
    A partner user is bound to one partner of the directory and to nothing else: their scope is
    that partner's referrals, so they name no programme, office or case scope."""
    problems: list[tuple[str, str]] = []
    if role is Role.PARTNER:
        if partner_id is None:
            problems.append(("partner_id", "a partner user acts for one partner: name it"))
        elif partner_id not in known_partners:
            problems.append(("partner_id", f"{partner_id!r} is not a partner in the partner directory"))
        if programmes:
            problems.append(("programmes", "a partner user sees only their partner's referrals: name none"))
        if office is not None:
            problems.append(("office", "a partner user has no office"))
        if case_scope is not CaseScope.PROGRAMMES:
            problems.append(("case_scope", "a partner user is not limited to an office or to assigned cases"))
        return problems
    if partner_id is not None:
        problems.append(("partner_id", "only a partner user acts for a partner"))
    unknown = sorted(set(programmes) - set(known_programmes))
    if unknown:
        problems.append(("programmes", "unknown programme(s): " + ", ".join(unknown)))
    if role is Role.ADMIN and programmes:
        problems.append(("programmes", "an admin sees every programme: name none"))
    if case_scope is CaseScope.OFFICE and office is None:
        problems.append(("office", "a user limited to their office needs an office"))
    if role is Role.ADMIN and case_scope is not CaseScope.PROGRAMMES:
        problems.append(("case_scope", "an admin is not limited to an office or to assigned cases"))
    return problems


def hash_token(token: str) -> str:
    """Tokens and session ids are stored only as this hash: a leaked table does not leak a usable
    credential. They are 256-bit random values, so a fast hash is enough (no password stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()
