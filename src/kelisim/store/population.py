"""The store's population tables (migrations 001-003): reference tables (sources, groups,
group_aliases, areas, area_crosswalk), datasets and their population rows, and the bundle
checksum. Writes happen inside the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kelisim.store.frames import insert_frame, replace_by_key
from kelisim.store.postgres import on_postgres

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _language(lang: str) -> str:
    """``lang`` when it is one of the interface languages, else English."""
    from kelisim.core.groups import LANGUAGES  # with pandas: imported when a store is read

    return lang if lang in LANGUAGES else "en"


def _name(lang: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    lang = _language(lang)
    return f"coalesce({prefix}name_{lang}, {prefix}name_en)"


# ---------------------------------------------------------------- the bundle


def bundle_checksum(con: duckdb.DuckDBPyConnection) -> str | None:
    """The checksum of the bundled files the store was built from (None before)."""
    row = con.execute("SELECT checksum FROM bundle_state WHERE name = 'bundled'").fetchone()
    return row[0] if row else None


def set_bundle_checksum(con: duckdb.DuckDBPyConnection, checksum: str) -> None:
    con.execute("DELETE FROM bundle_state WHERE name = 'bundled'")
    con.execute("INSERT INTO bundle_state VALUES ('bundled', ?)", [checksum])


def replace_reference_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]
                             ) -> None:
    """Replace the bundled sources and the whole groups, aliases, areas and crosswalk tables."""
    replace_by_key(con, "sources", frames["sources"], "source_id")
    con.execute("DELETE FROM groups")
    con.execute("DELETE FROM group_aliases")
    con.execute("DELETE FROM areas")
    con.execute("DELETE FROM area_crosswalk")
    insert_frame(con, "groups", frames["groups"].drop(columns=["source_id"]))
    insert_frame(con, "group_aliases", frames["group_aliases"].drop(columns=["source_id"]))
    insert_frame(con, "areas", frames["areas"])
    insert_frame(con, "area_crosswalk", frames["area_crosswalk"])


# ---------------------------------------------------------------- datasets


def dataset_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchone() is not None


def dataset_boundary_version(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str | None] | None:
    """(boundary_version,) of dataset ``name``, None when there is no such dataset."""
    return con.execute("SELECT boundary_version FROM datasets WHERE name = ?", [name]).fetchone()


def dataset_names(con: duckdb.DuckDBPyConnection, only: str | None = None) -> list[str]:
    """Names of every dataset (``only`` alone when given and stored), by name."""
    return [r[0] for r in con.execute(
        "SELECT name FROM datasets WHERE CAST(? AS VARCHAR) IS NULL OR name = ? ORDER BY name",
        [only, only]).fetchall()]


def delete_dataset_rows(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remove dataset ``name`` and its population rows."""
    con.execute("DELETE FROM population WHERE dataset = ?", [name])
    con.execute("DELETE FROM datasets WHERE name = ?", [name])


def add_dataset(con: duckdb.DuckDBPyConnection, name: str, description: str,
                boundary_version: str | None, origin: str) -> None:
    con.execute(
        "INSERT INTO datasets (name, description, boundary_version, origin) "
        "VALUES (?, ?, ?, ?)",
        [name, description, boundary_version, origin],
    )


def replace_source(con: duckdb.DuckDBPyConnection, source_id: str, title: str) -> None:
    """Store the source ``source_id`` (title only) in place of any earlier one."""
    con.execute("DELETE FROM sources WHERE source_id = ?", [source_id])
    con.execute("INSERT INTO sources VALUES (?, ?, NULL, NULL)", [source_id, title])


def insert_population(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Append rows (columns of the population table) to the population table."""
    insert_frame(con, "population", rows)


def list_datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every population dataset: name, description, boundary_version, origin, rows, periods."""
    return con.execute(
        """
        SELECT d.name, d.description, d.boundary_version, d.origin, count(p.period) AS rows,
               CAST(min(p.period) AS VARCHAR) || '-' || CAST(max(p.period) AS VARCHAR) AS periods
        FROM datasets d LEFT JOIN population p ON p.dataset = d.name
        GROUP BY d.name, d.description, d.boundary_version, d.origin
        ORDER BY d.origin <> 'bundled', d.name
        """
    ).df()


def dataset_rows(con: duckdb.DuckDBPyConnection, name: str, default_version: str | None
                 ) -> pd.DataFrame:
    """A dataset's rows: area, group, period, count, share, basis, source_id, boundary_version
    (``default_version`` where a row has none), reference_date, note."""
    return con.execute(
        """
        SELECT area_code AS area, group_code AS "group", period, count, share, basis, source_id,
               coalesce(p.boundary_version, ?) AS boundary_version, reference_date, note
        FROM population p WHERE dataset = ? ORDER BY period, area_code, group_code
        """,
        [default_version, name],
    ).df()


def cells_in_version(con: duckdb.DuckDBPyConnection, name: str, version: str
                     ) -> pd.DataFrame | None:
    """Dataset ``name``'s cells (area, group, period, count, share) read straight from the
    table when every row already lies in the borders of ``version`` (converting them would
    leave them as they are: one row per area, group and period); None otherwise."""
    elsewhere = con.execute(
        "SELECT count(*) FROM population p JOIN datasets d ON d.name = p.dataset "
        "WHERE p.dataset = ? AND coalesce(p.boundary_version, d.boundary_version) "
        "IS DISTINCT FROM ?", [name, version]).fetchone()[0]
    if elsewhere:
        return None
    return con.execute('SELECT area_code AS area, group_code AS "group", period, count, share '
                       "FROM population WHERE dataset = ?", [name]).df()


def population_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """A key that changes whenever the population rows or the datasets change (for caches):
    the rows' count, the XOR of their hashes and the datasets' names and borders."""
    columns = "dataset, area_code, group_code, period, count, share, boundary_version"
    row_hash = (f"hashtextextended(concat_ws('|', {columns}), 0)" if on_postgres(con)
                else f"hash({columns})")  # each backend's own row hash
    return con.execute(
        f"SELECT count(*), bit_xor({row_hash}), (SELECT string_agg(name || ':' || "
        "coalesce(boundary_version, ''), ',' ORDER BY name) FROM datasets) FROM population"
    ).fetchone()


def ethnic_datasets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the datasets with ethnic figures (a group other than 'total')."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT dataset FROM population WHERE group_code <> 'total' "
        "ORDER BY dataset").fetchall()]


def ethnic_dataset_periods(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """dataset -> (first, last period) of its ethnic figures, for labels that say what a
    dataset covers."""
    return {name: (first, last) for name, first, last in con.execute(
        "SELECT dataset, min(period), max(period) FROM population WHERE group_code <> 'total' "
        "GROUP BY dataset ORDER BY dataset").fetchall()}


# ---------------------------------------------------------------- areas and groups


def latest_areas(con: duckdb.DuckDBPyConnection, lang: str, level: str | None = None
                 ) -> list[dict]:
    """Areas in their latest boundary version: area_code, boundary_version, level,
    parent_code, name (in ``lang``, else English)."""
    where = "WHERE level = ?" if level else ""
    return _rows(
        con,
        f"SELECT area_code, boundary_version, level, parent_code, {_name(lang)} AS name FROM ("
        "  SELECT DISTINCT ON (area_code) * FROM areas "
        "  ORDER BY area_code, boundary_version DESC) AS latest "
        f"{where}",
        [level] if level else [],
    )


def area_exists(con: duckdb.DuckDBPyConnection, area_code: str) -> bool:
    found = con.execute("SELECT 1 FROM areas WHERE area_code = ?", [area_code]).fetchone()
    return found is not None


def area_in_version(con: duckdb.DuckDBPyConnection, area_code: str, version: str) -> bool:
    return con.execute(
        "SELECT count(*) > 0 FROM areas WHERE area_code = ? AND boundary_version = ?",
        [area_code, version]).fetchone()[0]


def region_codes(con: duckdb.DuckDBPyConnection, boundaries: str = "2024") -> list[str]:
    """KATO codes of the regions in the borders of ``boundaries``."""
    return [r[0] for r in con.execute(
        "SELECT area_code FROM areas WHERE level = 'region' AND boundary_version = ? "
        "ORDER BY area_code", [boundaries]).fetchall()]


def child_codes(con: duckdb.DuckDBPyConnection, parent: str, version: str) -> list[str]:
    """Codes of the areas directly under ``parent`` in the borders of ``version``."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT area_code FROM areas WHERE parent_code = ? AND boundary_version = ?",
            [parent, version],
        ).fetchall()
    ]


def groups(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict]:
    """Groups (not 'total'): group_code, kind, name, ordered by name."""
    return _rows(
        con,
        f"SELECT group_code, kind, {_name(lang)} AS name FROM groups "
        "WHERE group_code <> 'total' ORDER BY kind, name",
    )


def group_name_rows(con: duckdb.DuckDBPyConnection, lang: str
                    ) -> list[tuple[str, str | None, str | None]]:
    """(group_code, name in ``lang``, English name) of every group but 'total'."""
    lang = _language(lang)
    return con.execute(
        f"SELECT group_code, name_{lang}, name_en FROM groups WHERE group_code <> 'total'"
    ).fetchall()
