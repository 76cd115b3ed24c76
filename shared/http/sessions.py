"""People's sessions, as every service's pages (and API) see them: the cookie that carries the
session id, the session's user, and `page_user(*roles)`, the pages' dependency.

The cookie holds only a random session id (the identity schema keeps its hash): HttpOnly,
SameSite=Strict, and `Secure` with the `__Host-` prefix whenever `behind_tls` says the deployment is
served over HTTPS. Cookies belong to a host, not a port, so the services on one host share it: one
sign-in serves intake's pages and, later, grants' and referral's. Signing in and out is
`shared.http.signin`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import Request, Response

from shared.http.i18n import N_, supported
from shared.identity.model import Role, User
from shared.identity.store import IdentityStore
from shared.settings import Settings

COOKIE = "homeward_session"
# a `__Host-` cookie is refused by browsers unless it is Secure, for path / and without a domain:
# no other host (a sibling subdomain) can set or shadow it
SECURE_COOKIE = "__Host-homeward_session"
SESSION_COOKIES = (COOKIE, SECURE_COOKIE)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The roles a route's role dependency lets in (`page_user` here, `auth.require_roles`): tests walk
# every service's routes by it, so that a new role is let in nowhere it was not named.
ALLOWED_ROLES = "__homeward_allowed_roles__"


class SignInRequired(Exception):
    """A page was asked for without a live session: the service answers with its sign-in page."""


class PageForbidden(Exception):
    """`message`: a catalogue message, with its `%(name)s` variables apart (the page translates it)."""

    def __init__(self, message: str, **variables: str) -> None:
        self.message, self.variables = message, variables
        super().__init__(message % variables if variables else message)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def cookie_name(settings: Settings) -> str:
    return SECURE_COOKIE if settings.behind_tls else COOKIE


def session_id_of(request: Request) -> str | None:
    return request.cookies.get(cookie_name(settings_of(request))) or None


async def user_for_session(request: Request) -> User | None:
    """The user of the request's live session (the request keeps it alive); None without one."""
    session_id = session_id_of(request)
    if session_id is None:
        return None
    store: IdentityStore = request.app.state.identity
    idle = timedelta(seconds=settings_of(request).session_idle_timeout_s)
    return await store.sessions.user_for_session(session_id, idle)


def remember(response: Response, settings: Settings, session_id: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        session_id,
        max_age=int(settings.session_lifetime_s),  # the session's absolute lifetime, not longer
        httponly=True,
        samesite="strict",
        secure=settings.behind_tls,
        path="/",
    )


def forget(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", httponly=True, samesite="strict", secure=settings.behind_tls
    )


def same_origin(request: Request) -> bool:
    """Whether a request a browser may have sent with the cookie came from our own pages. SameSite=
    Strict already keeps the cookie off other sites' requests; this is the second lock."""
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every client; SameSite=Strict covers browsers that omit it
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    return urlsplit(origin).netloc == request.headers.get("host")


async def page_session_user(request: Request) -> User | None:
    """The session's user as a page sees them: a language picked with `?lang=` on any page is
    remembered for their next pages, in every service (the identity schema is shared). The API
    never changes it (`user_for_session`)."""
    user = await user_for_session(request)
    asked = supported(request.query_params.get("lang"))
    if user is None or asked is None or asked == user.language:
        return user
    store: IdentityStore = request.app.state.identity
    await store.set_language(user.id, asked)
    return replace(user, language=asked)


def page_user(*roles: Role) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the signed-in user if their role is one of `roles`. A form posted from another
    site is refused even if a browser sent the cookie along."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> User:
        if request.method in WRITE_METHODS and not same_origin(request):
            raise PageForbidden(N_("this form was sent from another site"))
        user = await page_session_user(request)
        if user is None:
            raise SignInRequired()
        request.state.user = user
        if user.role not in allowed:
            raise PageForbidden(N_("your role (%(role)s) may not do this"), role=user.role.value)
        return user

    setattr(dependency, ALLOWED_ROLES, allowed)
    return dependency
