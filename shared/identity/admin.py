"""What an admin does to users, from HTTP (`POST /v1/users`...) and from the shell (`homeward
users`) alike: make a user with a role, a scope and a password or a token; change their role and
scope; revoke them; reset a password; issue and revoke tokens. Each change of role or scope is
recorded with who made it (the store does that in the same transaction); a refusal is an
`InvalidUser` naming each field at fault, or a `GrantRefused`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from .model import ApiToken, CaseScope, Role, User, scope_problems
from .passwords import PasswordPolicy, Passwords
from .store import IdentityStore, NameTaken


class InvalidUser(Exception):
    """The request names fields that are not acceptable: (field, message) each."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


class GrantRefused(Exception):
    """A change an admin may not make (their own grant, for one), or of a user who is no more."""


class UnknownUser(LookupError):
    pass


@dataclass(frozen=True)
class Grant:
    role: Role
    programmes: frozenset[str] = frozenset()
    office: str | None = None
    case_scope: CaseScope = CaseScope.PROGRAMMES
    partner_id: str | None = None  # a partner user's partner (and only theirs)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an admin over HTTP (their id), or the shell (no id, the OS user)."""

    user_id: UUID | None
    via: str


@dataclass(frozen=True)
class NewUser:
    user: User
    token: tuple[ApiToken, str] | None  # the token and its secret, shown once


@dataclass
class UserAdmin:
    store: IdentityStore
    passwords: Passwords
    policy: PasswordPolicy
    known_programmes: Collection[str]
    # the partner ids of referral's directory (partners.yaml): a partner user must name one of them
    known_partners: Collection[str] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def _check_grant(self, grant: Grant) -> None:
        problems = scope_problems(
            grant.role, grant.programmes, grant.office, grant.case_scope, self.known_programmes,
            partner_id=grant.partner_id, known_partners=self.known_partners,
        )  # fmt: skip
        if problems:
            raise InvalidUser(problems)

    def _check_password(self, name: str, password: str) -> None:
        problems = self.policy.problems(password, name)
        if problems:
            raise InvalidUser([("password", m) for m in problems])

    async def add(
        self,
        name: str,
        grant: Grant,
        actor: Actor,
        *,
        password: str | None,
        token_days: int | None,
    ) -> NewUser:
        """A new user with a password, a token expiring after `token_days`, or both."""
        if password is None and token_days is None:
            raise InvalidUser([("password", "give the user a password (a person) or a token (a machine)")])
        self._check_grant(grant)
        if password is not None:
            self._check_password(name, password)
        password_hash = await self.passwords.hash(password) if password is not None else None
        try:
            user = await self.store.create_user(
                name, grant.role, programmes=grant.programmes, office=grant.office,
                case_scope=grant.case_scope, password_hash=password_hash, created_by=actor.user_id,
                via=actor.via, partner_id=grant.partner_id,
            )  # fmt: skip
        except NameTaken:
            raise InvalidUser([("name", f"a user named {name!r} exists already")]) from None
        token = await self.issue_token(user.id, token_days, actor) if token_days is not None else None
        return NewUser(user, token)

    async def change_grant(self, user_id: UUID, grant: Grant, actor: Actor) -> User:
        if actor.user_id == user_id:
            raise GrantRefused("an admin may not change their own role or scope: another admin must")
        self._check_grant(grant)
        changed = await self.store.change_grant(
            user_id, role=grant.role, programmes=grant.programmes, office=grant.office,
            case_scope=grant.case_scope, by=actor.user_id, via=actor.via, partner_id=grant.partner_id,
        )  # fmt: skip
        if changed is None:
            raise UnknownUser(str(user_id))
        return changed

    async def revoke(self, user_id: UUID, actor: Actor) -> None:
        if actor.user_id == user_id:
            raise GrantRefused("an admin may not revoke themselves: another admin must")
        if not await self.store.revoke_user(user_id, by=actor.user_id, via=actor.via):
            raise UnknownUser(str(user_id))

    async def reset_password(self, user_id: UUID, password: str) -> None:
        account = await self.store.account(user_id)
        if account is None or account.revoked_at is not None:
            raise UnknownUser(str(user_id))
        self._check_password(account.user.name, password)
        await self.store.set_password(user_id, await self.passwords.hash(password), end_sessions=True)

    async def issue_token(self, user_id: UUID, days: int, actor: Actor) -> tuple[ApiToken, str]:
        account = await self.store.account(user_id)
        if account is None or account.revoked_at is not None:
            raise UnknownUser(str(user_id))
        expires = self.now + timedelta(days=days)
        return await self.store.tokens.issue(user_id, expires, actor.user_id)
