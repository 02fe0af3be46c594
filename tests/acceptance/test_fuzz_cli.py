"""Bad input at every entry point of the CLI: each command and each importer gets a table of
broken files and arguments (empty file, header only, wrong encoding, ragged rows, unknown
option, missing argument, wrong types, huge numbers, NaN/inf, binary garbage).

For every case: a non-zero exit; on stderr exactly one line naming the file or the argument
(a usage error: click's usage line and one error line); no traceback; and the store exactly as
before (a digest of every table compared after each command). All files are CONSTRUCTED here.
"""

from __future__ import annotations

import json
import random

import pytest

from conftest import BACKENDS, new_store

from .conftest import kelisim_batch

POPULATION_HEADER = "area,group,period,count\n"
COUNTS_HEADER = "area,group,count\n"
TEXT_HEADER = "text,label\n"
GARBAGE = bytes(random.Random(9).randrange(256) for _ in range(600))


def bad_files(header: str, good_row: str, bad_value_row) -> dict[str, bytes]:
    """The broken variants of one importer's file; ``bad_value_row(value)`` is a row with
    ``value`` in its numeric column."""
    return {
        "empty": b"",
        "header_only": header.encode(),
        "utf16": (header + good_row).encode("utf-16"),
        "cp1251": (header + good_row + "Ж" + bad_value_row("1")).encode("cp1251"),
        "ragged": (header + good_row + good_row.rstrip("\n") + ",1,2,3\n").encode(),
        "wrong_type": (header + good_row + bad_value_row("many")).encode(),
        "huge": (header + good_row + bad_value_row("1" + "0" * 400)).encode(),
        "nan": (header + good_row + bad_value_row("nan")).encode(),
        "inf": (header + good_row + bad_value_row("inf")).encode(),
        "garbage": GARBAGE,
    }


IMPORTERS = {
    # name: (argv with {file} for the bad file, suffix, header, good row, bad row)
    "data_import": (["data", "import", "{file}", "--name", "fuzz"], ".csv", POPULATION_HEADER,
                    "310000000,kazakh,2021,100\n",
                    lambda v: f"310000000,russian,2021,{v}\n"),
    "measure": (["measure", "{file}"], ".csv", COUNTS_HEADER, "a1,x,10\n",
                lambda v: f"a2,x,{v}\n"),
    "enclaves": (["enclaves", "{file}", "--geometry", "good.geojson"], ".csv", COUNTS_HEADER,
                 "a1,x,10\n", lambda v: f"a2,x,{v}\n"),
    "forecast_trend": (["forecast", "trend", "{file}", "--horizon", "2030"], ".csv",
                       POPULATION_HEADER, "310000000,kazakh,2009,100\n",
                       lambda v: f"310000000,kazakh,2021,{v}\n"),
    "monitor_train": (["monitor", "train", "{file}", "--text-column", "text", "--label-column",
                       "label", "--out", "model"], ".csv", TEXT_HEADER, "calm words,x\n",
                      lambda v: f"more words,{v}\n"),
}
# Cases whose bad value is a label or a text, not a number: not an error for that importer.
NOT_AN_ERROR = {("monitor_train", "ragged")}
TEXT_COMMANDS = {
    # reading a text file: only the file-level breakages apply (any text is a valid text)
    "monitor_classify": ["monitor", "classify", "{file}"],
    "incidents_import": ["incidents", "import", "{file}"],
}
TEXT_CASES = ("empty", "header_only", "utf16", "garbage")
GEOMETRY_CASES = ("empty", "garbage")

# Commands that can write to the store: the store is compared right after each of them (and
# after the last command, which covers every read-only one).
WRITERS = {"import", "users", "ingest", "train", "--store"}
USAGE_ERRORS = [
    ["bogus"],
    ["data", "bogus"],
    ["data", "show"],
    ["data", "list", "--bogus"],
    ["data", "import"],
    ["data", "export", "census_national"],
    ["incidents", "import"],
    ["incidents", "list", "--bogus"],
    ["measure"],
    ["measure", "x.csv", "--bootstrap", "many"],
    ["measure", "x.csv", "--seed", "1.5"],
    ["measure", "x.csv", "--decay-scale", "far"],
    ["enclaves", "x.csv"],
    ["forecast", "run", "--draws", "lots"],
    ["forecast", "compare", "--period", "next"],
    ["forecast", "trend"],
    ["forecast", "bogus"],
    ["monitor", "classify"],
    ["monitor", "ingest"],
    ["monitor", "train", "x.csv"],
    ["monitor", "evaluate", "x.csv", "--text-column", "t"],
    ["monitor", "alerts", "--bogus"],
    ["users", "add"],
    ["users", "disable"],
    ["brief", "310000000"],
    ["brief", "310000000", "-o", "b.html", "--period", "soon"],
    ["serve", "--port", "99999"],
    ["run", "--port", "http"],
]
ARGUMENT_ERRORS = [
    # (argv, what the error line names)
    (["data", "show", "census_nationl"], "census_nationl"),
    (["data", "show", "census_national", "--period", "last"], "--period"),
    (["data", "show", "census_national", "--boundaries", "1990"], "1990"),
    (["data", "show", "census_national", "--area", "Atlantis"], "Atlantis"),
    (["data", "show", "census_national", "--group", "martians"], "martians"),
    (["data", "list", "--format", "xml"], "--format"),
    (["data", "export", "census_national", "out.txt"], "out.txt"),
    (["data", "import", "missing.csv"], "missing.csv"),
    (["data", "import", "good_population.csv", "--boundaries", "1990"], "boundaries"),
    (["data", "import", "good_population.csv", "--name", "census_national"], "census_national"),
    (["incidents", "list", "--region", "Atlantis"], "Atlantis"),
    (["incidents", "import", "missing.csv"], "missing.csv"),
    (["measure", "missing.csv"], "missing.csv"),
    (["measure", "good_counts.csv", "--bootstrap", "1"], "--bootstrap"),
    (["measure", "good_counts.csv", "--index", "nonsense"], "nonsense"),
    (["measure", "good_counts.csv", "--format", "xml"], "--format"),
    (["measure", "good_counts.csv", "--geometry", "good.geojson"], "--weights"),
    (["measure", "good_counts.csv", "--geometry", "good.geojson", "--weights", "hexagon"],
     "hexagon"),
    (["measure", "good_counts.csv", "--geometry", "good.geojson", "--weights", "queen",
      "--project", "EPSG:not-a-crs"], "EPSG:not-a-crs"),
    (["measure", "good_counts.csv", "--geometry", "missing.geojson", "--weights", "queen"],
     "missing.geojson"),
    (["enclaves", "good_counts.csv", "--geometry", "good.geojson", "--format", "xml"],
     "--format"),
    (["forecast", "run"], "spec"),
    (["forecast", "run", "missing.toml"], "missing.toml"),
    (["forecast", "run", "--bundled", "atlantis"], "atlantis"),
    (["monitor", "classify", "missing.csv"], "missing.csv"),
    (["monitor", "classify", "good_text.csv", "--text-column", "body"], "body"),
    (["monitor", "classify", "good_text.csv", "--format", "xml"], "--format"),
    (["monitor", "train", "good_text.csv", "--text-column", "text", "--label-column", "y",
      "--out", "model"], "--label-column"),
    (["monitor", "evaluate", "good_text.csv", "--text-column", "text", "--label-column",
      "label", "--model", "missing_model"], "missing_model"),
    (["monitor", "alerts", "--since", "yesterday"], "--since"),
    (["monitor", "alerts", "--area", "12"], "--area"),
    (["monitor", "ingest", "missing.rss"], "missing.rss"),
    (["brief", "999999999", "-o", "b.html"], "999999999"),
    (["brief", "310000000", "-o", "b.doc"], "--output"),
    (["brief", "310000000", "-o", "b.html", "--lang", "fr"], "--lang"),
    (["users", "add", "bad name!", "--password-stdin", {"stdin": "long-secret\n"}],
     "username"),
    (["users", "add", "ann", "--password-stdin", {"stdin": "short\n"}], "password"),
    (["users", "disable", "nobody"], "nobody"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_run(request, tmp_path_factory):
    """Every bad case in one batch on one fresh store of each backend, with a digest of the
    store after each."""
    import geopandas
    import shapely

    folder = tmp_path_factory.mktemp("fuzz")
    env = _env(folder, new_store(request.param, request, folder / "store"))
    geopandas.GeoDataFrame(
        {"area": ["a1", "a2"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:32642").to_file(folder / "good.geojson")
    (folder / "good_counts.csv").write_text(COUNTS_HEADER + "a1,x,10\na1,y,5\na2,x,3\na2,y,9\n")
    (folder / "good_population.csv").write_text(POPULATION_HEADER
                                                 + "310000000,kazakh,2021,100\n")
    (folder / "good_text.csv").write_text(TEXT_HEADER + "calm words,0\nmore words,1\n")
    cases: list[tuple[str, list, str, bool]] = []  # (case id, argv, needle, usage error)
    for importer, (argv, suffix, header, good, bad) in IMPORTERS.items():
        for kind, content in bad_files(header, good, bad).items():
            if (importer, kind) in NOT_AN_ERROR:
                continue
            name = f"{importer}_{kind}{suffix}"
            (folder / name).write_bytes(content)
            cases.append((f"{importer}:{kind}", [a.replace("{file}", name) for a in argv],
                          name, False))
    for command, argv in TEXT_COMMANDS.items():
        header = "incident_id,date_start\n" if command == "incidents_import" else "text\n"
        for kind in TEXT_CASES:
            content = bad_files(header, "x,2020-01-01\n", lambda v: v)[kind]
            name = f"{command}_{kind}.csv"
            (folder / name).write_bytes(content)
            cases.append((f"{command}:{kind}", [a.replace("{file}", name) for a in argv],
                          name, False))
    for kind in GEOMETRY_CASES:
        name = f"geometry_{kind}.geojson"
        (folder / name).write_bytes(bad_files("", "", lambda v: v)[kind])
        cases.append((f"geometry:{kind}", ["measure", "good_counts.csv", "--geometry", name,
                                            "--weights", "queen"], name, False))
    for kind, suffix in (("excel", ".xlsx"), ("parquet", ".parquet")):
        name = f"garbage{suffix}"
        (folder / name).write_bytes(GARBAGE)
        cases.append((f"data_import:{kind}", ["data", "import", name], name, False))
    for argv in USAGE_ERRORS:
        cases.append((" ".join(argv), argv, "", True))
    for argv, needle in ARGUMENT_ERRORS:
        cases.append((" ".join(a for a in argv if isinstance(a, str)), argv, needle, False))
    commands: list = [("data", "list"), ("__snapshot__",)]
    positions = []
    for _, argv, _, _ in cases:
        commands.append(tuple(argv))
        positions.append(len(commands) - 1)
        if WRITERS & set(a for a in argv if isinstance(a, str)):
            commands.append(("__snapshot__",))  # attribute a change to the command at once
    commands.append(("__snapshot__",))
    results = kelisim_batch(env, commands, cwd=folder)
    before = results[1]["stdout"]
    checks = []
    for (case_id, _, needle, usage), position in zip(cases, positions, strict=True):
        follows = commands[position + 1] == ("__snapshot__",)
        after = results[position + 1 if follows else -1]["stdout"]
        checks.append((case_id, needle, usage, results[position], after, before))
    return checks


def _env(folder, location):
    import os

    env = dict(os.environ)
    env["KELISIM_DB"] = location
    env["KELISIM_HOME"] = str(folder / "home")
    return env


def test_every_bad_input_is_one_sentence_and_changes_nothing(fuzz_run):
    problems = []
    for case_id, needle, usage, result, after, before in fuzz_run:
        lines = result["stderr"].strip().splitlines()
        why = []
        if result["code"] == 0:
            why.append("exit status 0")
        if "Traceback" in result["stderr"]:
            why.append("traceback")
        if usage:
            if len(lines) != 2 or not lines[0].startswith("Usage: kelisim"):
                why.append("not usage + one error line")
        elif len(lines) != 1 or not lines[0].startswith("error: "):
            why.append(f"{len(lines)} lines on stderr")
        if lines and needle and needle.lower() not in lines[-1].lower():
            why.append(f"does not name {needle!r}")
        if json.loads(after) != json.loads(before):
            changed = [t for t in json.loads(before) if json.loads(before)[t]
                       != json.loads(after).get(t)]
            why.append(f"store changed: {changed}")
        if why:
            problems.append(f"{case_id}: {', '.join(why)} | {result['stderr'].strip()[-300:]}")
    assert not problems, "\n".join(problems)
