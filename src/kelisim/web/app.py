"""The FastAPI application: pages, JSON API, offline API docs, security headers."""

from __future__ import annotations

import hashlib
import math
import time
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kelisim import store
from kelisim.config import home_dir, secure_cookies
from kelisim.errors import KelisimError
from kelisim.limits import MAX_UPLOAD_BYTES
from kelisim.store.access import StoreBusy, shared_store
from kelisim.web.cache import WROTE_COOKIE, write_mark
from kelisim.web.deps import SESSION_COOKIE, LoginRequired, request_credential, request_language

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles from its script; only the /docs page allows them.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _logged_in(scope) -> bool:
    """Whether a request carries a session cookie or a bearer token."""
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"cookie"
                                        and SESSION_COOKIE.encode() + b"=" in value):
            return True
    return False


class SecurityHeaders:
    """ASGI middleware adding CSP (no inline script), frame denial and related headers;
    ``Cache-Control: no-store`` on everything a logged-in user gets (except static files),
    and HSTS when the site is served over HTTPS (``secure_cookies``)."""

    def __init__(self, app, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else CSP
        private = _logged_in(scope) and not scope["path"].startswith(("/static/", "/swagger-ui/"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if private:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(StarletteHTTPException):
    """A request body over the upload limit (a 413 through the app's error handlers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of "
                              f"{limit / 1e6:g} MB; nothing was read or stored.")


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit`` bytes with 413: at once when
    Content-Length says so, else as soon as the streamed body passes the limit, so an upload
    never costs more memory than the limit."""

    def __init__(self, app, limit: int = MAX_UPLOAD_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            error = BodyTooLarge(self.limit)
            if not declared.isdigit():
                error = StarletteHTTPException(400, "The Content-Length header is not a number.")
            reply = JSONResponse({"detail": error.detail}, status_code=error.status_code,
                                 headers={"connection": "close"})
            await reply(scope, receive, send)
            return
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted_receive, send)


class MarkOwnWrites:
    """ASGI middleware: the reply to any request other than GET/HEAD marks the writer's
    credential (kelisim.web.cache): this process remembers the write and sends the signed
    ``kelisim_wrote`` cookie for the other server processes, so that the writer's next read
    shows it; this process also looks sessions and the anonymous-read switch up again."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        credential = request_credential(Request(scope))

        async def send_marked(message):
            if message["type"] == "http.response.start":
                state.cache.forget_clocked()
                if credential:
                    moment = time.time()
                    state.cache.mark_write(credential, moment)
                    cookie = (f"{WROTE_COOKIE}={write_mark(credential, moment)}; Path=/; "
                              f"Max-Age={math.ceil(state.cache.seconds) + 1}; HttpOnly; "
                              f"SameSite=Lax{'; Secure' if state.secure_cookies else ''}")
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, send_marked)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if p != "body") or "request"
        parts.append(f"{where}: {item['msg']}")
    text = "; ".join(parts)
    return text if text.endswith(("?", "!")) else f"{text}."


class DropEmptyQueryValues:
    """ASGI middleware: a page's GET form sends unset fields as ``name=`` (a cleared period,
    "all" areas, an empty year); they mean "not given", so they are dropped before the route
    parses its parameters. The JSON API keeps its strict parsing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
                and not scope["path"].startswith("/api/") and scope.get("query_string")):
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            kept = [(name, value) for name, value in pairs if value.strip()]
            scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
        await self.app(scope, receive, send)


def error_page(request: Request, status: int, detail: str = "", field: str | None = None):
    """The HTML page in the visitor's language for a refused (403), missing (404), bad (422)
    or failed (500) page request; ``detail`` (the server's own words) is shown under it."""
    from kelisim.views.i18n import translator
    from kelisim.web import auth
    from kelisim.web.pages import render

    lang = request_language(request)
    t = translator(lang)
    try:
        with request.app.state.store.reading(timeout=1.0) as cur:
            user = auth.user_for_token(cur, request.cookies.get(SESSION_COOKIE))
    except Exception:  # the page must render even when the store is what failed
        user = None
    if status == 403 and detail in auth.ROLES:
        heading, message, detail = t("refused"), t("refused_role", role=t("role_" + detail)), ""
    elif status in (401, 403):
        heading, message = t("refused"), t("refused_message")
    elif status == 404:
        heading, message = t("not_found"), t("not_found_message")
    elif status >= 500:
        heading, message, detail = t("server_error"), t("server_error_message"), ""
    elif field:
        heading, message = t("bad_request"), t("bad_value", name=t.label(field, field))
    else:
        heading, message = t("bad_request"), t("bad_request_message")
    if detail in ("Not Found", "Method Not Allowed"):
        detail = ""
    return render(request, "error.html", lang, user, status, heading=heading, message=message,
                  detail=detail, status=status)


def shared_cache_folder(location: str) -> Path | None:
    """The folder where the server processes of the store at ``location`` share answers
    (``KELISIM_HOME/web-cache/<digest of location>``); None when it cannot be made."""
    folder = home_dir() / "web-cache" / hashlib.sha256(location.encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder


def create_app(db_path: str | Path | None = None, settings: dict | None = None) -> FastAPI:
    """The dashboard over the store at ``db_path`` (default: KELISIM_DB or the user's file).

    ``settings`` may set ``anonymous_read`` (bool) at start-up, ``cache_seconds`` (how
    long an answer may lag other processes' writes and a session's user be reused, default
    5; see kelisim.web.cache; 0 turns the cache off),
    ``secure_cookies`` (default: KELISIM_SECURE_COOKIES), ``max_upload_bytes`` and
    ``login_limits`` (the fields of :class:`kelisim.web.throttle.Limits`).

    The app holds no long-lived connection: requests share read-only windows and write
    through short read-write connections (:class:`kelisim.store.access.SharedStore`), so
    CLI commands can use the file while it serves.
    """
    from kelisim.web import auth
    from kelisim.web.api.routes import router as api_router
    from kelisim.web.cache import ReadCache
    from kelisim.web.evaluate_routes import api_router as evaluate_api_router
    from kelisim.web.evaluate_routes import page_router as evaluate_page_router
    from kelisim.web.pages import router as page_router
    from kelisim.web.throttle import Limits, LoginThrottle

    app = FastAPI(
        title="kelisim",
        summary="Composition, segregation, projections and media monitoring (kk/ru/en).",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
    )
    path = store.location_of(db_path)
    con = store.connect(path)  # migrated once; requests then share short-lived connections
    settings = settings or {}
    try:
        if "anonymous_read" in settings:
            auth.set_anonymous_read(con, bool(settings["anonymous_read"]))
    finally:
        con.close()
    app.state.store = shared_store(path)
    app.state.cache = ReadCache(settings.get("cache_seconds", 5.0), app.state.store.version,
                                shared_cache_folder(path))
    app.state.secure_cookies = bool(settings.get("secure_cookies", secure_cookies()))
    app.state.throttle = LoginThrottle(Limits(**settings.get("login_limits", {})))

    static = resources.files("kelisim.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    import fastapi_offline

    swagger = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/swagger-ui", StaticFiles(directory=str(swagger)), name="swagger")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers ask for it before reading the page's <link>
        return FileResponse(str(static / "favicon.svg"), media_type="image/svg+xml")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><meta charset=utf-8><title>kelisim API</title>"
            '<link rel="stylesheet" href="/swagger-ui/swagger-ui.css"></head><body>'
            '<div id="swagger-ui"></div>'
            '<script src="/swagger-ui/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs.js"></script></body></html>'
        )

    def is_page(request: Request) -> bool:
        return not request.url.path.startswith("/api/")

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, error: RequestValidationError):
        if is_page(request):
            first = error.errors()[0]["loc"] if error.errors() else ()
            field = str(first[-1]) if first else None
            return error_page(request, 422, _validation_message(error), field)
        # the refused input is not echoed: it may be huge, or NaN (which JSON cannot carry)
        errors = [{k: v for k, v in e.items() if k != "input"} for e in error.errors()]
        return JSONResponse(
            {"detail": _validation_message(error), "errors": jsonable_encoder(errors)},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if not is_page(request) or error.status_code < 400:
            return await http_exception_handler(request, error)
        return error_page(request, error.status_code, str(error.detail))

    @app.exception_handler(StoreBusy)
    async def store_busy(request: Request, error: StoreBusy):
        """Another process (a CLI import) holds the database longer than a request waits."""
        if is_page(request):
            return error_page(request, 503, str(error))
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"retry-after": "5"})

    @app.exception_handler(KelisimError)
    async def user_error(request: Request, error: KelisimError):
        if is_page(request):
            return error_page(request, 422, str(error))
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception):
        """A failure is logged by the server; the visitor gets a page (or one JSON line)."""
        if is_page(request):
            return error_page(request, 500)
        return JSONResponse({"detail": "Internal server error; it has been logged."},
                            status_code=500)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)

    app.include_router(api_router)
    app.include_router(evaluate_api_router)
    app.include_router(page_router)
    app.include_router(evaluate_page_router)
    app.add_middleware(MarkOwnWrites)
    app.add_middleware(BodyLimit, limit=settings.get("max_upload_bytes", MAX_UPLOAD_BYTES))
    app.add_middleware(DropEmptyQueryValues)
    app.add_middleware(SecurityHeaders, hsts=app.state.secure_cookies)
    return app
