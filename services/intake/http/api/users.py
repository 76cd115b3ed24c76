"""`/v1/users`: an admin makes users and reads them over HTTP, as `homeward users` does from a
shell; `user_changes.py` changes, revokes and re-keys them.

A person gets a password (checked against the password policy; stored as an argon2id hash), a
machine or a script a token (shown once, stored as a hash, expiring after `api_token_days` at most).
Every user has a scope that fails closed: the programmes whose cases they see (none: nothing), an
office, and whether they see all of their programmes' cases or only their office's or their own.
Intake hosts these routes because every service reads the same identity schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.intake.core.formats import JSON_INTEGER, TypedText, text_pattern
from services.intake.http.deps import intake_context
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.params import known_query_only
from shared.http.problems import CONFLICT, NOT_FOUND, FieldProblem, ProblemError, validation_error
from shared.http.sessions import settings_of
from shared.http.signin import password_policy, passwords_of
from shared.identity.admin import Actor, Grant, GrantRefused, InvalidUser, UnknownUser, UserAdmin
from shared.identity.model import OFFICE_PATTERN, Account, ApiToken, CaseScope, Role, RoleGrant, User
from shared.identity.passwords import MAX_LENGTH
from shared.identity.store import IdentityStore
from shared.partners import partner_ids

router = APIRouter(prefix="/v1/users", tags=["users"], dependencies=[Depends(known_query_only)])

Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]
Context = Annotated[IntakeContext, Depends(intake_context)]

UserName = Annotated[
    str,
    TypedText(
        text_pattern(1, 100, inner=r"[\w.@-]", edge=r"[\w.@-]"), "1 to 100 letters, digits, . _ @ or -"
    ),
]
ProgrammeId = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")]
Office = Annotated[str, Field(pattern=OFFICE_PATTERN, description="an office code, e.g. skopje")]
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
# as the partner directory spells ids (services/referral/core/directory.py: PARTNER_ID_PATTERN)
PartnerId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
TokenDays = Annotated[int, Field(ge=1, le=3650), JSON_INTEGER]


class ScopeFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    programmes: list[ProgrammeId] = Field(
        default=[], max_length=50, description="the programmes whose cases the user sees; none: nothing"
    )
    office: Office | None = None
    case_scope: CaseScope = Field(
        default=CaseScope.PROGRAMMES,
        description="programmes: every case of them; office: those of the user's office; assigned: theirs",
    )
    partner_id: PartnerId | None = Field(
        default=None,
        description="role partner only, and required there: the partner directory's id of the partner "
        "the user acts for on the partner portal (such a user names no programme, office or case scope)",
    )

    def grant(self) -> Grant:
        return Grant(self.role, frozenset(self.programmes), self.office, self.case_scope, self.partner_id)


class NewUser(ScopeFields):
    name: UserName = Field(
        description="unique in any letter case, e.g. a.petrovska (letters, digits, . _ @ -)"
    )
    password: Password | None = Field(default=None, description="a person's first password")
    token: bool | None = Field(default=None, description="issue an API token (default: when no password)")
    expires_in_days: TokenDays | None = Field(
        default=None, description="the token's lifetime (default and most over HTTP: api_token_days, 90)"
    )


def token_days(asked: int | None, most: int) -> int:
    """A token's lifetime over HTTP: `api_token_days` unless asked for less. A longer one is asked
    for from the shell (`homeward users token NAME --expires-in-days N`), not with an admin token."""
    if asked is not None and asked > most:
        raise validation_error(
            [
                FieldProblem(
                    in_="body",
                    pointer="/expires_in_days",
                    detail=f"at most {most} days over HTTP; a longer-lived token is issued from the shell",
                )
            ]
        )
    return asked or most


class TokenView(BaseModel):
    id: UUID
    created_by: UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenView:
        return cls(
            id=token.id,
            created_by=token.created_by,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class UserView(BaseModel):
    id: UUID
    name: str
    role: Role
    programmes: list[str]
    office: str | None
    case_scope: CaseScope
    partner_id: str | None

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            name=user.name,
            role=user.role,
            programmes=sorted(user.programmes),
            office=user.office,
            case_scope=user.case_scope,
            partner_id=user.partner_id,
        )


class AccountView(UserView):
    created_by: UUID | None
    created_at: datetime
    revoked_at: datetime | None
    has_password: bool

    @classmethod
    def of_account(cls, account: Account) -> AccountView:
        return cls(
            **UserView.of(account.user).model_dump(),
            created_by=account.created_by,
            created_at=account.created_at,
            revoked_at=account.revoked_at,
            has_password=account.has_password,
        )


class GrantView(BaseModel):
    change: str
    role: Role
    programmes: list[str]
    office: str | None
    case_scope: CaseScope
    granted_by: UUID | None
    via: str
    granted_at: datetime
    partner_id: str | None

    @classmethod
    def of(cls, grant: RoleGrant) -> GrantView:
        return cls(
            change=grant.change.value,
            role=grant.role,
            programmes=sorted(grant.programmes),
            office=grant.office,
            case_scope=grant.case_scope,
            granted_by=grant.granted_by,
            via=grant.via,
            granted_at=grant.granted_at,
            partner_id=grant.partner_id,
        )


class AccountDetail(AccountView):
    grants: list[GrantView] = Field(description="every grant of a role or scope, oldest first")
    tokens: list[TokenView]


class AddedUser(AccountView):
    token: str | None = Field(description="the API token, shown once; only its hash is kept")
    token_expires_at: datetime | None


class UserPage(BaseModel):
    items: list[AccountView]
    next_cursor: UUID | None


def user_admin(request: Request, intake: IntakeContext) -> UserAdmin:
    return UserAdmin(
        request.app.state.identity,
        passwords_of(request),
        password_policy(settings_of(request)),
        known_programmes=list(intake.catalogue.programmes),
        known_partners=partner_ids(settings_of(request).config_dir),
    )


def admin_actor(admin: User) -> Actor:
    return Actor(admin.id, "http")


def refused(error: InvalidUser | GrantRefused | UnknownUser) -> ProblemError:
    if isinstance(error, InvalidUser):
        return validation_error(
            [FieldProblem(in_="body", pointer=f"/{f}", detail=m) for f, m in error.problems]
        )
    if isinstance(error, GrantRefused):
        return ProblemError(CONFLICT, str(error))
    return ProblemError(NOT_FOUND, f"no user {error}")


async def detail(store: IdentityStore, user_id: UUID) -> AccountDetail:
    account = await store.account(user_id)
    if account is None:
        raise ProblemError(NOT_FOUND, f"no user {user_id}")
    return AccountDetail(
        **AccountView.of_account(account).model_dump(),
        grants=[GrantView.of(g) for g in await store.grants_of(user_id)],
        tokens=[TokenView.of(t) for t in await store.tokens.tokens_of(user_id)],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "a user with this name exists already"}},
)
async def add_user(body: NewUser, request: Request, admin: Admin, intake: Context) -> AddedUser:
    """Admins only. A person gets `password`, a machine a token (`token`: the default when there is
    no password), answered once. Rules beyond this schema, answered with 422: the password meets
    the policy (long enough, not the name, not a common or easily guessed one), the programmes
    exist, an admin names none, a user limited to their office has one, and a token lives at most
    `api_token_days` (90 by default; longer ones are issued from the shell)."""
    settings = settings_of(request)
    wants_token = body.token if body.token is not None else body.password is None
    days = token_days(body.expires_in_days, settings.api_token_days)
    try:
        added = await user_admin(request, intake).add(
            body.name,
            body.grant(),
            admin_actor(admin),
            password=body.password,
            token_days=days if wants_token else None,
        )
    except InvalidUser as invalid:
        taken = [m for f, m in invalid.problems if f == "name"]
        if taken:
            raise ProblemError(CONFLICT, taken[0]) from None
        raise refused(invalid) from None
    store: IdentityStore = request.app.state.identity
    account = await store.account(added.user.id)
    if account is None:  # made just now, in a committed transaction
        raise LookupError(f"user {added.user.id} was made but cannot be read")
    return AddedUser(
        **AccountView.of_account(account).model_dump(),
        token=added.token[1] if added.token else None,
        token_expires_at=added.token[0].expires_at if added.token else None,
    )


@router.get("")
async def list_users(
    request: Request,
    _: Admin,
    include_revoked: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> UserPage:
    """Admins only: users oldest first, with their role and scope."""
    store: IdentityStore = request.app.state.identity
    found = await store.accounts(include_revoked=include_revoked, limit=limit + 1, after=cursor)
    items = [AccountView.of_account(a) for a in found[:limit]]
    return UserPage(items=items, next_cursor=items[-1].id if len(found) > limit else None)


@router.get("/{user_id}")
async def read_user(user_id: UUID, request: Request, _: Admin) -> AccountDetail:
    """Admins only: the user, every grant of a role or scope they were given (by whom, when), and
    their tokens (never the secrets)."""
    return await detail(request.app.state.identity, user_id)
