"""The FastAPI application: pages, JSON API, offline API docs, security headers."""

from __future__ import annotations

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
from kelisim.errors import KelisimError
from kelisim.web.deps import SESSION_COOKIE, LoginRequired, request_language

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles from its script; only the /docs page allows them.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    """ASGI middleware adding CSP (no inline script), frame denial and related headers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ClearCacheOnWrite:
    """ASGI middleware: any request other than GET/HEAD empties the read cache before replying."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        cache = scope["app"].state.cache

        async def send_after_clearing(message):
            if message["type"] == "http.response.start":
                cache.clear()
            await send(message)

        await self.app(scope, receive, send_after_clearing)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if p != "body") or "request"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts) + "."


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
    from kelisim.web import auth
    from kelisim.web.i18n import translator
    from kelisim.web.pages import render

    lang = request_language(request)
    t = translator(lang)
    try:
        cur = request.app.state.con.cursor()
        try:
            user = auth.user_for_token(cur, request.cookies.get(SESSION_COOKIE))
        finally:
            cur.close()
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


def create_app(db_path: str | Path | None = None, settings: dict | None = None) -> FastAPI:
    """The dashboard over the store at ``db_path`` (default: KELISIM_DB or the user's file).

    ``settings`` may set ``anonymous_read`` (bool) at start-up and ``cache_seconds`` (how
    long read results are reused, default 5; writes through the app empty the cache at once).
    """
    from kelisim.web import auth
    from kelisim.web.api.routes import router as api_router
    from kelisim.web.cache import TTLCache
    from kelisim.web.pages import router as page_router

    app = FastAPI(
        title="kelisim",
        summary="Composition, segregation, projections and media monitoring (kk/ru/en).",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
    )
    app.state.con = store.connect(db_path)
    app.state.cache = TTLCache((settings or {}).get("cache_seconds", 5.0))
    if settings and "anonymous_read" in settings:
        auth.set_anonymous_read(app.state.con, bool(settings["anonymous_read"]))

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
        return JSONResponse(
            {"detail": _validation_message(error), "errors": jsonable_encoder(error.errors())},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if not is_page(request) or error.status_code < 400:
            return await http_exception_handler(request, error)
        return error_page(request, error.status_code, str(error.detail))

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
    app.include_router(page_router)
    app.add_middleware(ClearCacheOnWrite)
    app.add_middleware(DropEmptyQueryValues)
    app.add_middleware(SecurityHeaders)
    return app
