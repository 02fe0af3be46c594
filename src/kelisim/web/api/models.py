"""Typed request and response bodies of the JSON API (they make the OpenAPI schema).

Request bodies take their bounds from :mod:`kelisim.limits` (the input-limits policy)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kelisim.core.groups import LANGUAGES
from kelisim.limits import MAX_CASUALTIES, MAX_LIST, MAX_TEXT

Indicator = Literal["share", "diversity", "segregation", "tension"]
Language = Literal[LANGUAGES]
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


def _documented(**schema) -> Any:
    """A field whose rules :mod:`kelisim.incidents.model` checks, shown in the schema."""
    return Field(None, json_schema_extra=schema)


class IncidentIn(BaseModel):
    """An incident as entered by an analyst (form or API), checked field by field by the one
    incident validator the file importer also uses (:func:`kelisim.incidents.model.check_field`):
    coordinates finite and on the globe, counts plausible, groups known to the registry."""

    model_config = ConfigDict(allow_inf_nan=False)

    date_start: date
    date_end: date | None = None
    area_code: str | None = _documented(pattern=r"^\d{9}$")
    region_code: str | None = _documented(pattern=r"^\d{9}$")
    place: str | None = _documented(maxLength=MAX_TEXT["place"])
    lat: float | None = _documented(minimum=-90, maximum=90)
    lon: float | None = _documented(minimum=-180, maximum=180)
    geo_precision: str | None = _documented(maxLength=MAX_TEXT["geo_precision"])
    event_type: str | None = _documented(maxLength=MAX_TEXT["event_type"])
    interethnic: str | None = _documented(enum=["yes", "no", "disputed"])
    groups: list[str] = Field([], json_schema_extra={"maxItems": MAX_LIST["groups"]})
    fatalities: int | None = _documented(minimum=0, maximum=MAX_CASUALTIES)
    injured: int | None = _documented(minimum=0, maximum=MAX_CASUALTIES)
    summary: str | None = _documented(maxLength=MAX_TEXT["summary"])
    sources: list[str] = Field([], json_schema_extra={"maxItems": MAX_LIST["sources"]})
    confidence: str | None = _documented(enum=["high", "medium", "low"])

    @field_validator("*")
    @classmethod
    def _keeps_the_rules(cls, value, info: ValidationInfo):
        from kelisim.incidents.model import IncidentInvalid, check_field

        try:
            return check_field(info.field_name, value, info.data)
        except IncidentInvalid as error:
            raise PydanticCustomError("incident", "{message}",
                                      {"message": error.message}) from None

    @model_validator(mode="after")
    def _region_of_the_area(self) -> IncidentIn:
        from kelisim.core.areas import region_code

        if self.region_code is None and self.area_code is not None:
            self.region_code = region_code(self.area_code)
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
