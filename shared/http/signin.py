"""Signing in and out with a name and a password, for every service's pages and API.

`sign_in` does it once for both: the attempt is counted by the throttle before the password is
checked (per typed name and per client address; a wait answers 429 with Retry-After), the password
is checked against its argon2id hash — or, for a name nobody has, against a decoy that costs the
same — and a server-side session is started. A wrong name and a wrong password get the same answer
in the same time, and so do a throttled known name and a throttled unknown one.

`page_routes(render)`: `POST /signin` (the form; `render` draws the service's sign-in page with an
error) and `POST /signout`. `api_router`: `POST /v1/session`, `GET /v1/session`, `DELETE /v1/session`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import structlog
from babel.dates import format_timedelta
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from shared.identity.model import CaseScope, Role, User
from shared.identity.passwords import MAX_LENGTH, HashCost, PasswordPolicy, Passwords
from shared.identity.store import IdentityStore
from shared.identity.throttle import SignInThrottle, ThrottlePolicy
from shared.settings import Settings

from . import i18n
from .auth import authenticate
from .i18n import N_
from .labels import Msg
from .params import known_query_only
from .problems import FORBIDDEN, RATE_LIMITED, UNAUTHENTICATED, ProblemError
from .sessions import forget, remember, same_origin, session_id_of, settings_of

log = structlog.get_logger("shared.http.signin")

WRONG = N_("the name or the password is wrong")


class SignInRefused(Exception):
    """Wrong name or password (which of the two is never said)."""


class SignInThrottled(Exception):
    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(f"too many failed sign-ins; wait {wait_s:.0f} s")

    @property
    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.wait_s)))

    def in_words(self, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
        """The wait in `lang`'s words: `30 seconds`, `3 minutes` (Babel's CLDR units)."""
        if self.wait_s < 90:
            return format_timedelta(int(self.retry_after), threshold=2, locale=lang)
        return format_timedelta(
            math.ceil(self.wait_s / 60) * 60, granularity="minute", threshold=2, locale=lang
        )


def passwords_of(request: Request) -> Passwords:
    """The app's password hasher, made on first use with the settings' cost."""
    found = getattr(request.app.state, "passwords", None)
    if not isinstance(found, Passwords):
        settings = settings_of(request)
        found = Passwords(
            HashCost(
                settings.password_hash_time_cost,
                settings.password_hash_memory_kib,
                settings.password_hash_parallelism,
            )
        )
        request.app.state.passwords = found
    return found


def password_policy(settings: Settings) -> PasswordPolicy:
    return PasswordPolicy(min_length=settings.password_min_length)


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        free_per_account=settings.sign_in_free_failures_per_account,
        free_per_address=settings.sign_in_free_failures_per_address,
        initial_delay=timedelta(seconds=settings.sign_in_delay_initial_s),
        max_delay=timedelta(seconds=settings.sign_in_delay_max_s),
        window=timedelta(seconds=settings.sign_in_failure_window_s),
    )


def client_address(request: Request) -> str:
    """The caller's address (behind the ingress: the one it forwards, see `forwarded_allow_ips`)."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: str


async def sign_in(request: Request, name: str, password: str) -> SignedIn:
    """A new session for `name`, if `password` is theirs. Raises SignInThrottled or SignInRefused."""
    settings = settings_of(request)
    store: IdentityStore = request.app.state.identity
    throttle = SignInThrottle(store.pool, store.schema, throttle_policy(settings))
    address = client_address(request)
    wait = await throttle.claim(name, address)
    if wait > 0:
        log.info("sign-in throttled", wait_s=round(wait, 1))
        raise SignInThrottled(wait)
    found = await store.user_by_name(name) if _storable(name) else None
    user, stored = found if found else (None, None)
    passwords = passwords_of(request)
    if not await passwords.verify(stored, password) or user is None or stored is None:
        log.info("sign-in refused")  # no name in the log: it may be a password typed in the wrong box
        raise SignInRefused(WRONG)
    await throttle.succeeded(name, address)
    if passwords.needs_rehash(stored):  # the cost was raised since: keep the hash up to date
        await store.set_password(user.id, await passwords.hash(password), end_sessions=False)
    session_id = await store.sessions.start(user.id, timedelta(seconds=settings.session_lifetime_s))
    log.info("signed in", user_id=str(user.id))
    return SignedIn(user, session_id)


def _storable(name: str) -> bool:
    """Whether a user could have this name at all: PostgreSQL stores no NUL and no lone surrogate."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in name


async def sign_out(request: Request) -> None:
    session_id = session_id_of(request)
    if session_id is not None:
        store: IdentityStore = request.app.state.identity
        await store.sessions.end(session_id, "signed_out")


# -- the pages' routes

# (request, the error to show, the status, the name typed): the service's sign-in page
SignInPage = Callable[[Request, str, int, str], Response]


def page_routes(render_sign_in: SignInPage, *, home: str = "/") -> APIRouter:
    """`POST /signin` and `POST /signout` for a service's pages; `render_sign_in` draws the
    service's sign-in page with an error message beside the form."""
    router = APIRouter(include_in_schema=False)

    @router.post("/signin")
    async def sign_in_form(request: Request) -> Response:
        if not same_origin(request):
            return render_sign_in(
                request, "This form was sent from another site.", status.HTTP_403_FORBIDDEN, ""
            )
        form = await request.form()
        name, password = str(form.get("name") or "").strip()[:100], str(form.get("password") or "")
        if not name or not password:
            return render_sign_in(request, Msg(N_("Enter your name and your password.")), 422, name)
        try:
            signed_in = await sign_in(request, name, password[:MAX_LENGTH])
        except SignInThrottled as throttled:
            lang = i18n.choose_language(
                request.query_params.get("lang"), None, request.headers.get("accept-language")
            )
            message = N_(
                "Too many failed sign-ins for this name or from this place. For your safety, wait"
                " %(wait)s before you try again."
            )
            response = render_sign_in(
                request,
                i18n.gettext(lang, message, wait=throttled.in_words(lang)),
                status.HTTP_429_TOO_MANY_REQUESTS,
                name,
            )
            response.headers["Retry-After"] = throttled.retry_after
            return response
        except SignInRefused:
            return render_sign_in(
                request, Msg(N_("The name or the password is wrong.")), status.HTTP_401_UNAUTHORIZED, name
            )
        # a language picked on the sign-in page is kept (and so remembered on the user)
        picked = i18n.supported(request.query_params.get("lang"))
        response = RedirectResponse(
            f"{home}?lang={picked}" if picked else home, status_code=status.HTTP_303_SEE_OTHER
        )
        remember(response, settings_of(request), signed_in.session_id)
        return response

    @router.post("/signout")
    async def sign_out_form(request: Request) -> Response:
        if same_origin(request):  # another site may not sign people out either
            await sign_out(request)
        response = RedirectResponse(home, status_code=status.HTTP_303_SEE_OTHER)
        forget(response, settings_of(request))
        return response

    return router


# -- the API's routes


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the user name, in any letter case",
    )
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class SessionView(BaseModel):
    user_id: str
    name: str
    role: Role
    programmes: list[str] = Field(description="the programmes whose cases the user sees (admins: all)")
    office: str | None
    case_scope: CaseScope
    idle_timeout_s: float
    lifetime_s: float

    @classmethod
    def of(cls, user: User, settings: Settings) -> SessionView:
        return cls(
            user_id=str(user.id),
            name=user.name,
            role=user.role,
            programmes=sorted(user.programmes),
            office=user.office,
            case_scope=user.case_scope,
            idle_timeout_s=settings.session_idle_timeout_s,
            lifetime_s=settings.session_lifetime_s,
        )


api_router = APIRouter(prefix="/v1/session", tags=["session"], dependencies=[Depends(known_query_only)])


@api_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {"description": WRONG},
        429: {"description": "too many failed sign-ins: wait Retry-After"},
    },
)
async def start_session(body: Credentials, request: Request, response: Response) -> SessionView:
    """Sign in as a person: answers with who you are and sets the session cookie (HttpOnly,
    SameSite=Strict). After a few failed attempts for a name or from an address each next one
    must wait longer (429 with Retry-After); the answers never tell whether a name exists."""
    if session_id_of(request) is not None and not same_origin(request):
        raise ProblemError(FORBIDDEN, N_("a sign-in over an existing session must come from this site"))
    try:
        signed_in = await sign_in(request, body.name, body.password)
    except SignInThrottled as throttled:
        raise ProblemError(
            RATE_LIMITED,
            N_("too many failed sign-ins for this name or from this address; retry after %(seconds)s s"),
            variables={"seconds": throttled.retry_after},
            headers={"Retry-After": throttled.retry_after},
        ) from None
    except SignInRefused:
        raise ProblemError(UNAUTHENTICATED, WRONG) from None
    settings = settings_of(request)
    remember(response, settings, signed_in.session_id)
    return SessionView.of(signed_in.user, settings)


@api_router.get("")
async def current_session(request: Request, user: Annotated[User, Depends(authenticate)]) -> SessionView:
    """Who you are (by your session cookie, or your bearer token) and what you see."""
    return SessionView.of(user, settings_of(request))


@api_router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(request: Request) -> Response:
    """Sign out: the session ends at once, on the server, and its cookie is cleared."""
    if session_id_of(request) is not None and not same_origin(request):
        raise ProblemError(FORBIDDEN, N_("a sign-out must come from this site"))
    await sign_out(request)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    forget(response, settings_of(request))
    return response
