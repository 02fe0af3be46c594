"""Bench (issue 18): place accuracy on the constructed sentences, and classification speed with
the larger gazetteer through the real CLI.

1. Accuracy: ``tests/fixtures/places/place_sentences.tsv`` (CONSTRUCTED kk/ru/en sentences):
   right region (goal >= 95% of mentions), right district (goal >= 90%), shared names with all
   their candidates and no single wrong guess.
2. Speed: a GENERATED full-size census workbook (tests/workbook_fixtures.py, 7,049 settlements
   named with constructed Kazakh-like names) is imported into a temporary store, so the
   gazetteer holds the bundled places and settlements plus 7,049 store settlements; then
   ``kelisim monitor classify DOCS.csv --db STORE`` classifies constructed posts (the place
   sentences, the language fixture and posts naming generated settlements). Documents per
   CPU-second of the classify process, start-up included (end to end), against the goal of
   3,000 per core; a run of 200 documents shows the start-up cost on its own.
Needs no /work/shared data. Usage: .venv/bin/python bench/bench_places.py [--docs 20000]
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import workbook_fixtures  # noqa: E402
from kelisim.monitor.gazetteer import score_mentions  # noqa: E402

SENTENCES = ROOT / "tests" / "fixtures" / "places" / "place_sentences.tsv"
LANGUAGE_FIXTURE = ROOT / "tests" / "fixtures" / "monitor" / "language_sentences.tsv"
GOAL_DOCS_PER_CPU_SECOND = 3000
SYLLABLES = ("қа", "ра", "су", "бұ", "лақ", "тө", "бе", "жар", "кө", "дала", "ақ", "тас", "ой",
             "сай", "шы", "мың", "бай", "кен", "жол", "ту")


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def constructed_name(code: str) -> str:
    """A Kazakh-like settlement name built from a code (CONSTRUCTED; 20**3 names, so some
    repeat across districts as real names do)."""
    number = zlib.crc32(code.encode()) % 8000
    parts = [SYLLABLES[number // 400], SYLLABLES[number // 20 % 20], SYLLABLES[number % 20]]
    return "с." + "".join(parts).capitalize()


def accuracy() -> None:
    scores = score_mentions(_read_tsv(SENTENCES))
    for lang, s in sorted(scores.items()):
        region = s["region_right"] / s["mentions"]
        district = s["district_right"] / s["with_district"]
        print(f"{lang}: {s['mentions']} mentions + {s['shared']} shared names; right region "
              f"{region:.1%} (goal 95%), right district {district:.1%} (goal 90%); shared names "
              f"with all candidates {s['shared_right']}/{s['shared']}; single wrong guesses "
              f"{s['wrong_single']}")


def _classify(kelisim: str, env: dict, docs: Path, store: Path, out: Path) -> tuple[float, float]:
    """CPU seconds and wall seconds of one ``monitor classify`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([kelisim, "monitor", "classify", str(docs), "--db", str(store),
                           "--out", str(out)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"classify failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def speed(n_docs: int) -> None:
    rng = np.random.default_rng(18)
    folder = Path(tempfile.mkdtemp(prefix="kelisim-bench-places-"))
    atexit.register(shutil.rmtree, folder, True)  # ~70 MB of workbook, store and outputs
    workbook_fixtures.settlement_name = constructed_name
    structure = workbook_fixtures.full_size_structure(7049)
    headers = workbook_fixtures.full_size_headers()
    national = {headers.index("Казахи"): 13_497_891, headers.index("Русские"): 2_981_946}
    path = workbook_fixtures.write_workbook(folder / "census.xlsx", structure, headers,
                                            national=national)
    store = folder / "k.duckdb"
    env = {**os.environ, "KELISIM_DB": str(store), "KELISIM_HOME": str(folder / "home")}
    kelisim = str(Path(sys.executable).parent / "kelisim")
    done = subprocess.run([kelisim, "data", "import", str(path), "--name", "census2021"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"import failed: {done.stderr.strip()}")
    names = [constructed_name(code) for _, _, districts in structure
             for _, _, settlements in districts for code in settlements]
    print(f"store gazetteer: {len(names)} generated settlements imported from {path.name}")
    sentences = [r["text"] for r in _read_tsv(SENTENCES)]
    sentences += [r["text"] for r in _read_tsv(LANGUAGE_FIXTURE)]
    village_posts = [f"В селе {name[2:]} вчера собрались люди." for name in names[:2000]]
    pool = sentences + village_posts

    def write_docs(count: int) -> Path:
        docs = folder / f"docs_{count}.csv"
        with open(docs, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text"])
            for _ in range(count):
                writer.writerow([" ".join(rng.choice(pool, size=rng.integers(1, 4)))])
        return docs

    small_cpu, _ = _classify(kelisim, env, write_docs(200), store, folder / "small.csv")
    cpu, wall = _classify(kelisim, env, write_docs(n_docs), store, folder / "out.csv")
    rate = n_docs / cpu
    print(f"start-up and 200 documents: {small_cpu:.2f} CPU-s")
    print(f"{n_docs} documents end to end: {cpu:.2f} CPU-s ({wall:.2f} s wall): "
          f"{rate:,.0f} documents per CPU-second (goal >= {GOAL_DOCS_PER_CPU_SECOND:,} per "
          f"core): {'met' if rate >= GOAL_DOCS_PER_CPU_SECOND else 'NOT met'}")
    with open(folder / "out.csv", encoding="utf-8", newline="") as handle:
        placed = sum(1 for row in csv.DictReader(handle) if row["places"] not in ("", "[]"))
    print(f"documents placed: {placed} of {n_docs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    args = parser.parse_args()
    accuracy()
    speed(args.docs)


if __name__ == "__main__":
    main()
