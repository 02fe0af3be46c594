"""Deduplication: normalised-URL identity and near-duplicate stories.

Exact identity is a hash of the normalised URL (lower-case scheme and host, no ``www.``,
no default port, no fragment, no tracking parameters, sorted query, no trailing slash), as
Media Cloud does for its story URLs; a document without a URL is identified by its text.

Reprints are grouped into stories with MinHash signatures over character shingles (Broder
1997, "On the resemblance and containment of documents") and locality-sensitive hashing by
banding (Leskovec, Rajaraman and Ullman, *Mining of Massive Datasets*, 3rd ed., ch. 3.4):
two documents whose signatures agree on every row of at least one band become candidates,
and candidates whose estimated Jaccard similarity reaches the threshold join one story.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "yclid", "msclkid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "ref_src", "ref_url", "cmpid", "spm", "share", "utm",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """The canonical form of a URL used for identity.

    >>> normalize_url("HTTPS://WWW.Example.kz:443/news/1/?utm_source=tg&b=2&a=1#top")
    'https://example.kz/news/1?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
    )
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def document_id(url: str | None, text: str) -> str:
    """A stable 32-hex-digit id: SHA-256 of the normalised URL, else of the whitespace-folded
    lower-case text."""
    key = normalize_url(url) if url else " ".join(text.lower().split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# --- MinHash / LSH --------------------------------------------------------------------------

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: pairs with Jaccard 0.5 become candidates with p = 0.64
_FNV_PRIME = np.uint64(1099511628211)
_FNV_OFFSET = np.uint64(14695981039346656037)
SHINGLE_TEXT_LIMIT = 20_000  # characters of a text used for its signature
_CHUNK_WINDOWS = 16_384  # shingles hashed at once: ~8 MB of work arrays, reused from cache
_NON_WORD = re.compile(r"[^\w]+")


def _fold(text: str) -> str:
    folded = _NON_WORD.sub(" ", text[:SHINGLE_TEXT_LIMIT].lower()).strip()
    return folded.ljust(SHINGLE)


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct 64-bit FNV-1a-style hashes of a text's character k-shingles (lower-cased,
    punctuation folded to spaces)."""
    return np.unique(_window_hashes(_fold(text)))


def _window_hashes(folded: str) -> np.ndarray:
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, SHINGLE)
    hashes = np.full(windows.shape[0], _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(SHINGLE):
            hashes = (hashes ^ windows[:, column]) * _FNV_PRIME
    return hashes


def minhash_signatures(
    texts: list[str], permutations: int = PERMUTATIONS, seed: int = 1
) -> np.ndarray:
    """MinHash signatures, shape (len(texts), permutations), with the multiply-shift family
    h(x) = (a*x + b) >> 32 over 64-bit words (Dietzfelbinger et al. 1997). Texts are hashed
    in chunks: all shingles of a chunk at once, minimum per text by ``reduceat``."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)
    folded = [_fold(text) for text in texts]
    window_counts = np.array([len(f) - SHINGLE + 1 for f in folded], dtype=np.int64)
    signatures = np.empty((len(texts), permutations), dtype=np.uint32)
    first = 0
    while first < len(texts):
        last, windows = first + 1, window_counts[first]
        while last < len(texts) and windows + window_counts[last] <= _CHUNK_WINDOWS:
            windows += window_counts[last]
            last += 1
        # Join with a separator run so that no window spans two texts, then keep the
        # windows that start inside a text.
        joined = ("\x00" * (SHINGLE - 1)).join(folded[first:last])
        hashes = _window_hashes(joined)
        lengths = window_counts[first:last]
        offsets = np.concatenate(([0], np.cumsum(lengths + 2 * (SHINGLE - 1))[:-1]))
        keep = np.repeat(offsets - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        with np.errstate(over="ignore"):
            permuted = np.multiply.outer(a, hashes[keep])
            permuted += b[:, None]
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        # The shift is monotone, so it commutes with the minimum: shift only the minima.
        minima = np.minimum.reduceat(permuted, starts, axis=1)
        signatures[first:last] = (minima >> np.uint64(32)).T
        first = last
    return signatures


def _find(parent: list[int], item: int) -> int:
    while parent[item] != item:
        parent[item] = parent[parent[item]]
        item = parent[item]
    return item


def story_groups(signatures: np.ndarray, threshold: float = 0.6, bands: int = BANDS) -> np.ndarray:
    """Cluster label per document (the index of the cluster's first member): documents joined,
    directly or through others, by an LSH candidate pair with estimated Jaccard >= threshold."""
    count, permutations = signatures.shape
    rows = permutations // bands
    parent = list(range(count))
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        buckets: dict[bytes, int] = {}
        for index, key in enumerate(keys.tolist()):
            first = buckets.setdefault(key, index)
            if first == index:
                continue
            root_a, root_b = _find(parent, first), _find(parent, index)
            if root_a == root_b:
                continue
            if np.mean(signatures[first] == signatures[index]) >= threshold:
                parent[max(root_a, root_b)] = min(root_a, root_b)
    return np.array([_find(parent, item) for item in range(count)], dtype=np.int64)


def assign_stories(
    doc_ids: list[str],
    texts: list[str],
    published: pd.Series | None = None,
    threshold: float = 0.6,
    known_stories: list[str | None] | None = None,
) -> list[str]:
    """The story id of each document. A cluster holding documents with a ``known_stories``
    entry (already stored) keeps the story of its earliest such member; any other cluster is
    named after its earliest-published member (unknown times last, ties by position)."""
    if not texts:
        return []
    labels = story_groups(minhash_signatures(texts), threshold=threshold)
    order = np.arange(len(texts))
    if published is not None:
        times = pd.to_datetime(pd.Series(published).reset_index(drop=True))
        order = np.argsort(times.fillna(pd.Timestamp.max).to_numpy(), kind="stable")
    first_of: dict[int, str] = {}
    for index in order.tolist():
        if known_stories is not None and known_stories[index] is not None:
            first_of.setdefault(int(labels[index]), known_stories[index])
    for index in order.tolist():
        first_of.setdefault(int(labels[index]), doc_ids[index])
    return [first_of[int(label)] for label in labels]
