"""JSON API routes: the data behind every page, and the writes (role-checked, audited)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, UploadFile
from pydantic import TypeAdapter

from kelisim import store
from kelisim.core.areas import period_date
from kelisim.views import queries
from kelisim.web import auth
from kelisim.web.api import models
from kelisim.web.deps import (
    Con,
    Reader,
    client_address,
    language,
    own_write,
    require_area,
    writer,
)
from kelisim.web.throttle import LoginThrottled, throttled_login

router = APIRouter(prefix="/api")
Analyst = Annotated[auth.User, Depends(writer("analyst"))]
Admin = Annotated[auth.User, Depends(writer("admin"))]
Lang = Annotated[models.Language | None, Query(description="kk, ru or en; default: cookie")]
Borders = Annotated[models.Boundaries, Query(
    description="border version of maps and series: 2018 (Shymkent split off) or 2024 "
    "(with Abai, Zhetysu, Ulytau); other years' figures are converted")]
AreaCode = Annotated[str, Query(pattern=r"^\d{9}$", description="9-digit KATO code")]


def _lang(lang: str | None, fallback: str) -> str:
    return lang or fallback


@cache
def _adapter(model) -> TypeAdapter:
    return TypeAdapter(model)


async def cached_json(request: Request, con, model, lang: str, compute) -> Response:
    """JSON of ``compute()`` checked against ``model``, reused per URL and language while the
    store's data does not change (see kelisim.web.cache); ``con`` is the cursor it reads."""
    key = (request.url.path, request.url.query, lang)
    adapter = _adapter(model)
    body = await request.app.state.cache.get(
        key, lambda: adapter.dump_json(adapter.validate_python(compute())), con,
        not_before=own_write(request))
    return Response(body, media_type="application/json")


@router.get("/health", tags=["meta"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/meta", response_model=models.Meta, tags=["meta"])
async def meta(
    request: Request, con: Con, _: Reader, lang: Lang = None, fallback: str = Depends(language)
):
    lang = _lang(lang, fallback)
    return await cached_json(request, con, models.Meta, lang, lambda: {
        "languages": list(queries.LANGUAGES),
        "indicators": ["share", "diversity", "segregation", "tension"],
        "areas": queries.areas(con, lang),
        "groups": queries.groups(con, lang),
        "periods": queries.population_periods(con),
        "runs": queries.projection_runs(con),
    })


def overview_data(
    con: duckdb.DuckDBPyConnection,
    lang: str,
    indicator: str,
    group: str | None,
    period: int | None,
    index: str | None,
    boundaries: str = "2024",
    dataset: str | None = None,
) -> dict:
    """The overview map's values in the borders of ``boundaries`` (from one dataset when
    given); shared by page and API. Without a group and a period the map opens on the latest
    year in which a group has figures for every region, and the largest such group."""
    if indicator == "share" and group is None:
        choice = queries.complete_choice(con, boundaries, dataset)
        if choice is not None and period in (None, choice[0]):
            period, group = choice
        else:
            group = queries.best_group(con, boundaries, dataset)
    periods = (
        queries.tension_periods(con)
        if indicator == "tension"
        else queries.population_periods(con, group if indicator == "share" else None,
                                        boundaries, dataset)
    )
    if period is None and periods:
        if indicator == "tension":
            period = periods[-1]
        elif indicator == "share":
            period = queries.best_period(con, group, "share", boundaries, dataset)
        elif indicator == "diversity":  # the year with indices for the most regions
            period = max(periods, key=lambda year: (len(queries.indicator_values(
                con, indicator, year, group, index, boundaries, dataset)[0]), year))
        else:
            period = queries.best_period(con, boundaries=boundaries, dataset=dataset)
    names = queries.area_names(con, lang, on=period_date(period) if period else None)
    values, indices, index = queries.indicator_values(con, indicator, period, group, index,
                                                      boundaries, dataset)
    return {
        "indicator": indicator,
        "boundaries": boundaries,
        "dataset": dataset,
        "datasets": queries.population_datasets(con),
        "group": group,
        "index": index,
        "indices": indices,
        "period": period,
        "periods": periods,
        "values": [
            {"area": code, "name": names.get(code, code), "value": value}
            for code, value in sorted(values.items())
        ],
        "alerts": queries.alerts(con, limit=10),
    }


@router.get("/overview", response_model=models.Overview, tags=["pages"])
async def overview(
    request: Request,
    con: Con,
    _: Reader,
    indicator: models.Indicator = "share",
    group: str | None = None,
    period: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    index: str | None = None,
    boundaries: Borders = "2024",
    dataset: str | None = None,
    lang: Lang = None,
    fallback: str = Depends(language),
):
    """Value per region of one indicator for one period (from one dataset when given), and
    the latest alerts."""
    lang = _lang(lang, fallback)
    return await cached_json(request, con, models.Overview, lang, lambda: overview_data(
        con, lang, indicator, group, period, index, boundaries, dataset or None))


@router.get("/areas", response_model=list[models.Area], tags=["pages"])
async def list_areas(
    request: Request,
    con: Con,
    _: Reader,
    level: str | None = None,
    lang: Lang = None,
    fallback: str = Depends(language),
):
    lang = _lang(lang, fallback)
    return await cached_json(request, con, list[models.Area], lang,
                             lambda: queries.areas(con, lang, level))


@router.get("/groups", response_model=list[models.Group], tags=["pages"])
async def list_groups(
    request: Request, con: Con, _: Reader, lang: Lang = None, fallback: str = Depends(language)
):
    lang = _lang(lang, fallback)
    return await cached_json(request, con, list[models.Group], lang,
                             lambda: queries.groups(con, lang))


@router.get("/areas/{area_code}", response_model=models.AreaDetail, tags=["pages"])
async def area(
    request: Request,
    con: Con,
    _: Reader,
    area_code: str,
    boundaries: Borders = "2024",
    lang: Lang = None,
    fallback: str = Depends(language),
):
    """Population and composition over time (in one border version), indices, projections,
    tension, incidents and flagged items."""
    lang = _lang(lang, fallback)

    def compute() -> dict:
        detail = queries.area_detail(con, area_code, lang, boundaries)
        if detail is None:
            raise HTTPException(404, f"No area with KATO code {area_code}.")
        return detail

    return await cached_json(request, con, models.AreaDetail, lang, compute)


@router.get("/monitor", response_model=list[models.FlaggedItem], tags=["monitor"])
async def monitor(
    request: Request,
    con: Con,
    _: Reader,
    area: AreaCode | None = None,
    group: str | None = None,
    tier_min: Annotated[int, Query(ge=0, le=5)] = queries.FLAG_TIER,
    language: models.Language | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Flagged documents (tier at or above tier_min), newest first, with their last review."""
    if date_from and date_to and date_to < date_from:
        raise HTTPException(422, "date_to is before date_from.")
    return await cached_json(
        request, con, list[models.FlaggedItem], "",
        lambda: queries.flagged(con, area, group, tier_min, language, date_from, date_to, limit),
    )


@router.get("/monitor/{doc_id}/reviews", response_model=list[models.Review], tags=["monitor"])
async def doc_reviews(request: Request, con: Con, _: Reader, doc_id: str):
    return await cached_json(request, con, list[models.Review], "",
                             lambda: queries.reviews(con, doc_id))


def record_review(
    con: duckdb.DuckDBPyConnection, user: auth.User, doc_id: str, review: models.ReviewIn
) -> int:
    """Store a review label and its audit entry together; shared by the page and the API."""
    tier = queries.document_tier(con, doc_id)
    if tier is None:
        raise HTTPException(404, f"No classified document {doc_id}.")
    if review.verdict != "change_tier":
        tier = tier if review.verdict == "agree" else None
    else:
        tier = review.tier
    with store.transaction(con):
        review_id = queries.add_review(con, doc_id, user.username, review.verdict, tier)
        auth.audit(con, user.username, "review.create", doc_id,
                   {"verdict": review.verdict, "tier": tier})
    return review_id


@router.post(
    "/monitor/{doc_id}/reviews", status_code=201, response_model=models.Review, tags=["monitor"]
)
def add_review(con: Con, user: Analyst, doc_id: str, review: models.ReviewIn):
    """Agree, disagree or change the tier of a classified document (analyst)."""
    review_id = record_review(con, user, doc_id, review)
    return next(r for r in queries.reviews(con, doc_id) if r["review_id"] == review_id)


@router.get("/incidents", response_model=list[models.Incident], tags=["incidents"])
async def list_incidents(
    request: Request,
    con: Con,
    _: Reader,
    area: AreaCode | None = None,
    year: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    bbox: Annotated[str | None, Query(
        pattern=r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$",
        description="west,south,east,north in degrees (WGS 84): incidents whose point lies "
                    "inside or on the edge; indexed by PostGIS where the store has it")] = None,
):
    box = _bounding_box(bbox)
    return await cached_json(
        request, con, list[models.Incident], "",
        lambda: queries.incidents(con, area, year, bbox=box),
    )


def _bounding_box(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` as numbers; a 422 in one sentence when it is no box."""
    if bbox is None:
        return None
    west, south, east, north = (float(x) for x in bbox.split(","))
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise HTTPException(422, "bbox: west,south,east,north must be degrees with "
                                 "-180 <= west <= east <= 180 and -90 <= south <= north <= 90.")
    return west, south, east, north


@router.get("/incidents/{incident_id}", response_model=models.Incident, tags=["incidents"])
def get_incident(con: Con, _: Reader, incident_id: str):
    found = queries.incident(con, incident_id)
    if found is None:
        raise HTTPException(404, f"No incident {incident_id}.")
    return found


def save_incident(
    con: duckdb.DuckDBPyConnection,
    user: auth.User,
    values: models.IncidentIn,
    incident_id: str | None = None,
) -> str:
    """Create (no id) or update an incident with its audit entry; shared by page and API."""
    data = values.model_dump()
    with store.transaction(con):
        if incident_id is None:
            incident_id = queries.create_incident(con, data, origin="web")
            action = "incident.create"
        else:
            if queries.incident(con, incident_id) is None:
                raise HTTPException(404, f"No incident {incident_id}.")
            queries.update_incident(con, incident_id, data)
            action = "incident.update"
        auth.audit(con, user.username, action, incident_id, data)
    return incident_id


@router.post("/incidents", status_code=201, response_model=models.Incident, tags=["incidents"])
def create_incident(con: Con, user: Analyst, incident: models.IncidentIn):
    return queries.incident(con, save_incident(con, user, incident))


@router.put("/incidents/{incident_id}", response_model=models.Incident, tags=["incidents"])
def update_incident(con: Con, user: Analyst, incident_id: str, incident: models.IncidentIn):
    return queries.incident(con, save_incident(con, user, incident, incident_id))


def import_incidents(
    con: duckdb.DuckDBPyConnection, user: auth.User, content: bytes, name: str
) -> list[str]:
    """All rows or none: validate the uploaded file with the foundation's importer (our CSV,
    ACLED or UCDP GED, as ``kelisim incidents import``), then write and audit together."""
    from kelisim.incidents import read_incidents, write_incidents

    rows = read_incidents(Path(name).name, content=content)
    with store.transaction(con):
        write_incidents(con, rows)
        auth.audit(con, user.username, "incident.import", name, {"count": len(rows)})
    return list(rows["incident_id"])


@router.post("/incidents/import", response_model=models.ImportResult, tags=["incidents"])
async def import_incidents_csv(con: Con, user: Analyst, file: UploadFile):
    """Import incidents (analyst): our CSV (incident_id, date_start, ...), an ACLED export or a
    UCDP GED file; a bad row rejects the whole file with a 422 naming file, row and column."""
    ids = import_incidents(con, user, await file.read(), file.filename or "upload.csv")
    return {"imported": len(ids), "incident_ids": ids}


def scenario_data(
    con: duckdb.DuckDBPyConnection, area: str, run: str | None, group: str
) -> dict:
    runs = queries.projection_runs(con)
    run = run or (runs[-1] if runs else None)
    if not run:
        rows = []
    elif group == "total":
        rows = queries.projection_totals(con, area, run)
    else:
        rows = queries.projections(con, area, run, group)
    scenarios: dict[str, list[dict]] = {}
    for row in rows:
        scenarios.setdefault(row["scenario"], []).append(row)
    return {"runs": runs, "run": run, "area": area, "group": group, "scenarios": scenarios}


@router.get("/forecasts", response_model=models.ScenarioTable, tags=["forecasts"])
async def forecasts(
    request: Request,
    con: Con,
    _: Reader,
    area: AreaCode = queries.COUNTRY,
    run: str | None = None,
    group: str = "total",
):
    """Projected counts of every scenario of a run, side by side."""
    return await cached_json(
        request, con, models.ScenarioTable, "", lambda: scenario_data(con, area, run, group)
    )


@router.get("/brief/{area_code}", tags=["brief"])
def brief(
    con: Con,
    _: Reader,
    area_code: str,
    period: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    lang: Lang = None,
    fallback: str = Depends(language),
) -> dict:
    """The data of the printable brief for one area and period."""
    from kelisim.report import brief_data

    require_area(con, area_code)
    return brief_data(con, area_code, period, _lang(lang, fallback))


@router.post("/auth/token", response_model=models.Token, tags=["auth"],
             responses={429: {"description": "too many failed logins; see Retry-After"}})
def token(request: Request, con: Con, credentials: models.Credentials):
    """Exchange a username and password for a bearer token (throttled after failures)."""
    try:
        issued = throttled_login(request.app.state.throttle, con, credentials.username,
                                 credentials.password, client_address(request))
    except LoginThrottled as error:
        raise HTTPException(429, str(error), headers={"Retry-After": str(error.seconds)}) from None
    if issued is None:
        raise HTTPException(401, "Unknown user, wrong password or disabled account.")
    return {"token": issued}


@router.get("/users", response_model=list[models.UserOut], tags=["admin"])
def users(con: Con, _: Admin):
    return auth.list_users(con)


@router.post("/users", status_code=201, response_model=models.UserOut, tags=["admin"])
def add_user(con: Con, admin: Admin, user: models.UserIn):
    with store.transaction(con):
        name = auth.add_user(con, user.username, user.password, user.role)
        auth.audit(con, admin.username, "user.add", name, {"role": user.role})
    return next(u for u in auth.list_users(con) if u["username"] == name)


@router.post("/users/{username}/disable", status_code=204, tags=["admin"])
def disable_user(con: Con, admin: Admin, username: str):
    with store.transaction(con):
        auth.set_disabled(con, username, keep_one_admin=True)
        auth.audit(con, admin.username, "user.disable", username, {})
    return Response(status_code=204)


@router.get("/settings", response_model=models.Settings, tags=["admin"])
def get_settings(con: Con, _: Admin):
    return {"anonymous_read": auth.anonymous_read(con)}


@router.put("/settings", response_model=models.Settings, tags=["admin"])
def put_settings(con: Con, admin: Admin, settings: models.Settings):
    with store.transaction(con):
        auth.set_anonymous_read(con, settings.anonymous_read)
        auth.audit(con, admin.username, "settings.update", "anonymous_read",
                   settings.model_dump())
    return settings


@router.get("/audit", response_model=list[models.AuditEntry], tags=["admin"])
def audit_log(con: Con, _: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return queries.audit_entries(con, limit)

