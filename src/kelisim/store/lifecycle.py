"""Deleting what was imported (issue 10, item 6): a population dataset, an incident batch, a
monitor source. Each deletion removes every row that belongs to the name and writes one
audit entry, inside the caller's transaction; an unknown name is one sentence with the
closest known names ("did you mean").
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING

from kelisim.errors import ArgumentError
from kelisim.store.accounts import add_audit

if TYPE_CHECKING:
    import duckdb

DATASET_TABLES = ("population", "dataset_areas", "dataset_placed", "settlement_indices")


def _unknown(argument: str, kind: str, name: str, known: list[str], listing: str) -> None:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = (f"did you mean {', '.join(repr(c) for c in close)}?" if close
            else f"`{listing}` lists them")
    raise ArgumentError(argument, f"no {kind} named '{name}'; {hint}")


def _audit(con: duckdb.DuckDBPyConnection, who: str, action: str, obj: str,
           detail: dict) -> None:
    add_audit(con, who, action, obj, json.dumps(detail, ensure_ascii=False))


def delete_dataset(con: duckdb.DuckDBPyConnection, name: str, who: str = "cli") -> int:
    """Delete an imported population dataset and everything derived from it; returns the
    number of population rows removed. Bundled datasets are refused (they come back)."""
    rows = con.execute("SELECT name, origin FROM datasets").fetchall()
    origins = dict(rows)
    if name not in origins:
        _unknown("NAME", "dataset", name, sorted(origins), "kelisim data list")
    if origins[name] == "bundled":
        raise ArgumentError("NAME", f"'{name}' is bundled with kelisim and is rebuilt at every "
                            "start; only imported datasets can be deleted")
    counted = con.execute("SELECT count(*) FROM population WHERE dataset = ?",
                          [name]).fetchone()[0]
    for table in DATASET_TABLES:
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", [name])
    con.execute("DELETE FROM datasets WHERE name = ?", [name])
    _audit(con, who, "dataset.delete", name, {"rows": counted, "origin": origins[name]})
    return counted


def record_incident_batch(con: duckdb.DuckDBPyConnection, batch: str, file: str,
                          incident_ids: list[str]) -> None:
    """Remember which import wrote these incidents (a later import of the same name
    replaces the batch's record; its incidents are upserted by id)."""
    con.execute("INSERT INTO incident_batches (batch, file, incidents) VALUES (?, ?, ?) "
                "ON CONFLICT (batch) DO UPDATE SET file = excluded.file, "
                "incidents = excluded.incidents, imported_at = now()",
                [batch, file, len(incident_ids)])
    con.execute("UPDATE incidents SET batch = ? WHERE incident_id IN "
                "(SELECT unnest(CAST(? AS VARCHAR[])))", [batch, incident_ids])


def incident_batches(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(batch, file, incidents still in the store) of every imported batch, newest first."""
    return con.execute(
        "SELECT b.batch, b.file, count(i.incident_id) FROM incident_batches b "
        "LEFT JOIN incidents i ON i.batch = b.batch GROUP BY b.batch, b.file, b.imported_at "
        "ORDER BY b.imported_at DESC, b.batch").fetchall()


def delete_incident_batch(con: duckdb.DuckDBPyConnection, batch: str, who: str = "cli") -> int:
    """Delete the incidents an import wrote; returns how many."""
    known = [row[0] for row in con.execute("SELECT batch FROM incident_batches").fetchall()]
    if batch not in known:
        _unknown("BATCH", "incident batch", batch, sorted(known), "kelisim incidents batches")
    counted = con.execute("SELECT count(*) FROM incidents WHERE batch = ?", [batch]).fetchone()[0]
    con.execute("DELETE FROM incidents WHERE batch = ?", [batch])
    con.execute("DELETE FROM incident_batches WHERE batch = ?", [batch])
    _audit(con, who, "incidents.delete_batch", batch, {"incidents": counted})
    return counted


def delete_monitor_source(con: duckdb.DuckDBPyConnection, source: str, who: str = "cli"
                          ) -> tuple[int, list]:
    """Delete a monitor source's documents with their classifications and reviews; returns
    (documents removed, the days they were published on) so the caller can recompute those
    days' alerts in the same transaction."""
    known = [row[0] for row in con.execute("SELECT DISTINCT source FROM documents").fetchall()]
    if source not in known:
        _unknown("SOURCE", "monitor source", source, sorted(known), "kelisim monitor sources")
    days = [row[0] for row in con.execute(
        "SELECT DISTINCT CAST(published_at AS DATE) FROM documents WHERE source = ? AND "
        "published_at IS NOT NULL ORDER BY 1", [source]).fetchall()]
    counted = con.execute("SELECT count(*) FROM documents WHERE source = ?",
                          [source]).fetchone()[0]
    for table in ("classifications", "reviews"):
        con.execute(f"DELETE FROM {table} WHERE doc_id IN "
                    "(SELECT doc_id FROM documents WHERE source = ?)", [source])
    con.execute("DELETE FROM documents WHERE source = ?", [source])
    _audit(con, who, "monitor.delete_source", source, {"documents": counted,
                                                       "days": len(days)})
    return counted, days


def monitor_sources(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """(source, documents) of every source in the store, the largest first."""
    return con.execute("SELECT source, count(*) FROM documents GROUP BY source "
                       "ORDER BY 2 DESC, 1").fetchall()
