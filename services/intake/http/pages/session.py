"""Who is using the caseworker page: the token from the sign-in form, kept in an HttpOnly,
SameSite=Strict cookie and checked against the same identity store as the API's bearer tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response

from shared.identity.model import Role, User
from shared.identity.store import IdentityStore

COOKIE = "homeward_token"
COOKIE_MAX_AGE_S = 12 * 60 * 60  # one working day; the token itself may live longer


class SignInRequired(Exception):
    pass


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


async def user_for_cookie(request: Request) -> User | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    store: IdentityStore = request.app.state.identity
    return await store.user_for_token(token)


def page_user(*roles: Role) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the signed-in user if their role is one of `roles`. A form posted from another
    site is refused even if a browser sent the cookie along (SameSite=Strict already stops that)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> User:
        if request.method == "POST" and not _same_origin(request):
            raise PageForbidden("this form was sent from another site")
        user = await user_for_cookie(request)
        if user is None:
            raise SignInRequired()
        if user.role not in allowed:
            raise PageForbidden(f"your role ({user.role.value}) may not do this")
        request.state.user = user
        return user

    return dependency


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every client; SameSite=Strict covers browsers that omit it
        return True
    return urlsplit(origin).netloc == request.headers.get("host")


def remember(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
