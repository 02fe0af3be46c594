"""Build the constructed training corpus ``train.tsv`` from the hand-written templates and slot
lists in ``ru.py``, ``kk.py`` and ``en.py`` (seeded, deterministic).

    python -m kelisim.monitor.corpus.generate [--out PATH]

Every row is constructed (written by the kelisim team from the tier definitions in
docs/classification.md, never from an evaluation set); columns: lang, text, relevant, tier,
frame, target, register, script, template, split. ``split`` holds out whole templates (about one
in five per frame and language, chosen by a hash of the template) for the model card's
held-out figures; annotation rules are in docs/annotation.md.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

import pandas as pd

from kelisim.monitor.corpus import en, kk, ru
from kelisim.monitor.extract import fold_kazakh, kk_to_latin

CORPUS_FILE = Path(__file__).with_name("train.tsv")
SEED = 20261203
FRAME_TIERS = {
    "offtopic": 0,
    "trap": 0,
    "other_topic": 0,
    "neutral": 1,
    "neutral_mention": 1,
    "counter": 1,
    "tension": 2,
    "essentialising": 3,
    "criminalisation": 3,
    "exclusion": 3,
    "derogatory": 3,
    "dehumanisation": 4,
    "threat_mirror": 4,
    "expulsion": 5,
    "violence": 5,
}
# rows per frame and language (pronoun-target documents included in the hostile frames)
FRAME_ROWS = {
    "offtopic": 450,
    "trap": 330,
    "other_topic": 420,
    "neutral": 560,
    "neutral_mention": 450,
    "counter": 460,
    "tension": 420,
    "essentialising": 260,
    "criminalisation": 200,
    "exclusion": 260,
    "derogatory": 110,
    "dehumanisation": 250,
    "threat_mirror": 200,
    "expulsion": 200,
    "violence": 250,
}
PRONOUN_SHARE = 0.3
HOLDOUT_SHARE = 0.2
GROUP_IDS = (
    "kazakhs", "russians", "ukrainians", "uzbeks", "uyghurs", "tatars", "germans", "koreans",
    "turks", "azerbaijanis", "dungans", "chechens", "tajiks", "kyrgyz", "jews", "chinese",
    "belarusians", "kurds", "caucasians", "kandas", "dagestanis", "armenians",
)  # fmt: skip
TEMPLATES_BY_LANGUAGE = {"ru": ru, "kk": kk, "en": en}
RU_SLOTS = ("nom", "gen", "dat", "ins", "prep", "sg", "adj")


def _registers(tier: int, frame: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    if tier >= 3:
        return ("comments", "telegram", "news"), (0.62, 0.35, 0.03)
    if frame == "counter":
        return ("comments", "news", "telegram"), (0.5, 0.25, 0.25)
    return ("news", "comments", "telegram"), (0.45, 0.35, 0.2)


def holdout(lang: str, frame: str, template: str) -> bool:
    """Whether a template is held out (a stable hash, independent of the seed)."""
    digest = hashlib.sha256(f"{lang}|{frame}|{template}".encode()).digest()
    return digest[0] < 256 * HOLDOUT_SHARE


class _Writer:
    def __init__(self, lang: str, rng: random.Random) -> None:
        self.lang, self.rng, self.module = lang, rng, TEMPLATES_BY_LANGUAGE[lang]
        self.slots = getattr(self.module, "SLOT_NAMES", RU_SLOTS)
        self.proper = {city for _, city in self.module.PLACES if city[:1].isupper()}
        self.proper |= {
            form for group in self.module.GROUPS for form in group if form[:1].isupper()
        }

    def slot_values(self, index: int, second: int, slur: tuple | None) -> dict[str, str]:
        groups = self.module.GROUPS
        values = dict(zip(self.slots, groups[index], strict=True))
        values.update(
            {f"{name}2": form for name, form in zip(self.slots, groups[second], strict=True)}
        )
        if slur is not None:
            values.update({f"slur_{n}": f for n, f in zip(self.slots, slur, strict=True)})
        place, city = self.rng.choice(self.module.PLACES)
        values.update(place=place, city=city)
        return values

    def fill(self, template: str, values: dict[str, str]) -> str:
        text = template.format_map(values)
        return text[:1].upper() + text[1:]

    def dress(self, text: str, register: str) -> str:
        opener = self.rng.choice(self.module.OPENERS[register])
        closer = self.rng.choice(self.module.CLOSERS[register])
        first_word = text.split(" ", 1)[0].strip(',.:«»"')
        if opener.endswith((", ", ": ")) and first_word not in self.proper:
            if not (len(first_word) > 1 and first_word.isupper()):
                text = text[:1].lower() + text[1:]
        text = opener + text
        if closer and text.endswith(".") and not closer.startswith(" #"):
            text = text[:-1]
        text = text + closer
        if register == "comments" and self.rng.random() < 0.3:
            text = text.lower()
        return text

    def script(self, text: str) -> tuple[str, str]:
        """Kazakh: Cyrillic (60%), 2021 Latin folded to ASCII (20%), typed without Kazakh
        letters (20%); every language: code-switching opener (8%)."""
        script = "cyrillic" if self.lang != "en" else "latin"
        if self.module.CODE_SWITCH and self.rng.random() < 0.08:
            opener = self.rng.choice(self.module.CODE_SWITCH)
            text, script = opener + text[:1].lower() + text[1:], "mixed"
        if self.lang == "kk":
            draw = self.rng.random()
            if draw < 0.2:
                return kk_to_latin(text), "latin"
            if draw < 0.4:
                folded = "".join(
                    fold_kazakh(c.lower()).upper() if c.isupper() else fold_kazakh(c) for c in text
                )
                return folded, "folded" if script == "cyrillic" else "mixed-folded"
        return text, script


def _rows_for(writer: _Writer, frame: str, count: int) -> list[dict]:
    rng, module = writer.rng, writer.module
    tier = FRAME_TIERS[frame]
    templates = module.TEMPLATES[frame]
    pronoun = module.PRONOUN_TEMPLATES.get(frame, [])
    registers, weights = _registers(tier, frame)
    rows, seen, attempts = [], set(), 0
    while len(rows) < count and attempts < count * 20:
        attempts += 1
        index = rng.randrange(len(module.GROUPS))
        second = rng.choice([i for i in range(len(module.GROUPS)) if i != index])
        slur = rng.choice(module.SLURS) if frame == "derogatory" else None
        values = writer.slot_values(index, second, slur)
        register = rng.choices(registers, weights)[0]
        if pronoun and rng.random() < PRONOUN_SHARE:
            template = rng.choice(pronoun)
            context = writer.fill(rng.choice(module.PRONOUN_CONTEXT), values)
            text = context + " " + writer.dress(template, register)
            template_id = f"pronoun:{template}"
        else:
            template = rng.choice(templates)
            text = writer.dress(writer.fill(template, values), register)
            template_id = template
        if rng.random() < 0.1 and frame not in ("offtopic", "trap", "other_topic"):
            text = text + " " + writer.fill(rng.choice(module.TEMPLATES["offtopic"]), values)
        text, script = writer.script(text)
        if text in seen:
            continue
        seen.add(text)
        uses_group = "{" in template and tier >= 1 and frame != "derogatory"
        target = GROUP_IDS[index] if uses_group or template_id.startswith("pronoun:") else ""
        if frame == "derogatory":
            target = "slur"
        rows.append(
            {
                "lang": writer.lang,
                "text": text,
                "relevant": int(tier >= 1),
                "tier": tier,
                "frame": frame,
                "target": target,
                "register": register,
                "script": script,
                "template": template_id,
                "split": "test" if holdout(writer.lang, frame, template_id) else "train",
            }
        )
    return rows


def build_corpus(seed: int = SEED) -> pd.DataFrame:
    """The whole corpus, deterministic for a seed."""
    rows = []
    for lang in TEMPLATES_BY_LANGUAGE:
        writer = _Writer(lang, random.Random(f"{seed}-{lang}"))
        for frame, count in FRAME_ROWS.items():
            rows.extend(_rows_for(writer, frame, count))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CORPUS_FILE)
    args = parser.parse_args(argv)
    corpus = build_corpus()
    corpus.to_csv(args.out, sep="\t", index=False)
    summary = corpus.groupby(["lang", "tier"]).size().unstack(fill_value=0)
    print(f"wrote {len(corpus)} rows to {args.out}\n{summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
