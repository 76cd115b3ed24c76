"""Who is calling the API: FastAPI dependencies over the identity store (`shared.identity`).

A machine or a script sends `Authorization: Bearer <token>`; a person whose browser holds a session
(signed in on a page, `shared.http.signin`) is taken from the session cookie, and a write made that
way must come from our own pages (`sessions.same_origin`). `require_roles(...)`: 401 without either,
403 for a role that may not do this. The app keeps an IdentityStore in `app.state.identity`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from shared.identity.model import Role, User
from shared.identity.store import IdentityStore

from .i18n import N_
from .problems import FORBIDDEN, UNAUTHENTICATED, ProblemError
from .sessions import ALLOWED_ROLES, WRITE_METHODS, same_origin, session_id_of, user_for_session

# The OpenAPI document marks the operations that depend on these (401 and 403 documented, bearer
# security declared): `shared.http.openapi` looks for this attribute on a route's dependencies.
AUTHENTICATES = "__homeward_authenticates__"


def bearer_token(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def authenticate(request: Request) -> User:
    """The caller, from a bearer token, else from a session cookie."""
    token = bearer_token(request)
    user = None
    if token:
        store: IdentityStore = request.app.state.identity
        user = await store.tokens.user_for_token(token)
    elif session_id_of(request) is not None:
        if request.method in WRITE_METHODS and not same_origin(request):
            raise ProblemError(
                FORBIDDEN, N_("a write with a session cookie must come from this site's pages")
            )
        user = await user_for_session(request)
    if user is None:
        raise ProblemError(
            UNAUTHENTICATED,
            N_("a valid bearer token (or a live session) is required"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user
    return user


setattr(authenticate, AUTHENTICATES, True)


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[User]]:
    """`Depends(require_roles(Role.SUPERVISOR))`: the caller, if their role is one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> User:
        user = await authenticate(request)
        if user.role not in allowed:
            raise ProblemError(
                FORBIDDEN,
                N_("role %(role)s may not do this; needs one of: %(roles)s"),
                variables={
                    "role": repr(user.role.value),
                    "roles": ", ".join(sorted(r.value for r in allowed)),
                },
            )
        return user

    setattr(dependency, AUTHENTICATES, True)
    setattr(dependency, ALLOWED_ROLES, allowed)
    return dependency
