"""Activities and evaluation: JSON API routes and pages (register, map and timeline beside
tension and incidents, event-study page). Writes are role-checked and audited like incidents;
validation is the importer's (kelisim.evaluate.register), one sentence per error."""

from __future__ import annotations

import math
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from kelisim import store
from kelisim.core.areas import region_code
from kelisim.errors import KelisimError
from kelisim.store import activities as sql
from kelisim.views import queries
from kelisim.views.i18n import translator
from kelisim.web import auth, charts, mapsvg
from kelisim.web.deps import Con, Reader, current_user, language, writer
from kelisim.web.pages import _page_writer, render

api_router = APIRouter(prefix="/api", tags=["activities"])
page_router = APIRouter(include_in_schema=False)
Analyst = Annotated[auth.User, Depends(writer("analyst"))]
Admin = Annotated[auth.User, Depends(writer("admin"))]
User = Annotated[auth.User | None, Depends(current_user)]
Lang = Annotated[str, Depends(language)]
OUTCOMES = ("tension", "incidents", "tier_2", "tier_3", "tier_4", "tier_5")


class ActivityIn(BaseModel):
    """An activity as entered in the form or sent to the API (the importer's columns)."""

    type: str = Field(description="type code or its name in kk/ru/en")
    area: str = Field("country", description="KATO code or name, any level; 'country'")
    date_start: str = Field(description="YYYY-MM-DD")
    date_end: str = ""
    groups: str = Field("", description="group names or codes separated by ';'")
    participants: str = ""
    budget_kzt: str = ""
    organiser: str = ""
    source: str = Field(description="where the activity is reported")
    note: str = ""


class ActivityTypeIn(BaseModel):
    type_code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name_kk: str = Field(min_length=1, max_length=200)
    name_ru: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.astype(object).where(frame.notna(), None)
    rows = frame.to_dict("records")
    for row in rows:
        for key in ("date_start", "date_end"):
            if row.get(key) is not None:
                row[key] = pd.Timestamp(row[key]).date().isoformat()
        groups = row.get("groups")
        row["groups"] = list(groups) if groups is not None else []
    return rows


def save_activity(con: duckdb.DuckDBPyConnection, user: auth.User, values: ActivityIn) -> str:
    """Validate (as the importer), write and audit one activity together; page and API."""
    from kelisim.evaluate.register import validate_activities, write_activities

    data = values.model_dump()
    clean = validate_activities(con, pd.DataFrame([data]), "activity", origin="web")
    with store.transaction(con):
        activity_id = write_activities(con, clean)[0]
        auth.audit(con, user.username, "activity.create", activity_id, data)
    return activity_id


def import_activity_file(
    con: duckdb.DuckDBPyConnection, user: auth.User, content: bytes, name: str
) -> list[str]:
    """All rows or none, validated by the same importer as `kelisim activities import`."""
    from kelisim.datasets.io import read_table
    from kelisim.evaluate.register import validate_activities, write_activities

    name = Path(name).name or "upload.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        frame = read_table(path)
    clean = validate_activities(con, frame, name, origin="import")
    with store.transaction(con):
        ids = write_activities(con, clean)
        auth.audit(con, user.username, "activity.import", name, {"count": len(ids)})
    return ids


def add_type(con: duckdb.DuckDBPyConnection, user: auth.User, values: ActivityTypeIn) -> None:
    if values.type_code in set(sql.activity_types(con)["type_code"]):
        raise HTTPException(409, f"Activity type {values.type_code} already exists.")
    with store.transaction(con):
        sql.add_activity_type(con, values.type_code, {
            "kk": values.name_kk, "ru": values.name_ru, "en": values.name_en})
        auth.audit(con, user.username, "activity_type.add", values.type_code,
                   values.model_dump())


def _unprocessable(error: KelisimError) -> HTTPException:
    return HTTPException(422, str(error))


# ---------------------------------------------------------------- API


@api_router.get("/activities")
def list_activities_api(
    con: Con, _: Reader,
    area: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    type: str | None = None,
    since: date | None = None,
):
    """Activities, newest first (``area`` includes areas inside it and country-wide ones)."""
    return _records(sql.list_activities(con, area, type, since.isoformat() if since else None))


@api_router.get("/activities/{activity_id}")
def get_activity_api(con: Con, _: Reader, activity_id: str):
    found = sql.activity(con, activity_id)
    if found is None:
        raise HTTPException(404, f"No activity {activity_id}.")
    return _records(pd.DataFrame([found]))[0]


@api_router.post("/activities", status_code=201)
def create_activity_api(con: Con, user: Analyst, activity: ActivityIn):
    """Add an activity (analyst); errors are one sentence naming the field (422)."""
    try:
        activity_id = save_activity(con, user, activity)
    except KelisimError as error:
        raise _unprocessable(error) from None
    return _records(pd.DataFrame([sql.activity(con, activity_id)]))[0]


@api_router.post("/activities/import")
async def import_activities_api(con: Con, user: Analyst, file: UploadFile):
    """Import a CSV or Excel file of activities (analyst); one bad row rejects the file."""
    try:
        ids = import_activity_file(con, user, await file.read(), file.filename or "upload.csv")
    except KelisimError as error:
        raise _unprocessable(error) from None
    return {"imported": len(ids), "activity_ids": ids}


@api_router.get("/activity-types")
def activity_types_api(con: Con, _: Reader):
    return sql.activity_types(con).to_dict("records")


@api_router.post("/activity-types", status_code=201)
def add_activity_type_api(con: Con, user: Admin, values: ActivityTypeIn):
    """Extend the controlled type list (admin), with its names in kk, ru and en."""
    add_type(con, user, values)
    return values.model_dump()


def evaluation_data(
    con: duckdb.DuckDBPyConnection, activity_type: str, outcome: str, control: str,
    period: str, bootstrap: int, seed: int,
) -> dict:
    from kelisim.evaluate.spec import Spec, parse_spec, run_spec

    spec: Spec = parse_spec({"outcome": outcome, "activity_type": activity_type,
                             "control": control, "period": period, "estimation": "reg",
                             "bootstrap": bootstrap, "seed": seed}, "request")
    result = run_spec(con, spec)
    return {
        "estimates": _records(result["estimates"]),
        "pretrend_p_value": result["pretrend"],
        "minimum_detectable_effect": (result["mde"] if result["mde"] is not None
                                      and math.isfinite(result["mde"]) else None),
        "sensitivity": result.get("sensitivity"),
        "assumptions": result["assumptions"],
        "conclusions": result["conclusions"],
    }


@api_router.get("/evaluate", tags=["evaluate"])
def evaluate_api(
    con: Con, _: Reader, activity_type: str, outcome: str = "tension",
    control: str = "not_yet", period: str = "month",
    bootstrap: Annotated[int, Query(ge=0, le=9999)] = 999, seed: int = 0,
):
    """Staggered DiD of an outcome panel on the areas where activities of a type started."""
    try:
        return evaluation_data(con, activity_type, outcome, control, period, bootstrap, seed)
    except KelisimError as error:
        raise _unprocessable(error) from None


# ---------------------------------------------------------------- pages


def _month_label(ordinal: int) -> str:
    return f"{ordinal // 12}-{ordinal % 12 + 1:02d}"


def timeline_chart(con: duckdb.DuckDBPyConnection, area: str | None, activities: pd.DataFrame,
                   t) -> Any:
    """Monthly activities started, incidents and tension index (the area's region or the
    country) on one inline SVG chart."""
    series: dict[str, list[tuple]] = {}
    starts = pd.to_datetime(activities["date_start"])
    counts = (starts.dt.year * 12 + starts.dt.month - 1).value_counts().sort_index()
    if not counts.empty:
        series[t("activities")] = [(int(k), float(v)) for k, v in counts.items()]
    for outcome, label in (("incidents", t("incidents")), ("tension", t("tension_index"))):
        panel = sql.outcome_panel(con, outcome, "month")
        if area and area != sql.COUNTRY:
            panel = panel[panel["area_code"] == region_code(area)]
        if panel.empty:
            continue
        month = pd.to_datetime(panel["period_start"])
        totals = panel.groupby(month.dt.year * 12 + month.dt.month - 1)["value"].sum()
        series[label] = [(int(k), float(v)) for k, v in totals.sort_index().items()]
    return charts.line_chart(series, t("activities_timeline"), _month_label)


@page_router.get("/activities")
def activities_page(
    request: Request, con: Con, user: Reader, lang: Lang,
    area: str | None = None, type: str | None = None,
    imported: Annotated[int | None, Query(ge=0)] = None, error: str | None = None,
):
    frame = sql.list_activities(con, area or None, type or None)
    counts = frame[frame["area_code"] != sql.COUNTRY]["area_code"].str[:2].value_counts()
    box, paths = mapsvg.region_paths()
    most = max(counts.max() if not counts.empty else 0, 1)
    shades = {code: counts.get(code[:2], 0) / most for code in paths}
    types = sql.activity_types(con)
    type_names = dict(zip(types["type_code"], types[f"name_{lang}"], strict=True))
    t = translator(lang)
    return render(
        request, "activities.html", lang, user, 422 if error else 200,
        rows=_records(frame), paths=paths, shades=shades, width=mapsvg.WIDTH,
        height=box.height, area_names=queries.area_names(con, lang),
        group_names=queries.group_names(con, lang), areas=queries.areas(con, lang),
        types=types.to_dict("records"), type_names=type_names,
        filters={"area": area or "", "type": type or ""}, imported=imported, error=error,
        chart=timeline_chart(con, area, frame, t),
    )


@page_router.post("/activities/new")
async def create_activity_page(request: Request, con: Con, user: User):
    form = await request.form()
    writer_user = _page_writer(request, user, "analyst", str(form.get("csrf_token", "")))
    values = {k: str(form.get(k, "")) for k in ActivityIn.model_fields}
    try:
        save_activity(con, writer_user, ActivityIn(**values))
    except KelisimError as error:
        return RedirectResponse(f"/activities?error={_quote(str(error))}", status_code=303)
    return RedirectResponse("/activities", status_code=303)


@page_router.post("/activities/import")
async def import_activities_page(
    request: Request, con: Con, file: UploadFile, csrf_token: Annotated[str, Form()],
    user: User,
):
    writer_user = _page_writer(request, user, "analyst", csrf_token)
    try:
        ids = import_activity_file(con, writer_user, await file.read(),
                                   file.filename or "upload.csv")
    except KelisimError as error:
        return RedirectResponse(f"/activities?error={_quote(str(error))}", status_code=303)
    return RedirectResponse(f"/activities?imported={len(ids)}", status_code=303)


@page_router.post("/activities/types")
async def add_type_page(
    request: Request, con: Con, csrf_token: Annotated[str, Form()],
    type_code: Annotated[str, Form()], name_kk: Annotated[str, Form()],
    name_ru: Annotated[str, Form()], name_en: Annotated[str, Form()],
    user: User,
):
    admin_user = _page_writer(request, user, "admin", csrf_token)
    try:
        values = ActivityTypeIn(type_code=type_code, name_kk=name_kk, name_ru=name_ru,
                                name_en=name_en)
    except ValueError:
        return RedirectResponse(f"/activities?error={_quote('type code: use a-z, 0-9 and _')}",
                                status_code=303)
    add_type(con, admin_user, values)
    return RedirectResponse("/activities", status_code=303)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def outcome_choices(con: duckdb.DuckDBPyConnection, t) -> list[tuple[str, str]]:
    """(code, label in the page's language) of every outcome an evaluation can use."""
    labels = {"tension": t("tension_index"), "incidents": t("incidents"),
              **{f"tier_{n}": t("outcome_tier", tier=n) for n in range(2, 6)}}
    return [(code, labels[code]) for code in OUTCOMES] + [
        (f"indicator:{name}", f"{t('indicator')}: {name}") for name in sql.indicator_names(con)]


@page_router.get("/evaluate")
def evaluate_page(
    request: Request, con: Con, user: Reader, lang: Lang,
    activity_type: str | None = None, outcome: str = "tension", control: str = "not_yet",
    period: str = "month",
):
    t = translator(lang)
    context: dict[str, Any] = {"result": None, "error": None, "chart": None}
    if activity_type:
        try:
            result = evaluation_data(con, activity_type, outcome, control, period, 199, 0)
        except KelisimError as error:
            context["error"] = str(error)
        else:
            dynamic = [r for r in result["estimates"] if r["estimand"] == "dynamic"]
            points = [(r["event_time"], r["estimate"], r["lower"], r["upper"]) for r in dynamic]
            context["chart"] = charts.line_chart(
                {t("effect"): points, t("no_change"): [(p[0], 0.0) for p in points]},
                t("event_study"))
            context["result"] = result
            context["overall"] = next(r for r in result["estimates"]
                                      if r["estimand"] == "simple")
    types = sql.activity_types(con)
    return render(
        request, "evaluation.html", lang, user, 422 if context["error"] else 200,
        types=types.to_dict("records"), outcomes=outcome_choices(con, t),
        filters={"activity_type": activity_type or "", "outcome": outcome,
                 "control": control, "period": period}, **context,
    )
