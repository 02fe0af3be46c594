"""Watch speed: documents per second per core end to end, and peak memory.

Goal (issue 5): at least 2,000 documents per second per core (language, extraction,
classification) and under 1 GB of memory. The run is single-process and single-threaded;
documents per CPU-second of this process is the per-core rate (wall-clock time is printed
too, and is lower when other jobs share the machine). Stages timed: normalisation +
redaction, language, ids + near-duplicate stories, classification (kelisim.monitor.classify,
when present in this build) and aggregation + spike detection.

Texts: the Russian comments in /work/shared/data/hate_speech_ru (read only, nothing copied)
when present, else constructed sentences from the test fixture. Usage:

    .venv/bin/python bench/bench_monitor_speed.py [--docs 5000] [--model DIR]

Classification uses the shipped model by default (issue 13); --model DIR a trained model (e.g.
the one kept by bench/bench_monitor_quality.py --save-model DIR), --model rules the rules alone.
Start-up work done once per process (reading the model files, compiling the lexicons) is timed on
its own line and not counted per document.
Besides the goal of the issue, the end-to-end figure is compared with a comfortable margin of
3,000 docs per CPU-second (1.5x the goal), so that a loaded machine still meets the goal.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# shared/ sits beside the repository (a clone) or two levels up (a worktree under wt/).
SHARED_CANDIDATES = [
    base / "shared" / "data" / "hate_speech_ru" / "sensitive_topics_skoltech"
    for base in (ROOT.parent, ROOT.parent.parent)
]
FIXTURE = ROOT / "tests" / "fixtures" / "monitor" / "language_sentences.tsv"
GOAL_DOCS_PER_SECOND = 2000
MARGIN_DOCS_PER_SECOND = 3000
GOAL_MEMORY_MB = 1024


def load_texts(count: int, rng: np.random.Generator) -> tuple[list[str], str]:
    """Real Russian comments when the shared data is present, else constructed posts."""
    name = "v1_sensitive_topics_crowdsource_only.csv"
    folders = (
        [Path(os.environ["KELISIM_SHARED_DATA"])] if "KELISIM_SHARED_DATA" in os.environ else []
    )
    files = [folder / name for folder in [*folders, *SHARED_CANDIDATES]]
    shared_file = next((f for f in files if f.is_file()), files[-1])
    if shared_file.is_file():
        texts = pd.read_csv(shared_file, usecols=["text"])["text"].dropna().astype(str).tolist()
        texts = [texts[i % len(texts)] for i in range(count)]
        return texts, f"{shared_file.name} (real Russian comments)"
    print(f"note: {shared_file} is missing; using constructed posts from the test fixture")
    sentences = pd.read_csv(FIXTURE, sep="\t", comment="#")["text"].tolist()
    texts = [" ".join(rng.choice(sentences, size=rng.integers(1, 6))) for _ in range(count)]
    return texts, "constructed posts (tests/fixtures/monitor/language_sentences.tsv)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument(
        "--model", help="folder of a trained model, or 'rules' (default: the shipped model)"
    )
    args = parser.parse_args()
    if not 100 <= args.docs <= 50_000:
        print("--docs must be between 100 and 50000")
        return 2

    from kelisim.monitor.aggregate import add_baseline, daily_counts
    from kelisim.monitor.dedup import assign_stories, document_id
    from kelisim.monitor.spikes import detect_spikes
    from kelisim.monitor.text import clean_texts, detect_languages

    rng = np.random.default_rng(20240101)
    texts, origin = load_texts(args.docs, rng)
    published = pd.Series(
        pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60 * 86400, args.docs), "s")
    )
    urls = [f"https://example.kz/news/{i}?utm_source=bench" for i in range(args.docs)]
    timings: dict[str, float] = {}
    start = time.process_time()
    from kelisim.monitor.extract import load_lexicon

    load_lexicon()
    try:
        from kelisim.monitor.classify import classify_batch, load_models
    except ModuleNotFoundError:
        classify_batch = None
    if classify_batch is not None:
        load_models(args.model)
    startup = time.process_time() - start
    wall_start = time.perf_counter()

    start = time.process_time()
    cleaned = clean_texts(texts)
    timings["normalise + redact"] = time.process_time() - start

    start = time.process_time()
    languages = detect_languages(cleaned)
    timings["language"] = time.process_time() - start

    start = time.process_time()
    ids = [document_id(url, text) for url, text in zip(urls, cleaned, strict=True)]
    assign_stories(ids, cleaned, published)
    timings["ids + stories (MinHash/LSH)"] = time.process_time() - start

    if classify_batch is not None:
        start = time.process_time()
        classes = classify_batch(cleaned, languages, args.model)
        timings["classification (extraction + rules + model)"] = time.process_time() - start
    else:
        print("note: kelisim.monitor.classify is not in this build; classification NOT measured")
        classes = pd.DataFrame(
            {
                "relevant": rng.random(args.docs) < 0.2,
                "tier": rng.integers(0, 6, args.docs),
                "hostility_score": rng.random(args.docs),
                "counter_speech": rng.random(args.docs) < 0.05,
                "groups": [["russian"] if rng.random() < 0.2 else [] for _ in range(args.docs)],
                "places": [["551010000"] if rng.random() < 0.2 else [] for _ in range(args.docs)],
            }
        )

    documents = classes.assign(doc_id=ids, published_at=published)
    start = time.process_time()
    detect_spikes(add_baseline(daily_counts(documents)))
    timings["aggregate + spikes"] = time.process_time() - start

    wall = time.perf_counter() - wall_start
    total = sum(timings.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = pd.Series(languages).value_counts().to_dict()
    print(f"texts: {args.docs} from {origin}; mean length {np.mean([len(t) for t in texts]):.0f}")
    print(f"languages found: {counts}")
    print(f"model: {args.model or 'the shipped models (default)'}")
    print(f"  {'start-up once per process (lexicons, model read)':<50} {startup:7.3f} CPU s")
    for stage, seconds in timings.items():
        print(
            f"  {stage:<50} {seconds:7.3f} CPU s  {args.docs / seconds:10,.0f} docs/s  "
            f"{seconds / total:4.0%} of the time"
        )
    rate = args.docs / total
    verdict = "meets" if rate >= GOAL_DOCS_PER_SECOND else "MISSES"
    margin = "meets" if rate >= MARGIN_DOCS_PER_SECOND else "misses"
    print(
        f"end to end: {rate:,.0f} docs per CPU-second (one core), "
        f"{rate / GOAL_DOCS_PER_SECOND:.2f}x "
        f"the goal of {GOAL_DOCS_PER_SECOND:,}: {verdict}; margin target "
        f"{MARGIN_DOCS_PER_SECOND:,}: {margin}; wall clock {args.docs / wall:,.0f} docs/s on a "
        "shared machine"
    )
    if classify_batch is None:
        print("(end to end excludes classification, which this build lacks)")
    mem_verdict = "meets" if peak_mb < GOAL_MEMORY_MB else "MISSES"
    print(f"peak memory: {peak_mb:,.0f} MB; goal < {GOAL_MEMORY_MB:,} MB: {mem_verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
