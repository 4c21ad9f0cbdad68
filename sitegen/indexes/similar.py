"""Computed related articles: TF-IDF cosine over an impact-ordered inverted index.

Comparing every pair is quadratic (Hugo's authors found the template way unusable at
scale), so each article keeps only its K strongest terms and each term only its M
strongest articles. Candidates then come from one sparse product per chunk of rows, and
cost grows close to linearly with the archive. The few best candidates of each article
are rescored exactly, so a score is the true cosine of the two (K-term) vectors and
``min_score`` means the same thing on any archive. Each article's word counts can be kept
between builds (WordCounts): an edit changes every IDF, so all the rest is computed again,
but only the edited articles' words are counted again.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
import importlib
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path
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


def content_digest(article: Article) -> bytes:
    """A digest of what an article's counted words come from: its title, summary, tags and body."""
    h = hashlib.blake2b(repr((article.title, article.summary, article.tags)).encode("utf-8"), digest_size=16)
    h.update(article.body_html.encode("utf-8"))
    return h.digest()


def counts_key(config: RelatedConfig) -> bytes:
    """What kept WordCounts depend on besides the articles: this code and which fields are counted."""
    h = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16)
    h.update(repr([weight > 0 for weight in _weights(config)]).encode("utf-8"))
    return h.digest()


@dataclass(frozen=True, slots=True)
class WordCounts:
    """Each article's words as counted for related articles, in flat arrays, one row per article.

    Counting is half the cost of related articles, and any edit changes every IDF, so the
    rest is computed again; these are kept between builds so that an edit counts only the
    edited articles. Flat arrays, not objects per article: small to keep and quick to load.
    """

    words: tuple[str, ...]      # the words below, by number: lowercase, no stopwords, tags as '#tag:key'
    digests: tuple[bytes, ...]  # per article: its content_digest
    bodies: tuple[bytes, ...]   # per article: a digest of its body's words (b"": none); the same body, the same digest
    fields: np.ndarray          # per article: how many distinct words its title, summary, body and tags have (n x 4)
    word: np.ndarray            # per distinct word of each field, article by article, first seen first: its number
    count: np.ndarray           # and how many times it occurs in that field
    counted: int = 0            # articles counted anew (the others were kept from the last build)


def count_words(articles: Sequence[Article], config: RelatedConfig, digests: Sequence[bytes],
                kept: WordCounts | None = None) -> WordCounts:
    """The counted words of ``articles`` (newest first; ``digests`` their content_digest): taken
    from ``kept`` (the last build's) for the articles it has, counted anew for the others."""
    row_of = dict(zip(kept.digests, range(len(kept.digests)))) if kept is not None else {}
    rows = [row_of.get(digest, -1) for digest in digests]
    fresh = [i for i, row in enumerate(rows) if row < 0]
    new = _count([articles[i] for i in fresh], config, [digests[i] for i in fresh])
    if kept is None or len(fresh) == len(articles):
        return new
    for k, i in enumerate(fresh):
        rows[i] = len(kept.digests) + k
    both = _join(kept, new)
    del kept, new  # a third copy of the arrays would raise the peak memory
    return replace(_take(both, np.array(rows, dtype=np.int64)), counted=len(fresh))


def _count(articles: Sequence[Article], config: RelatedConfig, digests: Sequence[bytes]) -> WordCounts:
    """Count the words of each field of each article: the Python loop only counts; stopwords are
    dropped per batch on arrays (batches bound the temporary lists)."""
    on = [weight > 0 for weight in _weights(config)]
    vocab: defaultdict[str, int] = defaultdict(count().__next__)
    is_term = np.empty(0, dtype=bool)
    bodies: list[bytes] = []
    found = [np.empty(0, dtype=np.uint8)]  # per batch: its counted words (their numbers), their counts, field sizes
    times = [np.empty(0, dtype=np.uint8)]
    fields = [np.empty((0, 4), dtype=np.int64)]
    for first in range(0, len(articles), BATCH):
        ids: list[int] = []
        counts: list[int] = []
        sizes: list[int] = []
        for article in articles[first:first + BATCH]:
            body = _words(plain_text(article.body_html))
            # The same body: the same words in the same order, whatever the markup, case and punctuation.
            bodies.append(hashlib.blake2b(" ".join(body).encode("utf-8"), digest_size=16).digest() if body else b"")
            texts = (_words(article.title) if on[0] and article.title else (),
                     _words(article.summary) if on[1] and article.summary else (),
                     body if on[2] else (),
                     [TAG_PREFIX + key for key in _tag_map(article.tags)] if on[3] else ())  # each tag once
            sizes.extend(_count_field(words, vocab, ids, counts) for words in texts)
        new = list(vocab)[len(is_term):]
        is_term = np.concatenate([is_term, np.fromiter((_key(w) is not None for w in new), dtype=bool, count=len(new))])
        number = np.cumsum(is_term) - 1  # a word's number among those kept (later words do not change it)
        word = np.array(ids, dtype=np.int64)
        keep = is_term[word]
        found.append(_small(number[word[keep]], len(vocab)))
        repeats = np.array(counts, dtype=np.int64)[keep]
        times.append(_small(repeats, int(repeats.max(initial=0)) + 1))
        fields.append(np.bincount(np.repeat(np.arange(len(sizes)), sizes)[keep], minlength=len(sizes)).reshape(-1, 4))
    words = tuple(w for w, term in zip(vocab, is_term.tolist()) if term)
    return WordCounts(words, tuple(digests), tuple(bodies), np.concatenate(fields).astype(np.int32),
                      _small(np.concatenate(found), len(words)), np.concatenate(times), len(articles))


def _count_field(words: Sequence[str], vocab: defaultdict[str, int], ids: list[int], counts: list[int]) -> int:
    """Append one field's (word id, count) pairs, first seen first; returns how many."""
    found = Counter(words)
    ids.extend(map(vocab.__getitem__, found))
    counts.extend(found.values())
    return len(found)


def _small(values: np.ndarray, bound: int) -> np.ndarray:
    """``values`` (all below ``bound``) in one or two bytes each when they fit, else four: a third of the memory."""
    return values.astype(np.uint8 if bound <= 1 << 8 else np.uint16 if bound <= 1 << 16 else np.int32)


def _join(a: WordCounts, b: WordCounts) -> WordCounts:
    """a's articles, then b's, b's words numbered as a's."""
    number = dict(zip(a.words, range(len(a.words))))
    renumber = np.fromiter((number.setdefault(word, len(number)) for word in b.words), dtype=np.int64,
                           count=len(b.words))
    return WordCounts(tuple(number), a.digests + b.digests, a.bodies + b.bodies, np.concatenate([a.fields, b.fields]),
                      np.concatenate([a.word, _small(renumber[b.word], len(number))]),
                      np.concatenate([a.count, b.count]))


def _take(counts: WordCounts, rows: np.ndarray) -> WordCounts:
    """The articles ``rows`` of ``counts``, in that order, with only the words they use (numbered in the same order)."""
    sizes = counts.fields.sum(axis=1)
    starts, lengths = (np.cumsum(sizes) - sizes)[rows], sizes[rows]
    word = np.empty(int(lengths.sum()), dtype=counts.word.dtype)
    times = np.empty(len(word), dtype=counts.count.dtype)
    done = 0
    for top in range(0, len(rows), BATCH):  # in batches: bounds the temporary index arrays
        start, length = starts[top:top + BATCH], lengths[top:top + BATCH]
        ends = np.cumsum(length)
        at = np.arange(ends[-1]) + np.repeat(start - (ends - length), length)  # the spans of these rows
        word[done:done + len(at)] = counts.word[at]
        times[done:done + len(at)] = counts.count[at]
        done += len(at)
    used = np.zeros(len(counts.words), dtype=bool)
    used[word] = True
    words = tuple(map(counts.words.__getitem__, np.flatnonzero(used).tolist()))
    picked = rows.tolist()
    return WordCounts(words, tuple(map(counts.digests.__getitem__, picked)),
                      tuple(map(counts.bodies.__getitem__, picked)), counts.fields[rows],
                      _small(np.cumsum(used) - 1, len(words))[word], times)


def _tokenise(counts: WordCounts, config: RelatedConfig) -> tuple[sp.csr_matrix, list[str], np.ndarray, np.ndarray]:
    """(term frequencies, display form per term, is-tag per term, body group per article).

    Words are counted per field with sublinear tf (1 + log count) and weighted by field, so a
    word in the title outweighs many repeats in the body; spellings that fold alike are one
    term. Terms are numbered in the order first seen, row by row, and show the spelling seen
    first: the matrix depends only on the rows, not on how ``counts`` numbers its words (kept
    or counted afresh). Kept as float32 CSR, made per batch of rows.
    """
    n = len(counts.digests)
    sizes = counts.fields.sum(axis=1)
    ends = np.concatenate([[0], np.cumsum(sizes)])
    batches = [(slice(top, min(top + BATCH, n)), slice(ends[top], ends[min(top + BATCH, n)]))
               for top in range(0, n, BATCH)]
    key_of: dict[str | None, int] = {}
    word_key = np.fromiter((key_of.setdefault(_key(word), i) for i, word in enumerate(counts.words)),
                           dtype=np.int64, count=len(counts.words))  # a word's term: the number of its first spelling
    first = np.full(len(counts.words), ends[-1], dtype=np.int64)  # where each term is first seen
    for _, at in batches:
        np.minimum.at(first, word_key[counts.word[at]], np.arange(at.start, at.stop))
    seen = np.flatnonzero(first < ends[-1])
    order = seen[np.argsort(first[seen])]  # terms in the order first seen: the columns
    display = list(map(counts.words.__getitem__, counts.word[first[order]].tolist()))
    column = np.full(len(counts.words), -1, dtype=np.int32)
    column[order] = np.arange(len(order), dtype=np.int32)
    column = column[word_key]  # each word's
    t = max(1, len(display))
    weights = np.array(_weights(config))
    parts: list[sp.csr_matrix] = []
    for rows, at in batches:
        val = np.repeat(np.tile(weights, rows.stop - rows.start), counts.fields[rows].ravel()) * (
            1.0 + np.log(counts.count[at].astype(np.float64)))
        indptr = np.concatenate([[0], np.cumsum(sizes[rows])])
        part = sp.csr_matrix((val.astype(np.float32), column[counts.word[at]], indptr),
                             shape=(rows.stop - rows.start, t))
        part.sum_duplicates()  # sums a word's fields and case forms
        parts.append(part)
    tf = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, t), dtype=np.float32)
    is_tag = np.fromiter((d.startswith(TAG_PREFIX) for d in display), dtype=bool, count=len(display))
    seen_bodies: dict[bytes, int] = {}
    groups = np.array([seen_bodies.setdefault(body, i) if body else -1 - i for i, body in enumerate(counts.bodies)],
                      dtype=np.int64)  # empty bodies are all unique
    return tf, display, is_tag, groups


def _weights(config: RelatedConfig) -> tuple[float, float, float, float]:
    return config.title_weight, config.summary_weight, config.body_weight, config.tags_weight


def _words(text: str) -> list[str]:
    """Lowercase words of three or more letters or digits, in order."""
    text = unicodedata.normalize("NFKC", text).lower()
    return (ASCII_WORD if text.isascii() else WORD).findall(text)


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


def _key(word: str) -> str | None:
    """The term a lowercase word counts for (None: a stopword, number or underscores)."""
    key = word if word.startswith(TAG_PREFIX) else word.casefold()
    bare = key.replace("_", "")
    return None if key in STOPWORDS or not bare or bare.isdigit() else key


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


def compute_related(articles: Sequence[Article], config: RelatedConfig,
                    counts: WordCounts | None = None) -> dict[str, tuple[Match, ...]]:
    """article.path -> its related articles above config.min_score, best first, at most config.listed.

    Articles without any match are left out. Ties go to the newer article, then the path.
    ``counts``: count_words of the same articles, newest first (counted here when not given).
    """
    arts = sorted(articles, key=lambda a: a.sort_key)  # row order is the tie-break order
    n = len(arts)
    if n < 2 or config.listed <= 0:
        return {}
    if counts is None:
        counts = count_words(arts, config, [content_digest(a) for a in arts])
    elif len(counts.digests) != n:
        raise ValueError(f"word counts of {len(counts.digests)} articles given for {n}")
    tf, display, is_tag, groups = _tokenise(counts, config)
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
