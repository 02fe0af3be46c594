"""The brief: composition, indices, projections, incidents and alerts of one area and period."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from importlib import resources

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from kelisim.core.areas import name_history, period_date
from kelisim.core.groups import LANGUAGES
from kelisim.errors import KelisimError
from kelisim.store import workbooks
from kelisim.views import queries
from kelisim.views.formats import FILTERS
from kelisim.views.i18n import Terms, incident_text, translator

_env = Environment(
    loader=PackageLoader("kelisim.report", "templates"), autoescape=select_autoescape()
)
_env.filters.update(FILTERS)
BRIEF_ALERTS = 20  # the latest alerts of the area page's list


def brief_data(
    con: duckdb.DuckDBPyConnection, area: str, period: int | None, lang: str
) -> dict:
    """The brief's content as plain data (also served by ``/api/brief/{area}``); the area's
    name is the one in force at the period shown (Nur-Sultan for 2020, Astana for 2023)."""
    group_names = queries.group_names(con, lang)
    rows = queries.composition(con, area=area)
    periods = sorted({r["period"] for r in rows})
    if period is None and periods:
        period = periods[-1]
    names = queries.area_names(con, lang, on=period_date(period) if period else None)
    current = sorted(
        (r for r in rows if r["period"] == period), key=lambda r: -(r["share"] or 0)
    )
    runs = queries.projection_runs(con)
    projected = queries.projection_totals(con, area, runs[-1]) if runs else []
    horizon = max((r["period"] for r in projected), default=None)
    enclaves = queries.settlement_enclaves(con, area)  # the page's view, so the two agree
    return {
        "area": area,
        "name": names.get(area, area),
        "name_history": name_history(area, lang if lang in LANGUAGES else "en"),
        "period": period,
        "periods": periods,
        "composition": [
            {**r, "group_name": group_names.get(r["group"], r["group"])} for r in current
        ],
        "indices": queries.diversity(con, period, [area]) if period else [],
        "partial": ", ".join(group_names.get(g, g) for g in queries.partial_groups(
            queries.composition(con, area=area, period=period, totals=True), period)),
        "settlement_indices": [r for r in workbooks.settlement_indices(con, area, "2024")
                               .to_dict("records") if r["period"] == period],
        "settlement_coverage": [c for c in enclaves["coverage"] if c["period"] == period],
        "settlement_enclaves": [{**e, "group_name": group_names.get(e["group"], e["group"])}
                                for e in enclaves["enclaves"] if e["period"] == period],
        "projection_run": runs[-1] if runs else None,
        "projection_run_label": queries.run_labels(con, lang).get(runs[-1]) if runs else None,
        "projections": [r for r in projected if r["period"] == horizon],
        "incidents": queries.area_incidents(con, area),
        "activities": _activities(con, area, lang),
        "alerts": queries.area_alerts(con, area)[:BRIEF_ALERTS],
        "flagged": len(queries.flagged(con, area=area, limit=500)),
        "generated_at": datetime.now(UTC).replace(second=0, microsecond=0),
    }


def _activities(con: duckdb.DuckDBPyConnection, area: str, lang: str) -> list[dict]:
    """The area's activities (and those inside it), newest first, with type names."""
    from kelisim.store.activities import activity_types, list_activities

    types = activity_types(con)
    names = dict(zip(types["type_code"], types[f"name_{lang}"], strict=True))
    frame = list_activities(con, area=area, include_national=False).head(50)
    return [{"date_start": row.date_start.date().isoformat(),
             "type": names.get(row.type_code, row.type_code),
             "organiser": row.organiser if isinstance(row.organiser, str) else "",
             "source": row.source} for row in frame.itertuples(index=False)]


def brief_html(
    con: duckdb.DuckDBPyConnection,
    area: str,
    period: int | None,
    lang: str,
    standalone: bool = False,
) -> str:
    """The printable page; ``standalone`` embeds its stylesheet (for PDF and files)."""
    css = (resources.files("kelisim.report") / "brief.css").read_text(encoding="utf-8")
    return _env.get_template("brief.html").render(
        brief=brief_data(con, area, period, lang),
        t=translator(lang),
        told=incident_text(lang),
        terms=Terms(lang),
        lang=lang,
        css=css if standalone else None,
    )


def _chromium() -> str | None:
    return os.environ.get("KELISIM_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


def brief_pdf(html: str) -> bytes:
    """A4 PDF of a standalone brief, printed by the system Chromium through Playwright."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        raise KelisimError(
            "PDF briefs need the playwright package and a Chromium "
            "(apt-get install chromium, or set KELISIM_CHROMIUM); print the HTML brief instead"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            return page.pdf(format="A4", print_background=True,
                            margin={"top": "15mm", "bottom": "15mm",
                                    "left": "12mm", "right": "12mm"})
        finally:
            browser.close()
