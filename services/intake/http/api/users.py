"""`/v1/users`: an admin adds a user over HTTP, as `homeward users add` does from a shell.

The token is in the answer once and stored only as a hash; a lost token is revoked and a new user
added. Intake hosts this route because every service reads the same identity schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.intake.core.formats import JSON_INTEGER, TypedText, text_pattern
from shared.http.auth import require_roles
from shared.http.params import known_query_only
from shared.http.problems import CONFLICT, ProblemError
from shared.identity.model import Role, User
from shared.identity.store import IdentityStore

router = APIRouter(prefix="/v1/users", tags=["users"], dependencies=[Depends(known_query_only)])

UserName = Annotated[
    str,
    TypedText(
        text_pattern(1, 100, inner=r"[\w.@-]", edge=r"[\w.@-]"), "1 to 100 letters, digits, . _ @ or -"
    ),
]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: UserName = Field(description="unique, e.g. a.petrovska (letters, digits, . _ @ -)")
    role: Role
    expires_in_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None


class AddedUser(BaseModel):
    id: UUID
    name: str
    role: Role
    expires_at: datetime | None
    token: str = Field(description="shown once; only its hash is kept")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AddedUser,
    responses={409: {"description": "a user with this name exists already"}},
)
async def add_user(
    body: NewUser, request: Request, _: Annotated[User, Depends(require_roles(Role.ADMIN))]
) -> AddedUser:
    """Admins only. Answers with the new user's token, once."""
    store: IdentityStore = request.app.state.identity
    expires = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    try:
        user, token = await store.add_user(body.name, body.role, expires)
    except asyncpg.UniqueViolationError:
        raise ProblemError(CONFLICT, f"a user named {body.name!r} exists already") from None
    return AddedUser(id=user.id, name=user.name, role=user.role, expires_at=expires, token=token)
