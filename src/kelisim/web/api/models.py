"""Typed request and response bodies of the JSON API (they make the OpenAPI schema).

Request bodies take their bounds from :mod:`kelisim.limits` (the input-limits policy)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kelisim.limits import MAX_CASUALTIES, MAX_LIST, MAX_TEXT

Indicator = Literal["share", "diversity", "segregation", "tension"]
Language = Literal["kk", "ru", "en"]
Boundaries = Literal["2018", "2024"]
Verdict = Literal["agree", "disagree", "change_tier"]


class Area(BaseModel):
    area_code: str
    level: str
    parent_code: str | None
    name: str


class Group(BaseModel):
    group_code: str
    kind: str
    name: str


class AreaValue(BaseModel):
    area: str
    name: str
    value: float


class Alert(BaseModel):
    alert_id: str
    area: str | None
    group: str | None
    day: date
    metric: str
    value: float | None
    baseline: float | None
    score: float | None
    top_doc_ids: list[str] | None


class Overview(BaseModel):
    indicator: Indicator
    boundaries: Boundaries
    dataset: str | None = None
    datasets: list[str] = []
    group: str | None
    index: str | None
    indices: list[str]
    period: int | None
    periods: list[int]
    values: list[AreaValue]
    alerts: list[Alert]


class CompositionRow(BaseModel):
    area: str
    group: str
    period: int
    count: float | None
    share: float | None


class IndexRow(BaseModel):
    area: str
    index: str
    value: float


class SegregationRow(BaseModel):
    index: str
    group: str
    value: float


class ProjectionRow(BaseModel):
    run: str
    scenario: str
    group: str
    period: int
    count: float
    lower80: float | None
    upper80: float | None
    lower95: float | None
    upper95: float | None


class Incident(BaseModel):
    incident_id: str
    origin: str | None
    date_start: date
    date_end: date | None
    area_code: str | None
    region_code: str | None
    place: str | None
    lat: float | None
    lon: float | None
    geo_precision: str | None
    event_type: str | None
    interethnic: str | None
    groups: list[str] | None
    fatalities: int | None
    injured: int | None
    summary: str | None
    sources: list[str] | None
    confidence: str | None


class FlaggedItem(BaseModel):
    doc_id: str
    source: str
    url: str | None
    published_at: datetime | None
    language: str | None
    title: str | None
    text: str
    tier: int
    relevance_score: float | None
    hostility_score: float | None
    counter_speech: bool | None
    groups: list[str] | None
    places: list[str] | None
    rationale: Any
    model: str | None
    review_verdict: str | None
    review_tier: int | None
    reviewer: str | None


class PopulationRow(BaseModel):
    period: int
    count: float


class AreaDetail(BaseModel):
    area_code: str
    name: str
    level: str
    boundaries: Boundaries
    in_boundaries: bool = Field(description="whether the area exists in these borders")
    population: list[PopulationRow]
    composition: list[CompositionRow]
    indices: list[IndexRow]
    segregation: list[SegregationRow]
    projections: list[ProjectionRow]
    tension: list[Alert]
    incidents: list[Incident]
    flagged: list[FlaggedItem]


class ReviewIn(BaseModel):
    verdict: Verdict
    tier: int | None = Field(None, ge=0, le=5, description="required when verdict is change_tier")

    @model_validator(mode="after")
    def _tier_for_change(self) -> ReviewIn:
        if self.verdict == "change_tier" and self.tier is None:
            raise ValueError("verdict change_tier needs a tier from 0 to 5")
        return self


class Review(BaseModel):
    review_id: int
    doc_id: str
    username: str
    verdict: str
    tier: int | None
    at: datetime


def _text(field: str):
    return Field(None, max_length=MAX_TEXT[field])


class IncidentIn(BaseModel):
    """An incident as entered by an analyst (form or API); coordinates must be finite and in
    Kazakhstan, counts plausible, groups known to the group registry."""

    model_config = ConfigDict(allow_inf_nan=False)

    date_start: date
    date_end: date | None = None
    area_code: str | None = Field(None, pattern=r"^\d{9}$")
    region_code: str | None = Field(None, pattern=r"^\d{9}$")
    place: str | None = _text("place")
    lat: float | None = Field(None, ge=40.0, le=56.0)
    lon: float | None = Field(None, ge=46.0, le=88.0)
    geo_precision: str | None = _text("geo_precision")
    event_type: str | None = _text("event_type")
    interethnic: Literal["yes", "no", "disputed"] | None = None
    groups: list[str] = Field([], max_length=MAX_LIST["groups"])
    fatalities: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    summary: str | None = _text("summary")
    sources: list[Annotated[str, Field(max_length=MAX_TEXT["source"])]] = Field(
        [], max_length=MAX_LIST["sources"])
    confidence: Literal["high", "medium", "low"] | None = None

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, groups: list[str]) -> list[str]:
        """Group codes or names the registry knows, stored as their codes."""
        from kelisim.core.groups import default_registry, unknown_message

        registry = default_registry()
        codes = []
        for group in groups:
            code = registry.resolve(group)
            if code is None:
                raise ValueError(unknown_message("group", group[:64], registry.suggest(group)))
            codes.append(code)
        return codes

    @model_validator(mode="after")
    def _dates_in_order(self) -> IncidentIn:
        if self.date_end is not None and self.date_end < self.date_start:
            raise ValueError("date_end is before date_start")
        return self


class ImportResult(BaseModel):
    imported: int
    incident_ids: list[str]


class ScenarioTable(BaseModel):
    runs: list[str]
    run: str | None
    area: str
    group: str
    scenarios: dict[str, list[ProjectionRow]]


class Credentials(BaseModel):
    username: str = Field(max_length=4 * MAX_TEXT["username"])
    password: str = Field(max_length=MAX_TEXT["password"])


class Token(BaseModel):
    token: str
    token_type: str = "bearer"


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=MAX_TEXT["username"])
    password: str = Field(min_length=12, max_length=MAX_TEXT["password"])
    role: Literal["viewer", "analyst", "admin"]


class UserOut(BaseModel):
    username: str
    role: str
    disabled: bool
    created_at: datetime | None


class Settings(BaseModel):
    anonymous_read: bool


class AuditEntry(BaseModel):
    audit_id: int
    who: str
    at: datetime
    action: str
    object: str | None
    detail: str | None


class Meta(BaseModel):
    languages: list[str]
    indicators: list[str]
    areas: list[Area]
    groups: list[Group]
    periods: list[int]
    runs: list[str]
