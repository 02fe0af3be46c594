"""Server-rendered pages (Jinja2 templates in this folder); forms post back with a CSRF token."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from kelisim import store
from kelisim.core.areas import period_date
from kelisim.errors import KelisimError
from kelisim.views import formats, queries
from kelisim.views.i18n import LANGUAGES, Terms, incident_text, translator
from kelisim.web import auth, charts, mapsvg
from kelisim.web.api import models
from kelisim.web.api.routes import (
    import_incidents,
    overview_data,
    record_review,
    save_incident,
    scenario_data,
)
from kelisim.web.deps import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    Con,
    LoginRequired,
    Reader,
    check_csrf,
    client_address,
    csrf_token,
    current_user,
    language,
    require_area,
    session_csrf,
    set_cookie,
)
from kelisim.web.throttle import LoginThrottled, throttled_login

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("kelisim.web") / "pages"))
User = Annotated[auth.User | None, Depends(current_user)]
Lang = Annotated[str, Depends(language)]
YEAR_SECONDS = 365 * 24 * 3600


templates.env.filters.update(formats.FILTERS)


def render(
    request: Request,
    name: str,
    lang: str,
    user: auth.User | None,
    status_code: int = 200,
    **context,
) -> HTMLResponse:
    """A page with the shared context: t(), lang, user, CSRF token, current path."""
    csrf = csrf_token(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = templates.TemplateResponse(
        request,
        name,
        {"t": translator(lang), "terms": Terms(lang), "name_on": _name_on(lang), "lang": lang,
         "told": incident_text(lang),
         "languages": LANGUAGES, "user": user, "csrf": csrf, "here": here, **context},
        status_code=status_code,
    )
    if request.cookies.get(CSRF_COOKIE) != csrf:
        set_cookie(request, response, CSRF_COOKIE, csrf, httponly=True, samesite="strict")
    return response


def _name_on(lang: str):
    """``name_on(code, day)`` for the templates: the area's name in force on that day from
    the dated name table, or None (the current name holds)."""
    from kelisim.core.areas import name_on

    def named(code: str | None, day) -> str | None:
        if not code or not day:
            return None
        when = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        return name_on(code, when, lang if lang in LANGUAGES else "en")

    return named


def _local(target: str | None) -> str:
    """Only same-site paths are followed after login or a language switch."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _refuse_unless(user: auth.User | None, role: str) -> auth.User:
    """Send visitors to the login page; refuse users below ``role`` (403)."""
    if user is None:
        raise LoginRequired()
    if not user.can(role):
        raise HTTPException(403, role)
    return user


def _page_writer(
    request: Request, user: auth.User | None, role: str, csrf_token: str
) -> auth.User:
    user = _refuse_unless(user, role)
    check_csrf(request, csrf_token)
    return user


# ---------------------------------------------------------------- session and language


@router.get("/login")
def login_page(request: Request, user: User, lang: Lang, next: str = "/"):
    return render(request, "login.html", lang, user, next=_local(next), failed=False)


@router.post("/login")
def login(
    request: Request,
    con: Con,
    lang: Lang,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
):
    check_csrf(request, csrf_token)
    try:
        token = throttled_login(request.app.state.throttle, con, username, password,
                                client_address(request))
    except LoginThrottled as error:
        response = render(request, "login.html", lang, None, 429, next=_local(next),
                          failed=False, throttled=error.seconds)
        response.headers["retry-after"] = str(error.seconds)
        return response
    if token is None:
        return render(request, "login.html", lang, None, 401, next=_local(next), failed=True)
    response = RedirectResponse(_local(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, httponly=True, samesite="lax",
               max_age=auth.SESSION_DAYS * 86400)
    set_cookie(request, response, CSRF_COOKIE, session_csrf(token), httponly=True,
               samesite="strict")
    return response


@router.post("/logout")
def logout(request: Request, con: Con, csrf_token: Annotated[str, Form()]):
    check_csrf(request, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.logout(con, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/"):
    if code not in LANGUAGES:
        raise HTTPException(404, "unknown language")
    # the page comes back without a language asked in its address, which would override the
    # choice just made (``?lang=ru`` wins over the cookie)
    target = urlsplit(_local(next))
    query = urlencode([(k, v) for k, v in parse_qsl(target.query, keep_blank_values=True)
                       if k != "lang"])
    response = RedirectResponse(urlunsplit(target._replace(query=query)), status_code=303)
    set_cookie(request, response, LANG_COOKIE, code, max_age=YEAR_SECONDS, samesite="lax")
    return response


# ---------------------------------------------------------------- overview and area


@router.get("/")
def overview(
    request: Request,
    con: Con,
    user: Reader,
    lang: Lang,
    indicator: models.Indicator = "share",
    group: str | None = None,
    period: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    index: str | None = None,
    boundaries: models.Boundaries = "2024",
    dataset: str | None = None,
):
    data = overview_data(con, lang, indicator, group or None, period, index or None, boundaries,
                         dataset or None)
    frame, paths = mapsvg.region_paths(boundaries)
    values = {v["area"]: v["value"] for v in data["values"]}
    colours, classes = mapsvg.colour_classes(values)
    names = queries.area_names(con, lang, on=period_date(data["period"]) if data["period"]
                               else None)
    regions = [
        {"code": code, "d": d, "name": names.get(code, code), "value": values.get(code),
         "fill": colours.get(code, mapsvg.NO_DATA)}
        for code, d in paths.items()
    ]
    return render(
        request, "overview.html", lang, user, data=data, regions=regions, classes=classes,
        palette=mapsvg.PALETTE, no_data=mapsvg.NO_DATA, width=mapsvg.WIDTH, height=frame.height,
        groups=queries.groups(con, lang), area_names=names,
        group_names=queries.group_names(con, lang), boundary_versions=queries.BOUNDARIES,
        dataset_labels=queries.dataset_labels(con, lang),
    )


@router.get("/area/{area_code}")
def area(
    request: Request,
    con: Con,
    user: Reader,
    lang: Lang,
    area_code: str,
    boundaries: models.Boundaries = "2024",
):
    detail = queries.area_detail(con, area_code, lang, boundaries)
    if detail is None:
        raise HTTPException(404, f"No area with KATO code {area_code}.")
    t = translator(lang)
    group_names = queries.group_names(con, lang)
    rows = detail["composition"]
    periods = sorted({r["period"] for r in rows})
    table = {(r["period"], r["group"]): r for r in rows}
    shared = [p for p in periods if sum(r["period"] == p and r["share"] is not None
                                       for r in rows) >= 2]
    latest = shared[-1] if shared else (periods[-1] if periods else None)

    def by_share_then_name(code: str):
        cell = table.get((latest, code))
        share = cell["share"] if cell and cell["share"] is not None else -1.0
        return (-share, group_names.get(code, code))

    group_codes = sorted({r["group"] for r in rows}, key=by_share_then_name)
    share_bars = charts.bar_chart(
        [(group_names.get(r["group"], r["group"]), r["share"])
         for r in rows if r["period"] == latest and r["share"] is not None],
        t("composition"),
    )
    population_chart = charts.line_chart(
        {t("population"): [(r["period"], r["count"]) for r in detail["population"]]},
        t("population"),
    ) if detail["population"] else ""
    totals = queries.projection_totals(con, area_code)
    scenario = Terms(lang).label
    run_labels = queries.run_labels(con, lang)
    projection_chart = charts.line_chart(
        {f"{run_labels.get(r0['run'], r0['run'])} / {scenario('scenario', r0['scenario'])}": [
            (r["period"], r["count"], r["lower95"], r["upper95"])
            for r in totals if (r["run"], r["scenario"]) == (r0["run"], r0["scenario"])]
         for r0 in totals},
        t("projections"),
    )
    tension = sorted(
        (a for a in detail["tension"] if a["metric"] == "tension_index"), key=lambda a: a["day"]
    )
    tension_chart = charts.line_chart(
        {t("tension"): [(a["day"].toordinal(), a["value"]) for a in tension]}, t("tension"),
        x_format=lambda day: formats.day(date.fromordinal(day)),
    ) if tension else ""
    partial = ", ".join(group_names.get(g, g) for g in detail["partial_groups"])
    return render(
        request, "area.html", lang, user, detail=detail, periods=periods, partial=partial,
        group_codes=group_codes, table=table, group_names=group_names,
        area_names=queries.area_names(con, lang), share_bars=share_bars,
        projection_chart=projection_chart, tension_chart=tension_chart, latest=latest,
        population_chart=population_chart, boundary_versions=queries.BOUNDARIES,
        group_shares=group_share_view(con, area_code, _default_run(con), lang),
        run_labels=run_labels,
    )


def _default_run(con: Con) -> str | None:
    """The run the forecasts page opens with: the most recently stored one."""
    runs = queries.projection_runs(con)
    return runs[-1] if runs else None


# ---------------------------------------------------------------- monitor


PAGE_SIZES = (20, 50, 100)


@router.get("/monitor")
def monitor(
    request: Request,
    con: Con,
    user: Reader,
    lang: Lang,
    area: str | None = None,
    group: str | None = None,
    tier_min: Annotated[int, Query(ge=0, le=5)] = queries.FLAG_TIER,
    language: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=max(PAGE_SIZES))] = PAGE_SIZES[0],
):
    def day(text: str | None) -> date | None:
        """A filter's date as the form sends it (YYYY-MM-DD) or as officials write it
        (dd.mm.yyyy); anything else is one sentence in the page's language."""
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(text.strip(), pattern).date()
            except ValueError:
                continue
        raise HTTPException(422, translator(lang)("not_a_date", text=text))

    chosen = (area or None, group or None, tier_min,
              language if language in LANGUAGES else None, day(date_from), day(date_to))
    total = queries.flagged_count(con, *chosen)
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    items = queries.flagged(con, *chosen, limit=per_page, offset=(page - 1) * per_page)
    filters = {"area": area or "", "group": group or "", "tier_min": tier_min,
               "language": language or "", "date_from": date_from or "",
               "date_to": date_to or ""}

    def page_url(number: int) -> str:
        query = {k: v for k, v in filters.items() if v != ""}
        return "/monitor?" + urlencode({**query, "per_page": per_page, "page": number})

    paging = {"page": page, "pages": pages, "total": total, "per_page": per_page,
              "previous": page_url(page - 1) if page > 1 else None,
              "next": page_url(page + 1) if page < pages else None}
    return render(
        request, "monitor.html", lang, user, items=items, filters=filters, paging=paging,
        page_sizes=sorted({*PAGE_SIZES, per_page}), areas=queries.areas(con, lang),
        groups=queries.groups(con, lang), area_names=queries.area_names(con, lang),
        group_names=queries.group_names(con, lang),
    )


@router.post("/monitor/{doc_id}/review")
def review(
    request: Request,
    con: Con,
    user: User,
    doc_id: str,
    verdict: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    tier: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/monitor",
):
    user = _page_writer(request, user, "analyst", csrf_token)
    try:
        body = models.ReviewIn(verdict=verdict, tier=int(tier) if tier else None)
    except (ValidationError, ValueError) as error:
        raise HTTPException(422, str(error).splitlines()[-1]) from None
    record_review(con, user, doc_id, body)
    return RedirectResponse(_local(next), status_code=303)


# ---------------------------------------------------------------- incidents


@router.get("/incidents")
def incidents(
    request: Request,
    con: Con,
    user: Reader,
    lang: Lang,
    area: str | None = None,
    year: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    imported: Annotated[int | None, Query(ge=0)] = None,
):
    rows = queries.incidents(con, area or None, year)
    frame, paths = mapsvg.region_paths()
    points = []
    for row in rows:
        if row["lat"] is not None and row["lon"] is not None:
            x, y = frame.xy(row["lon"], row["lat"])
            points.append({"x": x, "y": y, "row": row})
    return render(
        request, "incidents.html", lang, user, rows=rows, points=points, paths=paths,
        width=mapsvg.WIDTH, height=frame.height, area_names=queries.area_names(con, lang),
        group_names=queries.group_names(con, lang), areas=queries.areas(con, lang),
        filters={"area": area or "", "year": year or ""}, imported=imported,
    )


def _incident_form(
    request: Request, con, lang, user, values: dict, incident_id: str | None, error: str | None
):
    return render(
        request, "incident_form.html", lang, user, 422 if error else 200, values=values,
        incident_id=incident_id, error=error, areas=queries.areas(con, lang),
        groups=queries.groups(con, lang),
    )


@router.get("/incidents/new")
def new_incident(request: Request, con: Con, user: User, lang: Lang):
    _refuse_unless(user, "analyst")
    return _incident_form(request, con, lang, user, {}, None, None)


@router.get("/incidents/{incident_id}/edit")
def edit_incident(request: Request, con: Con, user: User, lang: Lang, incident_id: str):
    _refuse_unless(user, "analyst")
    found = queries.incident(con, incident_id)
    if found is None:
        raise HTTPException(404, f"No incident {incident_id}.")
    return _incident_form(request, con, lang, user, found, incident_id, None)


async def _save_incident_form(request, con, user, lang, incident_id):
    form = await request.form()
    user = _page_writer(request, user, "analyst", str(form.get("csrf_token", "")))
    values = {k: (str(form.get(k)).strip() or None) for k in queries.INCIDENT_FIELDS if k in form}
    values["groups"] = [str(g) for g in form.getlist("groups") if g]
    values["sources"] = [s.strip() for s in (values.get("sources") or "").split(";") if s.strip()]
    try:
        incident = models.IncidentIn(**values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        return _incident_form(
            request, con, lang, user, values, incident_id, f"{where}: {first['msg']}"
        )
    save_incident(con, user, incident, incident_id)
    return RedirectResponse("/incidents", status_code=303)


@router.post("/incidents/new")
async def create_incident(request: Request, con: Con, user: User, lang: Lang):
    return await _save_incident_form(request, con, user, lang, None)


@router.post("/incidents/{incident_id}/edit")
async def update_incident(
    request: Request, con: Con, user: User, lang: Lang, incident_id: str
):
    return await _save_incident_form(request, con, user, lang, incident_id)


@router.post("/incidents/import")
async def import_incidents_page(
    request: Request,
    con: Con,
    user: User,
    lang: Lang,
    file: UploadFile,
    csrf_token: Annotated[str, Form()],
):
    user = _page_writer(request, user, "analyst", csrf_token)
    try:
        ids = import_incidents(con, user, await file.read(), file.filename or "upload.csv")
    except KelisimError as error:
        raise HTTPException(422, str(error)) from None
    return RedirectResponse(f"/incidents?imported={len(ids)}", status_code=303)


# ---------------------------------------------------------------- forecasts and brief


@router.get("/forecasts")
def forecasts(
    request: Request,
    con: Con,
    user: Reader,
    lang: Lang,
    area: str = queries.COUNTRY,
    run: str | None = None,
    group: str = "total",
):
    data = scenario_data(con, area, run or None, group)
    periods = sorted({r["period"] for rows in data["scenarios"].values() for r in rows})
    cells = {
        (name, r["period"]): r for name, rows in data["scenarios"].items() for r in rows
    }
    t = translator(lang)
    scenario = Terms(lang).label
    chart = charts.line_chart(
        {scenario("scenario", name): [(r["period"], r["count"], r["lower95"], r["upper95"])
                                      for r in rows]
         for name, rows in data["scenarios"].items()},
        t("forecasts"),
    )
    return render(
        request, "forecasts.html", lang, user, data=data, periods=periods, cells=cells,
        chart=chart, areas=queries.areas(con, lang), groups=queries.groups(con, lang),
        group_shares=group_share_view(con, area, data["run"], lang),
        group_names=queries.group_names(con, lang), run_labels=queries.run_labels(con, lang),
    )


def group_share_view(con: Con, area: str, run: str | None, lang: str) -> dict | None:
    """Group shares of ``run`` over time with 95 % intervals (chart of the first scenario's
    five largest groups, table of every scenario's last period) and the census hindcast of
    the calibrated projection beside them (issue 12)."""
    from kelisim.forecast.calibrate import HINDCAST_RUN

    rows = queries.projection_shares(con, area, run) if run else []
    if not rows:
        return None
    t = translator(lang)
    terms = Terms(lang)
    names = queries.group_names(con, lang)
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    last = max(r["period"] for r in rows)
    first_rows = [r for r in rows if r["scenario"] == scenarios[0]]
    start = min(r["period"] for r in first_rows)
    opening = {r["group"]: r["share"] for r in first_rows if r["period"] == start}
    groups = sorted(opening, key=lambda g: -opening[g])
    chart = charts.line_chart(
        {names.get(g, g): [(r["period"], 100 * r["share"],
                            None if r["share_lower95"] is None else 100 * r["share_lower95"],
                            None if r["share_upper95"] is None else 100 * r["share_upper95"])
                           for r in first_rows if r["group"] == g] for g in groups[:5]},
        t("group_shares_title"))
    hindcast_rows = queries.projection_shares(con, area, HINDCAST_RUN)
    columns = [{"scenario": r["scenario"], "period": r["period"],
                "label": f"{r['period']}: " + (t("census") if r["scenario"] == "census" else
                                               t("hindcast_from", year=r["scenario"][-4:]))}
               for r in hindcast_rows]
    columns = sorted({(c["period"], c["scenario"] != "census", c["scenario"]): c
                      for c in columns}.values(),
                     key=lambda c: (-c["period"], c["scenario"] != "census", c["scenario"]))
    return {
        "scenarios": scenarios, "last": last, "groups": groups, "chart": chart,
        "labels": {s: terms.label("scenario", s) for s in scenarios},
        "descriptions": {s: terms.define("scenario", s) for s in scenarios},
        "cells": {(r["scenario"], r["group"]): r for r in rows if r["period"] == last},
        "hindcast": {(r["scenario"], r["period"], r["group"]): r for r in hindcast_rows},
        "hindcast_columns": columns,
        "hindcast_groups": sorted({r["group"] for r in hindcast_rows},
                                  key=lambda g: groups.index(g) if g in groups else 99),
    }


@router.get("/brief.css")
def brief_css():
    css = (resources.files("kelisim.report") / "brief.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css")


@router.get("/brief/{area_code}.pdf")
def brief_pdf(
    con: Con,
    _: Reader,
    lang: Lang,
    area_code: str,
    period: Annotated[int | None, Query(ge=1800, le=2200)] = None,
):
    from kelisim.report import brief_html, brief_pdf

    require_area(con, area_code)
    try:
        pdf = brief_pdf(brief_html(con, area_code, period, lang, standalone=True))
    except KelisimError as error:
        raise HTTPException(503, str(error)) from None
    return Response(
        pdf, media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="brief-{area_code}.pdf"'},
    )


@router.get("/brief/{area_code}")
def brief(
    con: Con,
    _: Reader,
    lang: Lang,
    area_code: str,
    period: Annotated[int | None, Query(ge=1800, le=2200)] = None,
):
    from kelisim.report import brief_html

    require_area(con, area_code)
    return HTMLResponse(brief_html(con, area_code, period, lang))


# ---------------------------------------------------------------- admin


@router.get("/admin")
def admin(request: Request, con: Con, user: User, lang: Lang):
    _refuse_unless(user, "admin")
    return render(
        request, "admin.html", lang, user, users=auth.list_users(con),
        anonymous=auth.anonymous_read(con), audit=queries.audit_entries(con, 50),
    )


@router.post("/admin/users")
def admin_add_user(
    request: Request,
    con: Con,
    user: User,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
):
    admin_user = _page_writer(request, user, "admin", csrf_token)
    try:
        with store.transaction(con):
            name = auth.add_user(con, username, password, role)
            auth.audit(con, admin_user.username, "user.add", name, {"role": role})
    except KelisimError as error:
        raise HTTPException(422, str(error)) from None
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{username}/disable")
def admin_disable_user(
    request: Request, con: Con, user: User, username: str, csrf_token: Annotated[str, Form()]
):
    admin_user = _page_writer(request, user, "admin", csrf_token)
    with store.transaction(con):
        auth.set_disabled(con, username, keep_one_admin=True)
        auth.audit(con, admin_user.username, "user.disable", username, {})
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/settings")
def admin_settings(
    request: Request,
    con: Con,
    user: User,
    csrf_token: Annotated[str, Form()],
    anonymous_read: Annotated[str, Form()] = "",
):
    admin_user = _page_writer(request, user, "admin", csrf_token)
    allowed = anonymous_read == "on"
    with store.transaction(con):
        auth.set_anonymous_read(con, allowed)
        auth.audit(con, admin_user.username, "settings.update", "anonymous_read",
                   {"anonymous_read": allowed})
    return RedirectResponse("/admin", status_code=303)
