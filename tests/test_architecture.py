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
    r"CREATE\s+(TABLE|INDEX|VIEW|SEQUENCE)|DROP\s+(TABLE|INDEX|VIEW)|ALTER\s+TABLE|"
    r"WITH\s+\w+\s+AS\s*\(|BEGIN\s+TRANSACTION|COMMIT|ROLLBACK)\b"
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


# ---------------------------------------------------------------- layers

# Each top-level part of kelisim and its layer: a module imports only from lower layers and
# its own part (DESIGN.md: import -> store -> pure kernels -> front ends). Every command lives in
# the ``cli`` package, the top layer: nothing of kelisim imports it but ``python -m kelisim``.
LAYERS = {
    "errors": 0, "limits": 0, "config": 0,
    "core": 1,
    "store": 2,
    "measure": 3,
    "datasets": 4, "incidents": 4, "monitor": 4,
    "forecast": 5, "evaluate": 5,
    "views": 6,
    "report": 7, "web": 7,
    "main_job": 8, "__init__": 8,
    "cli": 9, "__main__": 9,
}  # fmt: skip
FRONT_END = 8
# Peers that may call each other one way only: the web serves the briefs; settings and limits
# raise the shared errors.
PEER_CALLS = {("web", "report"), ("config", "errors"), ("limits", "errors")}
KERNELS = ("core", "store", "measure", "datasets", "incidents", "monitor", "forecast",
           "evaluate")


def _part(name: str) -> str:
    return name.split("/")[0].removesuffix(".py")


def imported_parts(tree: ast.Module) -> set[str]:
    """The top-level parts of kelisim a module imports (also inside functions)."""
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "kelisim":
                parts.update(alias.name for alias in node.names)
            elif node.module.startswith("kelisim."):
                parts.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            parts.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("kelisim."))
    return parts


def test_every_part_has_a_layer():
    assert {_part(name) for name in MODULES} <= set(LAYERS)


def test_the_import_scan_finds_imports():
    tree = ast.parse("from kelisim import store\nimport kelisim.web.app\n"
                     "def f():\n    from kelisim.core.areas import COUNTRY\n")
    assert imported_parts(tree) == {"store", "web", "core"}


def test_layers_only_look_down():
    upward = []
    for name, tree in MODULES.items():
        part = _part(name)
        layer = LAYERS[part]
        for target in imported_parts(tree) - {part}:
            if LAYERS[target] > layer or (
                    LAYERS[target] == layer and (part, target) not in PEER_CALLS
                    and layer < FRONT_END):
                upward.append(f"{name} imports kelisim.{target}")
    assert not upward, f"imports from a lower layer to a higher one: {upward}"


def test_core_imports_nothing_of_kelisim_above_it():
    above = {f"{name}: {target}" for name, tree in MODULES.items() if _part(name) == "core"
             for target in imported_parts(tree) - {"core", "errors", "limits"}}
    assert not above


def test_no_cycle_between_web_and_report():
    report = {target for name, tree in MODULES.items() if _part(name) == "report"
              for target in imported_parts(tree)}
    assert "web" not in report
    assert "views" in report  # both read through the shared views


# ---------------------------------------------------------------- kernels and constants

FLAG = re.compile(r"(^|[\s(`'])--[a-z]")


def flags_in_errors(tree: ast.Module) -> list[int]:
    """Lines where a raised error names a command-line flag (``--index``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            lines += [inner.lineno for inner in ast.walk(node.exc)
                      if (text := _literal_text(inner)) is not None and FLAG.search(text)]
    return lines


def test_kernels_never_name_command_line_flags():
    """Kernels name their own arguments (ArgumentError('index', ...)); the CLI's error handler
    shows the flag (kelisim.cli.flag_message)."""
    assert flags_in_errors(ast.parse('raise ArgumentError("--index", "unknown")')) == [1]
    found = {name: lines for name, tree in MODULES.items()
             if _part(name) in KERNELS
             if (lines := flags_in_errors(tree))}
    assert not found


def test_shared_constants_are_defined_once():
    """COUNTRY and region_code live in core/areas.py, LANGUAGES in core/groups.py; the country's
    and regions' KATO codes and the tuple of languages are not spelled out anywhere else."""
    definitions: dict[str, list[str]] = {}
    spelled = []
    for name, tree in MODULES.items():
        for node in tree.body:
            targets = ([t.id for t in node.targets if isinstance(t, ast.Name)]
                       if isinstance(node, ast.Assign) else
                       [node.name] if isinstance(node, ast.FunctionDef) else [])
            for target in targets:
                if target in ("COUNTRY", "LANGUAGES", "region_code"):
                    definitions.setdefault(target, []).append(name)
        if name != "core/areas.py":
            spelled += [f"{name}:{node.lineno}" for node in ast.walk(tree)
                        if isinstance(node, ast.Constant) and node.value in ("000000000",
                                                                            "0000000")]
        if name != "core/groups.py":
            spelled += [f"{name}:{node.lineno}" for node in ast.walk(tree)
                        if isinstance(node, ast.Tuple) and [_literal_text(e) for e in node.elts]
                        == ["kk", "ru", "en"]]
    assert definitions == {"COUNTRY": ["core/areas.py"], "LANGUAGES": ["core/groups.py"],
                           "region_code": ["core/areas.py"]}
    assert not spelled


TESTS = Path(__file__).resolve().parent
# Test folders that are not a kelisim package: the user's path end to end, and data files.
NOT_PACKAGES = {"acceptance", "fixtures"}


def test_tests_mirror_src():
    """Tests live beside the package they test (tests/store for kelisim/store, ...); only the
    checks of the whole house and of the top-level modules sit in tests/ itself."""
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")}
    assert folders - NOT_PACKAGES <= packages | modules, folders - NOT_PACKAGES - packages - modules
    loose = {p.stem.removeprefix("test_") for p in TESTS.glob("test_*.py")}
    assert loose <= modules | {"architecture"}, loose - modules
