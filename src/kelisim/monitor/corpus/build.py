"""Rebuild the shipped relevance and hostility models from the constructed corpus.

    python -m kelisim.monitor.corpus.build [--generate] [--out DIR]

``--generate`` first rewrites ``train.tsv`` from the templates (``generate.py``). Both models
use ``kelisim.monitor.model.train`` (seeded, so the result is deterministic) without rule
features: the rules run beside the model in ``classify_batch`` and keep their own explanation.
Relevance is ``relevant``; hostility is ``tier >= 3``. The models are trained on constructed
sentences, not on the text they will score, so ``classify_batch`` averages their scores with the
rules' (``rule_weight`` 0.5) and lets them confirm, not create, relevance.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from kelisim.monitor.corpus.generate import CORPUS_FILE, build_corpus

SHIPPED_DIR = Path(__file__).parent.parent / "shipped"
SHIPPED_RULE_WEIGHT = 0.5  # constructed training text: the model shares the score with the rules
LABELS = {"relevance": ("relevant", 0.5), "hostility": ("tier", 3.0)}


def read_corpus(path: Path = CORPUS_FILE) -> pd.DataFrame:
    """The corpus TSV as written by ``generate.py``."""
    return pd.read_csv(path, sep="\t", keep_default_na=False)


def fit_shipped(corpus: pd.DataFrame, target: str):
    """One shipped model (no rule features, ``rule_weight`` 0.5) trained on ``corpus``."""
    from kelisim.monitor.model import train

    label, threshold = LABELS[target]
    model = train(
        corpus,
        "text",
        label,
        target,
        language_col="lang",
        label_threshold=threshold,
        rule_names=(),
    )
    model.rule_weight = SHIPPED_RULE_WEIGHT
    return model


def main(argv: list[str] | None = None) -> int:
    from kelisim.monitor.model import save

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", action="store_true", help="rewrite train.tsv first")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR)
    args = parser.parse_args(argv)
    if args.generate:
        build_corpus().to_csv(CORPUS_FILE, sep="\t", index=False)
    corpus = read_corpus()
    for target in LABELS:
        model = fit_shipped(corpus, target)
        model.card["name"] = f"kelisim-shipped-{target}"
        model.card["created"] = "see git history"  # deterministic files: no wall-clock time
        model.card["data"]["source"] = "kelisim.monitor.corpus/train.tsv (constructed, Apache-2.0)"
        save(model, args.out / target)
        cv = model.card["cross_validation"]
        print(f"{target}: {len(corpus)} rows, CV AP {cv['average_precision']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
