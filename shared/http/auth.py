"""Who is calling: FastAPI dependencies over the identity store (`shared.identity`).

`require_roles(...)`: 401 without a valid bearer token, 403 for a role that may not do this.
The app keeps an IdentityStore in `app.state.identity`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from shared.identity.model import Role, User
from shared.identity.store import IdentityStore

from .problems import FORBIDDEN, UNAUTHENTICATED, ProblemError

# The OpenAPI document marks the operations that depend on these (401 and 403 documented, bearer
# security declared): `shared.http.openapi` looks for this attribute on a route's dependencies.
AUTHENTICATES = "__homeward_authenticates__"


def bearer_token(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def authenticate(request: Request) -> User:
    """The caller, from `Authorization: Bearer <token>`."""
    token = bearer_token(request)
    user = None
    if token:
        store: IdentityStore = request.app.state.identity
        user = await store.user_for_token(token)
    if user is None:
        raise ProblemError(
            UNAUTHENTICATED, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
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
                f"role {user.role.value!r} may not do this; needs one of: "
                + ", ".join(sorted(r.value for r in allowed)),
            )
        return user

    setattr(dependency, AUTHENTICATES, True)
    return dependency
