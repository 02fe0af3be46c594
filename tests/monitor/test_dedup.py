"""URL identity and near-duplicate stories (kelisim.monitor.dedup). Texts are CONSTRUCTED."""

import numpy as np
import pandas as pd
import pytest

from kelisim.monitor.dedup import (
    assign_stories,
    document_id,
    minhash_signatures,
    normalize_url,
    shingle_hashes,
    story_groups,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.kz:443/news/1/?utm_source=tg&b=2&a=1#top",
            "https://example.kz/news/1?a=1&b=2",
        ),
        ("http://example.kz:80/a//b/", "http://example.kz/a/b"),
        ("https://example.kz:8443/a?fbclid=XYZ&gclid=1", "https://example.kz:8443/a"),
        ("https://example.kz/", "https://example.kz"),
        ("https://example.kz/Path/Case?Q=1", "https://example.kz/Path/Case?Q=1"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_document_id_same_for_tracking_variants_and_text_fallback():
    a = document_id("https://www.example.kz/news/1?utm_medium=social", "x")
    b = document_id("https://example.kz/news/1/", "y")
    assert a == b and len(a) == 32
    assert document_id(None, "Один  Текст") == document_id(None, "один текст")


def _exact_jaccard(a: str, b: str) -> float:
    """Independent check: Jaccard similarity of the exact shingle sets (Broder 1997, eq. 1)."""
    sa, sb = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
    return len(sa & sb) / len(sa | sb)


def test_minhash_estimates_jaccard():
    rng = np.random.default_rng(7)
    words = [f"сөз{i}" for i in range(400)]
    base = " ".join(rng.choice(words, 120))
    variants = [
        base[: int(len(base) * f)] + " " + " ".join(rng.choice(words, 40)) for f in (0.9, 0.6, 0.3)
    ]
    signatures = minhash_signatures([base, *variants], permutations=256)
    for row, variant in enumerate(variants, start=1):
        estimate = np.mean(signatures[0] == signatures[row])
        assert abs(estimate - _exact_jaccard(base, variant)) < 0.1  # 256 perms: sd <= 0.032


def test_signature_of_a_text_does_not_depend_on_its_batch():
    texts = ["Бірінші мәтін", "x", "Second text, a little longer than the first one", ""]
    together = minhash_signatures(texts)
    alone = np.vstack([minhash_signatures([text]) for text in texts])
    assert np.array_equal(together, alone)
    folded = "бірінші мәтін"
    assert shingle_hashes(texts[0]).size == len({folded[i : i + 5] for i in range(9)})


def test_stories_group_reprints_and_keep_distinct_news_apart():
    original = (
        "В Павлодаре прошла встреча представителей этнокультурных объединений области, "
        "участники обсудили подготовку ко Дню единства народа Казахстана."
    )
    reprint = "Источник: агентство. " + original.replace("прошла", "состоялась")
    other = "В Астане открылась выставка современного искусства молодых художников страны."
    published = pd.Series(pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03"]))
    stories = assign_stories(["r", "o", "x"], [reprint, original, other], published)
    assert stories == ["o", "o", "x"]  # the earliest member names the story


def test_story_groups_are_transitive():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [7, 2, 3, 9], [5, 6, 7, 8]], dtype=np.uint32)
    labels = story_groups(signatures, threshold=0.5, bands=2)
    assert labels.tolist() == [0, 0, 0, 3]


def test_assign_stories_empty():
    assert assign_stories([], []) == []
