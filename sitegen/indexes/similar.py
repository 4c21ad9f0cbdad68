"""Computed related articles: TF-IDF cosine over an impact-ordered inverted index.

Comparing every pair is quadratic (Hugo's authors found the template way unusable at
scale), so each article keeps only its K strongest terms and each term only its M
strongest articles. Candidates then come from one sparse product per chunk of rows, and
cost grows close to linearly with the archive. The few best candidates of each article
are rescored exactly, so a score is the true cosine of the two (K-term) vectors and
``min_score`` means the same thing on any archive.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count, repeat

import importlib
from typing import Any

from sitegen.config import RelatedConfig
from sitegen.model import Article


class _OnFirstUse:
    """A module imported when first used: numpy and scipy take half a second to import, and a
    rebuild whose related articles are kept from the last build never needs them."""

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


np: Any = _OnFirstUse("numpy")
sp: Any = _OnFirstUse("scipy.sparse")

TERMS_PER_ARTICLE = 24   # K: bounds the cost per article; more adds noise, not precision
POSTINGS_PER_TERM = 200  # M: a term shared by thousands says little; its strongest articles suffice
CHUNK_ROWS = 500         # rows scored per sparse product: bounds peak memory (rows x K x M candidates)
PAD_CELLS = 1 << 20      # cells of one padded array in _top_in_rows (8 MB)
BATCH = 2000             # articles tokenised (and weighed) per batch: bounds the temporary arrays
POOL_EXTRA = 16          # candidates rescored exactly beyond `listed`, as the pruned score underestimates
SHOWN_TERMS = 3
TAG_PREFIX = "#tag:"

WORD = re.compile(r"\w{3,}")
ASCII_WORD = re.compile(r"[a-z0-9_]{3,}", re.A)  # the same on lowercase ASCII text, and a third faster
MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
# Words of three letters or more only: shorter ones are never tokens. English only; other
# languages still work, their function words just get a low IDF instead of being dropped.
STOPWORDS = frozenset("""
    about above across after again against all almost along already also although always among
    and another any anyone anything are around because been before being below between both but
    can cannot could did does doing done down during each either else enough even ever every
    few for from further had has have having her here hers herself him himself his how however
    into its itself just last least less let like made make many may more most much must near
    neither never new next nor not now off often once one only onto other others our ours
    ourselves out over own per perhaps put rather said same say says see seen several she should
    since some still such than that the their theirs them themselves then there these they this
    those though three through thus too two under until upon very was way well were what whatever
    when where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves year years month months week weeks day days today yesterday time
    first second found show shows including told according via
""".split())


@dataclass(frozen=True, slots=True)
class Match:
    article: Article
    score: float                  # cosine similarity, 0..1 (times the date preference when on)
    terms: tuple[str, ...]        # up to 3 shared words that contributed most (display forms, lowercase)
    tags: tuple[str, ...]         # shared tags, as written on ``article``


def plain_text(body_html: str) -> str:
    """Body text without markup: a regex is enough for our own markdown output, and fast."""
    return html.unescape(MARKUP.sub(" ", body_html))


def _top_in_rows(indptr: np.ndarray, values: np.ndarray, k: int, partial: bool = False) -> np.ndarray:
    """Flat indices of the k largest ``values`` of each row (rows as in CSR ``indptr``), row by row, best first.

    Ties keep their order in the row. Rows are laid out in padded 2-D arrays and sorted
    along them: far faster than a global lexsort. Rows go in groups of similar length, so
    a few long rows (a common term's postings) never blow up the padding. ``partial``
    picks the k with argpartition first, for wide rows where the order among equal values
    at the cut does not matter.
    """
    counts = np.diff(indptr)
    if k <= 0 or len(values) == 0:
        return np.empty(0, dtype=np.int64)
    by_length = np.argsort(counts, kind="stable")
    lengths = counts[by_length]
    found: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    first = int(np.searchsorted(lengths, 1))  # empty rows have nothing to pick
    while first < len(lengths):
        window = lengths[first:first + max(1, PAD_CELLS // int(lengths[first]))]
        size = max(1, int(np.count_nonzero(np.arange(1, len(window) + 1) * window <= PAD_CELLS)))
        found.append(_top_in_group(indptr, values, by_length[first:first + size], k, partial))
        first += size
    flat = np.concatenate(found)
    owner = np.searchsorted(indptr, flat, side="right") - 1
    return flat[np.argsort(owner, kind="stable")]


def _top_in_group(indptr: np.ndarray, values: np.ndarray, rows: np.ndarray, k: int, partial: bool) -> np.ndarray:
    counts = indptr[rows + 1] - indptr[rows]
    width = int(counts.max(initial=0))
    if width == 0:
        return np.empty(0, dtype=np.int64)
    local = np.repeat(np.arange(len(rows)), counts)
    flat = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + indptr[rows][local]
    dense = np.full((len(rows), width), -np.inf)
    dense[local, flat - indptr[rows][local]] = values[flat]
    if partial and width > k:
        pos = np.sort(np.argpartition(-dense, k - 1, axis=1)[:, :k], axis=1)
        dense = np.take_along_axis(dense, pos, axis=1)
    else:
        pos = np.broadcast_to(np.arange(width), dense.shape)
    order = np.argsort(-dense, axis=1, kind="stable")[:, :k]
    pos, best = np.take_along_axis(pos, order, axis=1), np.take_along_axis(dense, order, axis=1)
    return (indptr[rows][:, None] + pos)[best > -np.inf]


def _tokenise(articles: Sequence[Article], config: RelatedConfig
              ) -> tuple[sp.csr_matrix, list[str], np.ndarray, np.ndarray]:
    """(term frequencies, display form per term, is-tag per term, body group per article).

    Words are counted per field with sublinear tf (1 + log count) and weighted by field, so a
    word in the title outweighs many repeats in the body. The Python loop only counts words;
    stopwords, case folding and sums are done per batch on arrays, kept as float32 CSR.
    """
    vocab: defaultdict[str, int] = defaultdict(count().__next__)
    word_term = np.empty(0, dtype=np.int64)
    terms: dict[str, int] = {}
    display: list[str] = []
    seen_bodies: dict[bytes, int] = {}
    groups = np.empty(len(articles), dtype=np.int64)
    parts: list[sp.csr_matrix] = []
    for first in range(0, len(articles), BATCH):
        sizes: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        weights: list[float] = []
        for i in range(first, min(first + BATCH, len(articles))):
            article = articles[i]
            body = _words(plain_text(article.body_html))
            # The same body: the same words in the same order, whatever the markup, case and punctuation.
            digest = hashlib.blake2b(" ".join(body).encode("utf-8"), digest_size=16).digest()
            groups[i] = seen_bodies.setdefault(digest, i) if body else -1 - i  # empty bodies are all unique
            size = 0
            for weight, text in ((config.title_weight, article.title), (config.summary_weight, article.summary)):
                if weight > 0 and text:
                    size += _count(_words(text), weight, vocab, cols, counts, weights)
            if config.body_weight > 0:
                size += _count(body, config.body_weight, vocab, cols, counts, weights)
            if config.tags_weight > 0 and article.tags:
                tags = [TAG_PREFIX + key for key in _tag_map(article.tags)]  # each tag once
                size += _count(tags, config.tags_weight, vocab, cols, counts, weights)
            sizes.append(size)
        new = list(vocab)[len(word_term):]
        word_term = np.concatenate([word_term, np.fromiter(
            (_term_of(word, terms, display) for word in new), dtype=np.int64, count=len(new))])
        col = word_term[np.array(cols, dtype=np.int64)]
        val = np.array(weights) * (1.0 + np.log(np.array(counts, dtype=np.float64)))
        row = np.repeat(np.arange(len(sizes)), sizes)
        keep = col >= 0
        part = sp.csr_matrix((val[keep].astype(np.float32), (row[keep], col[keep])),
                             shape=(len(sizes), max(1, len(display))))  # sums a word's fields and case forms
        part.sum_duplicates()
        parts.append(part)
    t = max(1, len(display))
    tf = sp.vstack([sp.csr_matrix((p.data, p.indices, p.indptr), shape=(p.shape[0], t)) for p in parts],
                   format="csr") if parts else sp.csr_matrix((0, t), dtype=np.float32)
    is_tag = np.fromiter((d.startswith(TAG_PREFIX) for d in display), dtype=bool, count=len(display))
    return tf, display, is_tag, groups


def _words(text: str) -> list[str]:
    """Lowercase words of three or more letters or digits, in order."""
    text = unicodedata.normalize("NFKC", text).lower()
    return (ASCII_WORD if text.isascii() else WORD).findall(text)


def _count(words: list[str], weight: float, vocab: defaultdict[str, int], cols: list[int], counts: list[int],
           weights: list[float]) -> int:
    """Append one field's (word id, count, weight) triples; returns how many."""
    found = Counter(words)
    cols.extend(map(vocab.__getitem__, found))
    counts.extend(found.values())
    weights.extend(repeat(weight, len(found)))
    return len(found)


def _tag_key(tag: str) -> str:
    """Tags compare whole, ignoring case and spacing: 'Foreign  Minister' is 'foreign minister'."""
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


def _tag_map(tags: Sequence[str]) -> dict[str, str]:
    """tag key -> the tag as first written, in the article's order."""
    found: dict[str, str] = {}
    for tag in tags:
        if tag.strip():
            found.setdefault(_tag_key(tag), tag)
    return found


def _term_of(word: str, terms: dict[str, int], display: list[str]) -> int:
    """The term a lowercase word counts for (-1: stopword, number or underscores); the first spelling seen is shown."""
    key = word if word.startswith(TAG_PREFIX) else word.casefold()
    bare = key.replace("_", "")
    if key in STOPWORDS or not bare or bare.isdigit():
        return -1
    if key not in terms:
        terms[key] = len(display)
        display.append(word)
    return terms[key]


def _weigh(tf: sp.csr_matrix) -> sp.csr_matrix:
    """TF-IDF (smooth idf), the K strongest terms of each row (ties: the term seen first), L2-normalised."""
    n = tf.shape[0]
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    data, indices, sizes = [], [], []
    for first in range(0, n, BATCH):
        part = tf[first:first + BATCH]
        weight = part.data.astype(np.float64) * idf[part.indices]
        keep = np.sort(_top_in_rows(part.indptr, weight, TERMS_PER_ARTICLE))
        data.append(weight[keep])
        indices.append(part.indices[keep])
        sizes.append(np.minimum(np.diff(part.indptr), TERMS_PER_ARTICLE))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(sizes))]) if sizes else np.zeros(1, dtype=np.int64)
    x = sp.csr_matrix((np.concatenate(data) if data else np.empty(0),
                       np.concatenate(indices) if indices else np.empty(0, dtype=np.int32), indptr), shape=tf.shape)
    row = np.repeat(np.arange(n), np.diff(x.indptr))
    norms = np.sqrt(np.bincount(row, weights=x.data ** 2, minlength=n))
    x.data /= norms[row]
    return x


def compute_related(articles: Sequence[Article], config: RelatedConfig) -> dict[str, tuple[Match, ...]]:
    """article.path -> its related articles above config.min_score, best first, at most config.listed.

    Articles without any match are left out. Ties go to the newer article, then the path.
    """
    arts = sorted(articles, key=lambda a: a.sort_key)  # row order is the tie-break order
    n = len(arts)
    if n < 2 or config.listed <= 0:
        return {}
    tf, display, is_tag, groups = _tokenise(arts, config)
    x = _weigh(tf)
    del tf
    if x.nnz == 0:
        return {}
    postings = x.T.tocsr()  # terms x articles; each term keeps its M strongest articles (impact order)
    keep = np.sort(_top_in_rows(postings.indptr, postings.data, POSTINGS_PER_TERM, partial=True))
    postings = sp.csr_matrix((postings.data[keep], postings.indices[keep], np.concatenate(
        [[0], np.cumsum(np.minimum(np.diff(postings.indptr), POSTINGS_PER_TERM))])), shape=postings.shape)
    days = np.array([a.date.timestamp() / 86400.0 for a in arts])
    tag_maps = [_tag_map(a.tags) for a in arts]
    once: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each terms or tags tuple: halves the memory
    result: dict[str, tuple[Match, ...]] = {}
    for start in range(0, n, CHUNK_ROWS):
        rows, cols, score, shared = _best_pairs(x, postings, start, groups, days, config)
        words = _shared_terms(shared, is_tag, display, once)
        matches: list[Match] = []
        owners = rows.tolist()
        for k, (i, j, s) in enumerate(zip(owners, cols.tolist(), score.tolist())):
            mine = tag_maps[i]
            tags = tuple([t for key, t in tag_maps[j].items() if key in mine]) if mine else ()
            tags = once.setdefault(tags, tags)
            matches.append(Match(arts[j], s, words[k], tags))
            if k + 1 == len(owners) or owners[k + 1] != i:
                result[arts[i].path] = tuple(matches)
                matches = []
    return result


def _best_pairs(x: sp.csr_matrix, postings: sp.csr_matrix, start: int, groups: np.ndarray, days: np.ndarray,
                config: RelatedConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """(rows, cols, scores, per-term contributions) of the related pairs of one chunk of rows, best first.

    The pruned index gives a lower bound of each score; the best few by that bound are
    rescored exactly, filtered by min_score and cut to ``listed``.
    """
    block = (x[start:start + CHUNK_ROWS] @ postings).tocsr()
    rows = start + np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    cols = block.indices.astype(np.int64)
    halflife = float(config.date_halflife_days)
    decay = 0.5 ** (np.abs(days[rows] - days[cols]) / halflife) if halflife > 0 else np.ones(len(rows))
    rough = np.where((cols == rows) | (groups[cols] == groups[rows]), -np.inf, block.data * decay)
    pool = _top_in_rows(block.indptr, rough, config.listed + POOL_EXTRA, partial=True)
    pool = pool[np.argsort(rows[pool] * x.shape[0] + cols[pool])]  # by row, then column: the tie-break order
    rows, cols, decay = rows[pool], cols[pool], decay[pool]
    shared = x[rows].multiply(x[cols]).tocsr()  # per-term contributions of each candidate pair
    shared.sort_indices()
    score = np.minimum(np.asarray(shared.sum(axis=1)).ravel(), 1.0) * decay
    score[score < config.min_score] = -np.inf
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows - start, minlength=block.shape[0]))])
    final = _top_in_rows(indptr, score, config.listed)
    return rows[final], cols[final], score[final], shared[final]


def _shared_terms(shared: sp.csr_matrix, is_tag: np.ndarray, display: list[str],
                  once: dict[tuple[str, ...], tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Per pair, the (up to 3) words that added most to its score, best first (ties: the term seen first)."""
    value = np.where(is_tag[shared.indices] | (shared.data <= 0), -np.inf, shared.data)
    chosen = _top_in_rows(shared.indptr, value, SHOWN_TERMS)
    owner = np.searchsorted(shared.indptr, chosen, side="right") - 1
    ends = np.searchsorted(owner, np.arange(1, shared.shape[0] + 1)).tolist()
    words = list(map(display.__getitem__, shared.indices[chosen].tolist()))
    return [once.setdefault(t, t) for t in (tuple(words[a:b]) for a, b in zip([0, *ends[:-1]], ends))]
