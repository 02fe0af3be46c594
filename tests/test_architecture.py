"""The house as built, read from the code: SQL only in ``kelisim/store``, layers that only look
down (``core/`` imports nothing of kelisim above it; no cycle between ``web/`` and ``report/``),
kernels that never name CLI flags, and one definition of the shared constants (issue 10)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "kelisim"
SQL_CALLS = {"execute", "executemany", "sql"}
SQL_TEXT = re.compile(
    r"^\s*(SELECT|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|"
    r"CREATE\s+(TABLE|INDEX|VIEW|SEQUENCE)|DROP\s+(TABLE|INDEX|VIEW)|ALTER\s+TABLE|WITH\s+\w+\s+AS\s*\(|BEGIN\s+TRANSACTION"
    r"|COMMIT|ROLLBACK)\b"
)


def _modules() -> dict[str, ast.Module]:
    return {p.relative_to(SRC).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(SRC.rglob("*.py"))}


MODULES = _modules()


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def sql_sites(tree: ast.Module) -> list[int]:
    """Lines of a module that execute SQL or hold SQL text."""
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS):
            lines.append(node.lineno)
        text = _literal_text(node)
        if text is not None and SQL_TEXT.match(text):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scan_finds_sql():
    """The scan itself: a statement run on a cursor and SQL in a string are both found."""
    tree = ast.parse('cur.execute("SELECT 1")\nq = f"DELETE FROM {t} WHERE x = ?"\n')
    assert sql_sites(tree) == [1, 2]
    assert sql_sites(ast.parse('print("Select a file")\nframe.query("a > 1")\n')) == []


def test_no_sql_outside_the_store():
    offenders = {name: sql_sites(tree) for name, tree in MODULES.items()
                 if not name.startswith("store/")}
    offenders = {name: lines for name, lines in offenders.items() if lines}
    assert not offenders, f"SQL outside kelisim/store (move it into a store module): {offenders}"
