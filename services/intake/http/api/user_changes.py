"""Changing users over HTTP (admins only): their role and scope (each change recorded as a grant,
with who made it), revoking them (their sessions and tokens end at once), resetting a password
(their sessions end), and issuing and revoking API tokens. An admin may not change or revoke
themselves: another admin must."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.intake.http.api.users import (
    AccountDetail,
    Admin,
    Context,
    Password,
    ScopeFields,
    TokenDays,
    TokenView,
    admin_actor,
    detail,
    refused,
    token_days,
    user_admin,
)
from shared.http.params import known_query_only
from shared.http.problems import NOT_FOUND, ProblemError
from shared.http.sessions import settings_of
from shared.identity.admin import GrantRefused, InvalidUser, UnknownUser
from shared.identity.store import IdentityStore

router = APIRouter(tags=["users"], dependencies=[Depends(known_query_only)])
REFUSALS: dict[int | str, dict[str, str]] = {
    409: {"description": "an admin may not change or revoke themselves"}
}


class GrantChange(ScopeFields):
    """The user's role and scope from now on (all of it: what is left out is taken away)."""


@router.put("/v1/users/{user_id}/grant", responses=REFUSALS)
async def change_grant(
    user_id: UUID, body: GrantChange, request: Request, admin: Admin, intake: Context
) -> AccountDetail:
    """Give the user this role and scope; recorded with who gave it. Their sessions and tokens
    carry on under the new grant at once. Rules beyond this schema, answered with 422: the
    programmes exist, an admin names none, a user limited to their office has one."""
    try:
        await user_admin(request, intake).change_grant(user_id, body.grant(), admin_actor(admin))
    except (InvalidUser, GrantRefused, UnknownUser) as error:
        raise refused(error) from None
    return await detail(request.app.state.identity, user_id)


@router.post("/v1/users/{user_id}/revoke", responses=REFUSALS)
async def revoke_user(user_id: UUID, request: Request, admin: Admin, intake: Context) -> AccountDetail:
    """Revoke the user: every session and token of theirs ends at once (recorded)."""
    try:
        await user_admin(request, intake).revoke(user_id, admin_actor(admin))
    except (GrantRefused, UnknownUser) as error:
        raise refused(error) from None
    return await detail(request.app.state.identity, user_id)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


@router.post("/v1/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(
    user_id: UUID, body: PasswordReset, request: Request, _: Admin, intake: Context
) -> Response:
    """Set a new password; every session of the user ends. A rule beyond this schema, answered
    with 422: the password meets the policy (long enough, not the name, not common or guessable)."""
    try:
        await user_admin(request, intake).reset_password(user_id, body.password)
    except (InvalidUser, UnknownUser) as error:
        raise refused(error) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_days: TokenDays | None = Field(
        default=None, description="the token's lifetime (default and most over HTTP: api_token_days, 90)"
    )


class IssuedToken(TokenView):
    token: str = Field(description="shown once; only its hash is kept")
    expires_at: datetime | None


@router.post("/v1/users/{user_id}/tokens", status_code=status.HTTP_201_CREATED)
async def issue_token(
    user_id: UUID, body: TokenRequest, request: Request, admin: Admin, intake: Context
) -> IssuedToken:
    """A new API token for the user (a machine's or a script's), answered once. A rule beyond this
    schema, answered with 422: it lives at most `api_token_days` (90 by default) over HTTP."""
    days = token_days(body.expires_in_days, settings_of(request).api_token_days)
    try:
        token, secret = await user_admin(request, intake).issue_token(user_id, days, admin_actor(admin))
    except UnknownUser as error:
        raise refused(error) from None
    return IssuedToken(**TokenView.of(token).model_dump(), token=secret)


@router.post("/v1/tokens/{token_id}/revoke")
async def revoke_token(token_id: UUID, request: Request, admin: Admin) -> TokenView:
    """The token stops working at once."""
    store: IdentityStore = request.app.state.identity
    revoked = await store.tokens.revoke(token_id, admin.id)
    if revoked is None:
        raise ProblemError(NOT_FOUND, f"no live token {token_id}")
    return TokenView.of(revoked)
