"""Request dependencies: the database cursor, the user, the language, role and CSRF checks."""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

import duckdb
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kelisim.views import queries
from kelisim.views.i18n import pick_language
from kelisim.web import auth
from kelisim.web.cache import WROTE_COOKIE

SESSION_COOKIE = "kelisim_session"
CSRF_COOKIE = "kelisim_csrf"
CSRF_HEADER = "x-csrf-token"
LANG_COOKIE = "lang"


async def get_con(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """The request's cursor (kelisim.store.access.SharedStore): for GET and HEAD of a route
    on the event loop, a read cursor taken only when the read cache has to compute (so an
    answer from the cache never waits for the file while a CLI command writes); for the other
    reads, of the shared read window; for the methods that write, of a read-write window.
    Waiting for the file happens on the event loop, never in a worker thread."""
    shared = request.app.state.store
    write = request.method not in ("GET", "HEAD")
    if not write and inspect.iscoroutinefunction(request.scope.get("endpoint")):
        cursor = shared.lazy()
        try:
            yield cursor
        finally:
            cursor.release()
        return
    cursor = await shared.enter(write)
    try:
        yield cursor
    finally:
        shared.leave(cursor)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token.")


def request_credential(request: Request) -> str | None:
    """The bearer token, else the session cookie, of a request."""
    return _bearer(request) or request.cookies.get(SESSION_COOKIE)


def own_write(request: Request) -> float:
    """The time of the requester's last write through the dashboard (0 if none lately): its
    reads are answered from data read after it (kelisim.web.cache)."""
    return request.app.state.cache.written_at(request_credential(request),
                                              request.cookies.get(WROTE_COOKIE))


async def current_user(
    request: Request,
    con: duckdb.DuckDBPyConnection = Depends(get_con),
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer_scheme),
) -> auth.User | None:
    """The user of the bearer token or session cookie (looked up at most every
    ``cache_seconds``, and at once after a write through this server process)."""
    token = (credentials.credentials if credentials else None) or request.cookies.get(
        SESSION_COOKIE
    )
    if not token:
        return None
    return await request.app.state.cache.get(  # sessions expire: reused cache_seconds
        ("user", token), lambda: auth.user_for_token(con, token), con, clock=True,
        not_before=own_write(request))


def request_language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"),
                         request.query_params.get("lang"))


async def language(request: Request) -> str:
    """Dependency form of :func:`request_language` (async: no thread hop)."""
    return request_language(request)


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


async def reader(
    request: Request,
    con: duckdb.DuckDBPyConnection = Depends(get_con),
    user: auth.User | None = Depends(current_user),
) -> auth.User | None:
    """Allow reading to users, and to anonymous visitors when the admin allows it."""
    if user is None and not await request.app.state.cache.get(
        "anonymous_read", lambda: auth.anonymous_read(con), con, clock=True
    ):
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "Log in or send a bearer token to read this.")
        raise LoginRequired()
    return user


def session_csrf(session_token: str) -> str:
    """The CSRF token bound to a session: HMAC-SHA256 of a fixed label keyed by the session
    token, so it changes with every login and cannot be forged without the session."""
    return hmac.new(session_token.encode(), b"kelisim-csrf", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms and API calls of this request's visitor must send back: bound to the
    session when there is one, else the visitor's CSRF cookie (or a new random one)."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return session_csrf(session)
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def check_csrf(request: Request, submitted: str | None) -> None:
    """The form field or header must equal the session's token (or, before login, the CSRF
    cookie: a double submit)."""
    session = request.cookies.get(SESSION_COOKIE)
    expected = session_csrf(session) if session else request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "The form's security token is missing or stale; reload the page.")


def set_cookie(request: Request, response: Response, name: str, value: str, **options) -> None:
    """Set a cookie, marked Secure when the deployment serves HTTPS (see docs/security.md)."""
    response.set_cookie(name, value, secure=request.app.state.secure_cookies, **options)


def client_address(request: Request) -> str | None:
    """The visitor's address (behind a proxy: from X-Forwarded-For, as uvicorn trusts it)."""
    return request.client.host if request.client else None


def writer(role: str):
    """Dependency: a logged-in user of at least ``role``; cookie sessions also need CSRF."""

    async def dependency(
        request: Request, user: auth.User | None = Depends(current_user)
    ) -> auth.User:
        if user is None:
            raise HTTPException(401, "Log in or send a bearer token to make changes.")
        if not user.can(role):
            raise HTTPException(403, f"This needs the {role} role; you are {user.role}.")
        if _bearer(request) is None and request.url.path.startswith("/api/"):
            check_csrf(request, request.headers.get(CSRF_HEADER))
        return user

    return dependency


Con = Annotated[duckdb.DuckDBPyConnection, Depends(get_con)]
Reader = Annotated[auth.User | None, Depends(reader)]


def require_area(con: duckdb.DuckDBPyConnection, area_code: str) -> None:
    """404 for a KATO code the store does not know."""
    if not queries.area_exists(con, area_code):
        raise HTTPException(404, f"No area with KATO code {area_code}.")
