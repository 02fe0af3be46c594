"""The incident register: read our own CSV, ACLED exports and UCDP GED files (with or without
header), validate them, and write them to the ``incidents`` table in one transaction.

Public API: :func:`read_incidents`, :func:`import_incidents`, :func:`write_incidents`,
:func:`list_incidents`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kelisim.errors import ArgumentError, InputError
from kelisim.store.incidents import INCIDENT_COLUMNS

if TYPE_CHECKING:  # imported where used, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd

# Column order of UCDP GED CSV files (GED codebook, versions 20.1-25.1); used for files
# without a header row.
UCDP_GED_COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
    "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
    "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
    "source_original", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
    "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)
UCDP_VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
ACLED_REQUIRED = ("event_date", "event_type", "latitude", "longitude", "fatalities")
KELISIM_REQUIRED = ("incident_id", "date_start")
REQUIRED = {"kelisim": KELISIM_REQUIRED, "acled": ACLED_REQUIRED,
            "ucdp": ("id", "date_start", "type_of_violence", "latitude", "longitude", "best")}
FORMATS = ("auto", "kelisim", "acled", "ucdp")
# The file's own column for an incident field, where it differs.
SOURCE_COLUMNS = {
    "acled": {"lat": "latitude", "lon": "longitude", "summary": "notes", "place": "location"},
    "ucdp": {"lat": "latitude", "lon": "longitude", "fatalities": "best",
             "place": "where_description", "summary": "dyad_name", "sources": "source_article"},
}


def _read_text(path: Path, content: bytes | None = None) -> str:
    if content is None and not path.is_file():
        raise ArgumentError("file", f"no such file '{path}'")
    raw = path.read_bytes() if content is None else content
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw[: error.start].count(b"\n") + 1
        raise InputError(path, row, None, "the file is not UTF-8 text; save it as UTF-8") from None


def detect_format(header: list[str]) -> str:
    """kelisim, acled or ucdp from a header row; 'ucdp' also for a headerless GED row."""
    names = {h.strip().lower() for h in header}
    if {"incident_id", "date_start"} <= names:
        return "kelisim"
    if {"event_date", "event_type"} <= names:
        return "acled"
    if {"type_of_violence", "date_start"} <= names:
        return "ucdp"
    if len(header) == len(UCDP_GED_COLUMNS) and header[0].strip().isdigit():
        return "ucdp"
    return "unknown"


def read_incidents(
    path: str | Path, format: str = "auto", content: bytes | None = None
) -> pd.DataFrame:
    """Read and validate an incident file into rows of the ``incidents`` table.

    ``content`` gives the file's bytes when it is not on disk (an upload); ``path`` then only
    names the file in error messages.
    """
    from io import StringIO

    import numpy as np
    import pandas as pd

    path = Path(path)
    if format not in FORMATS:
        raise ArgumentError("format", f"unknown incident format '{format}'; use one of "
                            f"{', '.join(FORMATS)}")
    text = _read_text(path, content)
    if not text.strip():
        raise InputError(path, 1, None, "the file is empty; expected a header row and incidents")
    first = pd.read_csv(StringIO(text), dtype=str, nrows=0, header=None).columns
    probe = pd.read_csv(StringIO(text), dtype=str, nrows=1, header=None, keep_default_na=False)
    header = list(probe.iloc[0]) if len(probe) else list(first)
    kind = detect_format(header) if format == "auto" else format
    if kind == "unknown":  # the format whose columns it has most of names what is missing
        names = {str(h).strip().lower() for h in header}
        closest = max(REQUIRED, key=lambda k: (len(names & set(REQUIRED[k])),
                                               -len(set(REQUIRED[k]) - names)))
        kind = closest if names & set(REQUIRED[closest]) else kind
    has_header = not (kind == "ucdp" and header and str(header[0]).strip().isdigit())
    if kind == "unknown":
        raise InputError(path, 1, None, "unrecognised incident file; expected our CSV "
                         "(incident_id, date_start, ...), an ACLED export or a UCDP GED file")
    try:
        frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False,
                            header=0 if has_header else None)
    except pd.errors.ParserError as error:
        raise InputError(path, None, None, f"not a well-formed CSV table ({error})") from None
    first_row = 2 if has_header else 1
    if not has_header:
        if frame.shape[1] != len(UCDP_GED_COLUMNS):
            raise InputError(path, 1, None, f"a UCDP GED file without header needs "
                             f"{len(UCDP_GED_COLUMNS)} columns, found {frame.shape[1]}")
        frame.columns = list(UCDP_GED_COLUMNS)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame["row"] = np.arange(len(frame)) + first_row
    for column in REQUIRED[kind]:
        if column not in frame:
            raise InputError(path, 1, column, f"missing column '{column}' for a {kind} file")
    convert = {"kelisim": _from_kelisim, "acled": _from_acled, "ucdp": _from_ucdp}[kind]
    columns = SOURCE_COLUMNS.get(kind, {})
    rows = [_checked(convert(record, path), path, columns) for record in frame.to_dict("records")]
    out = pd.DataFrame(rows, columns=[*INCIDENT_COLUMNS, "row"])
    duplicated = out.duplicated("incident_id")
    if duplicated.any():
        bad = out[duplicated].iloc[0]
        raise InputError(path, int(bad["row"]), "id",
                         f"incident {bad['incident_id']} appears twice")
    return out


def _checked(row: dict, path, columns: dict[str, str]) -> dict:
    """The row checked by the one incident validator (:mod:`kelisim.incidents.model`); a broken
    rule names the file's row and its own column."""
    from kelisim.incidents.model import IncidentInvalid, check_incident

    number = row.pop("row")
    try:
        checked = check_incident(row)
    except IncidentInvalid as error:
        raise InputError(path, number, columns.get(error.field, error.field),
                         error.message) from None
    return {**checked, "row": number}


def _date(value: str, path, row, column, required=True):
    text = str(value or "").strip()
    if not text:
        if required:
            raise InputError(path, row, column, "missing date")
        return None
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text) else text
    import pandas as pd

    try:
        return pd.to_datetime(text, format="mixed", dayfirst=False).date()
    except (ValueError, TypeError):
        raise InputError(path, row, column, f"'{value}' is not a date") from None


def _number(value, path, row, column, integer=False):
    text = str(value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(path, row, column, f"'{value}' is not a number") from None
    if not math.isfinite(number):
        raise InputError(path, row, column, f"'{value}' is not a finite number")
    if integer and number != int(number):
        raise InputError(path, row, column, f"'{value}' is not a whole number")
    return int(number) if integer else number


def _area(*names: str) -> str | None:
    """The most precise KATO code among names or codes (district first, then region)."""
    from kelisim.core.areas import resolve_area

    for name in names:
        text = str(name or "").strip()
        if not text:
            continue
        code = resolve_area(text, "2024") or resolve_area(
            re.sub(r"\s+(district|rayon|raion|province|oblast|region)$", "", text, flags=re.I),
            "2024")
        if code:
            return code
    return None


def _groups(*texts: str) -> list[str]:
    """Group codes named in actor fields (e.g. 'Kazakh Ethnic Group (Kazakhstan)')."""
    from kelisim.core.groups import default_registry

    registry = default_registry()
    found: list[str] = []
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", str(text or "")):
            code = registry.resolve(word)
            if code and registry.kind(code) == "group" and code not in found:
                found.append(code)
    return found


def _from_kelisim(r: dict, path) -> dict:
    row = r["row"]
    start = _date(r.get("date_start"), path, row, "date_start")
    end = _date(r.get("date_end"), path, row, "date_end", required=False)
    return {
        "incident_id": str(r["incident_id"]).strip(), "date_start": start, "date_end": end,
        "area_code": str(r.get("area_code") or "").strip() or None,
        "region_code": str(r.get("region_code") or "").strip() or None,
        "place": r.get("place") or None,
        "lat": _number(r.get("lat"), path, row, "lat"),
        "lon": _number(r.get("lon"), path, row, "lon"),
        "geo_precision": r.get("geo_precision") or None, "event_type": r.get("event_type") or None,
        "interethnic": str(r.get("interethnic") or "").strip() or None,
        "groups": [g.strip() for g in str(r.get("groups") or "").split(";") if g.strip()],
        "fatalities": _number(r.get("fatalities"), path, row, "fatalities", True),
        "injured": _number(r.get("injured"), path, row, "injured", True),
        "summary": r.get("summary") or None,
        "sources": [s.strip() for s in str(r.get("sources") or "").split(";") if s.strip()],
        "confidence": r.get("confidence") or None, "origin": "csv", "note": r.get("note") or None,
        "row": row,
    }


def _from_acled(r: dict, path) -> dict:
    row = r["row"]
    day = _date(r.get("event_date"), path, row, "event_date")
    ident = r.get("event_id_cnty") or r.get("data_id") or f"{day}-{row}"
    area = _area(r.get("admin2"), r.get("admin1"))
    event_type = " / ".join(x for x in (r.get("event_type"), r.get("sub_event_type")) if x)
    actors = [r.get(k) for k in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")]
    return {
        "incident_id": f"acled:{ident}", "date_start": day, "date_end": day, "area_code": area,
        "region_code": None,
        "place": r.get("location") or None,
        "lat": _number(r.get("latitude"), path, row, "latitude"),
        "lon": _number(r.get("longitude"), path, row, "longitude"),
        "geo_precision": f"acled {r['geo_precision']}" if r.get("geo_precision") else None,
        "event_type": event_type or None, "interethnic": None, "groups": _groups(*actors),
        "fatalities": _number(r.get("fatalities"), path, row, "fatalities", True),
        "injured": None, "summary": r.get("notes") or None,
        "sources": [s.strip() for s in str(r.get("source") or "").split(";") if s.strip()],
        "confidence": None, "origin": "acled",
        "note": "; ".join(f"{k}: {r[k]}" for k in ("actor1", "actor2") if r.get(k)) or None,
        "row": row,
    }


def _from_ucdp(r: dict, path) -> dict:
    row = r["row"]
    start = _date(r.get("date_start"), path, row, "date_start")
    end = _date(r.get("date_end"), path, row, "date_end", required=False)
    violence = str(r.get("type_of_violence") or "").strip()
    if violence not in UCDP_VIOLENCE:
        raise InputError(path, row, "type_of_violence", f"'{violence}' is not 1, 2 or 3")
    area = _area(r.get("adm_2"), r.get("adm_1"))
    best = _number(r.get("best"), path, row, "best", True)
    return {
        "incident_id": f"ucdp:{str(r['id']).strip()}", "date_start": start, "date_end": end,
        "area_code": area, "region_code": None,
        "place": r.get("where_description") or r.get("adm_2") or r.get("adm_1") or None,
        "lat": _number(r.get("latitude"), path, row, "latitude"),
        "lon": _number(r.get("longitude"), path, row, "longitude"),
        "geo_precision": f"ucdp where_prec {r['where_prec']}" if r.get("where_prec") else None,
        "event_type": f"{UCDP_VIOLENCE[violence]}: {r.get('conflict_name') or ''}".strip(": "),
        "interethnic": None, "groups": _groups(r.get("side_a"), r.get("side_b")),
        "fatalities": best, "injured": None, "summary": r.get("dyad_name") or None,
        "sources": [s for s in [r.get("source_article")] if s], "confidence": None,
        "origin": "ucdp",
        "note": f"deaths low {r.get('low')}, high {r.get('high')}" if r.get("low") else None,
        "row": row,
    }


def import_incidents(con: duckdb.DuckDBPyConnection, path: str | Path,
                     format: str = "auto", rows: pd.DataFrame | None = None) -> int:
    """Validate ``path`` completely, then upsert its incidents in one transaction, as the
    batch named after the file (``kelisim incidents delete`` removes it whole)."""
    from kelisim import store
    from kelisim.store.lifecycle import record_incident_batch

    frame = read_incidents(path, format) if rows is None else rows
    with store.transaction(con):
        write_incidents(con, frame)
        record_incident_batch(con, Path(path).stem, str(path), frame["incident_id"].tolist())
    return len(frame)


def write_incidents(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Upsert validated rows of :func:`read_incidents` (by incident_id); the caller holds the
    transaction, so other writes (an audit entry) can commit together with them."""
    from kelisim.store import incidents as incidents_store

    frame = rows.drop(columns=["row"])
    incidents_store.upsert(con, frame.astype({"fatalities": "Int64", "injured": "Int64"}))


def list_incidents(con: duckdb.DuckDBPyConnection, region: str | None = None,
                   since: str | None = None, interethnic: str | None = None) -> pd.DataFrame:
    """Incidents, newest first, optionally of one region (KATO), since a date, or by whether
    they were interethnic (yes, no, disputed)."""
    from kelisim.store import incidents as incidents_store

    return incidents_store.incident_frame(con, region, since, interethnic)
