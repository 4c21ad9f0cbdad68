"""Computed related articles: TF-IDF cosine over an impact-ordered inverted index.

Comparing every pair is quadratic (Hugo's authors found the template way unusable at
scale), so each article keeps only its K strongest terms and each term only its M
strongest articles. Candidates then come from one sparse product per chunk of rows, and
cost grows close to linearly with the archive. The few best candidates of each article
are rescored exactly, so a score is the true cosine of the two (K-term) vectors and
``min_score`` means the same thing on any archive. Every step works row by row (ties
broken by the term's key or the row's place, never by where a row was counted), so a row's
list is the same computed alone: after an edit, repair.py computes again only the rows it
can reach, from the Pairing the last build kept.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sitegen.config import RelatedConfig
from sitegen.forked import interrupts_held, keep_freed_memory, release_interrupts
from sitegen.indexes.csr import (Csr, columns as columns_of, pair_products, product, ptr_of, ptr_of_sizes,
                                 row_sums)
from sitegen.indexes.lazy import distinct, np, sp
from sitegen.digests import content_digest, row_id
from sitegen.indexes.words import (BATCH, TAG_PREFIX, WordCounts, count_words, field_weights,
                                   tag_map, term_key)
from sitegen.model import Article


TERMS_PER_ARTICLE = 24   # K: bounds the cost per article; more adds noise, not precision
POSTINGS_PER_TERM = 200  # M: a term shared by thousands says little; its strongest articles suffice
CHUNK_ROWS = 500         # rows scored per sparse product: bounds peak memory (rows x K x M candidates)
PAD_CELLS = 1 << 20      # cells of one padded array in _top_in_rows (8 MB)
POOL_EXTRA = 16          # candidates rescored exactly beyond `listed`, as the pruned score underestimates
SHOWN_TERMS = 3
PARALLEL_FROM = 4000     # fewer articles than this are paired faster in one process than a pool starts
SCIPY_FROM = 1200        # fewer than this are paired in numpy alone (csr.py), faster than importing scipy.sparse


@dataclass(frozen=True, slots=True)
class Match:
    article: Article
    score: float                  # cosine similarity, 0..1 (times the date preference when on)
    terms: tuple[str, ...]        # up to 3 shared words that contributed most (display forms, lowercase)
    tags: tuple[str, ...]         # shared tags, as written on ``article``


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


IDF_STEP = math.log(1.05)  # document frequencies count in steps of 5% (see idf_table)


def idf_steps(df: np.ndarray) -> np.ndarray:
    """Each document frequency's step: how many powers of 1.05 fit in 1 + df (integers compared
    with integers, so the same df gives the same step on any array, in any order)."""
    return np.searchsorted(_step_bounds(), df.astype(np.int64) + 1, side="right") - 1


def idf_table(n: int) -> np.ndarray:
    """The IDF of each step: smooth IDF, log((1 + n) / (1 + df)) + 1, with 1 + df and 1 + n each
    rounded down to a power of 1.05. Counting documents in 5% steps changes an IDF by 0.05 at most,
    and lets an edit that gives one article a new word move that word's IDF only when its count
    crosses a step (about one edit in twenty for a common word): only then must every article
    holding it be weighed again (repair.py). The same for the archive's size: an article added or
    removed moves every IDF only when 1 + n crosses a step (one in twenty at 400 articles, one in
    500 at 10,000), else the lists are repaired too. Worked out in Python, not by numpy's vector
    log, whose last bit may differ with the length of the array."""
    top = n_step(n) * IDF_STEP
    return np.array([top - step * IDF_STEP + 1.0 for step in range(len(_step_bounds()))])


def n_step(n: int) -> int:
    """The step of an archive of ``n`` articles in idf_table: how many powers of 1.05 fit in 1 + n."""
    return int(idf_steps(np.array([n], dtype=np.int64))[0])


@functools.cache
def _step_bounds() -> np.ndarray:
    """The smallest 1 + df of each step: ceil(1.05 ** step), up to past any archive's size."""
    return np.array([1] + [math.ceil(math.exp(step * IDF_STEP)) for step in range(1, 600)], dtype=np.int64)


def _log_table(top: int) -> np.ndarray:
    """1 + log(c) for each count c up to ``top``: sublinear tf, the same bits in every build."""
    return np.array([0.0] + [1.0 + math.log(c) for c in range(1, top + 1)])


@dataclass(frozen=True, slots=True)
class Columns:
    """The terms (the term matrix's columns) of an archive's words, sorted by key: a term's column
    follows from the set of terms alone, so ties between terms (the K strongest, the words shown)
    go the same way whichever articles were counted first or afresh."""
    terms: list[str]         # term keys, sorted
    column: np.ndarray       # per word of the WordCounts: its term's column (-1: a stopword or number)

    @classmethod
    def of(cls, words: Sequence[str], terms: Sequence[str] = ()) -> "Columns":
        """The columns of ``words``: ``terms`` (kept from the last build), and any new ones among them."""
        keys = [term_key(word) for word in words]
        known = set(terms)
        new = {key for key in keys if key is not None and key not in known}
        allterms = sorted(known | new) if new else list(terms)
        at = {term: i for i, term in enumerate(allterms)}
        column = np.fromiter((-1 if key is None else at[key] for key in keys), dtype=np.int64, count=len(keys))
        return cls(allterms, column)


def display_forms(words: Sequence[str], columns: Columns) -> list[str]:
    """Each term's display form: the first, in code point order, of its spellings among ``words``
    (the term key where none is left): a function of the words, not of the order they were counted in."""
    display = list(columns.terms)
    best: dict[int, str] = {}
    for word, col in zip(words, columns.column.tolist()):
        if col >= 0 and (col not in best or word < best[col]):
            best[col] = word
    for col, word in best.items():
        display[col] = word
    return display


def term_frequencies(counts: WordCounts, config: RelatedConfig, columns: Columns, rows: np.ndarray) -> Csr:
    """The term frequencies of ``rows`` of ``counts`` (float32 CSR, a row each, in that order).

    Words are counted per field with sublinear tf (1 + log count) and weighted by field, so a
    word in the title outweighs many repeats in the body; spellings that fold alike are one
    term, their values added in the order counted. Each row is worked out from its own counts
    alone, so a row is the same bits whether it is made with every other row (a cold build) or
    alone (repair.py).
    """
    at = counts.entries(rows)
    times = counts.count[at]
    weights = np.array(field_weights(config))
    val = (np.repeat(np.tile(weights, len(rows)), counts.fields[rows].ravel())
           * _log_table(int(times.max(initial=0)))[times]).astype(np.float32)
    t = max(1, len(columns.terms))
    key = np.repeat(np.arange(len(rows), dtype=np.int64), counts.fields[rows].sum(axis=1)) * t + \
        columns.column[counts.word[at]]
    order = np.argsort(key, kind="stable")  # by row, then column; a term's fields and spellings as counted
    key = key[order]
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.empty(0, dtype=np.int64)
    data = np.add.reduceat(val[order], first) if len(first) else np.empty(0, dtype=np.float32)
    return Csr(data, (key[first] % t).astype(np.int32), ptr_of(key[first] // t, len(rows)), (len(rows), t))


def _tokenise(counts: WordCounts, config: RelatedConfig) -> tuple[list[Csr], Columns, list[str], np.ndarray, np.ndarray]:
    """(term frequencies, columns, display form per term, is-tag per term, body group per article).

    Float32 CSR, one matrix per batch of rows: stacking them would hold them twice (2 GB more
    at a million articles), and ``_weigh`` takes them batch by batch.
    """
    n = len(counts.digests)
    columns = Columns.of(counts.words)
    parts = [term_frequencies(counts, config, columns, np.arange(top, min(top + BATCH, n))) for top in range(0, n, BATCH)]
    display = display_forms(counts.words, columns)
    return parts, columns, display, tag_terms(columns.terms), body_groups(counts.bodies)


def tag_terms(terms: Sequence[str]) -> np.ndarray:
    """Per term: a tag, not a word (tags are never shown as shared words)."""
    return np.fromiter((term.startswith(TAG_PREFIX) for term in terms), dtype=bool, count=len(terms))


def article_days(arts: Sequence[Article]) -> np.ndarray:
    """Each article's date in days since the epoch, for the date preference."""
    return np.array([a.date.timestamp() / 86400.0 for a in arts])


def body_groups(bodies: Sequence[bytes]) -> np.ndarray:
    """Per article, the first article with the same body (digests of their words; empty bodies are
    all unique): the same body is never related."""
    seen: dict[bytes, int] = {}
    return np.array([seen.setdefault(body, i) if body else -1 - i for i, body in enumerate(bodies)], dtype=np.int64)


def weigh(tf: Csr, idf: np.ndarray) -> Csr:
    """TF-IDF of each row of ``tf``: its K strongest terms (ties: the term first by key), L2-normalised.
    Row by row alone: the same bits for a row whatever rows come with it."""
    weight = tf.data.astype(np.float64) * idf[tf.indices]
    keep = np.sort(_top_in_rows(tf.indptr, weight, TERMS_PER_ARTICLE))
    sizes = np.minimum(np.diff(tf.indptr), TERMS_PER_ARTICLE)
    data = weight[keep]
    row = np.repeat(np.arange(tf.shape[0]), sizes)
    data /= np.sqrt(np.bincount(row, weights=data ** 2, minlength=tf.shape[0]))[row]
    return Csr(data, tf.indices[keep], ptr_of_sizes(sizes), tf.shape)


def _weigh(parts: list[Csr], terms: int) -> tuple[Csr, np.ndarray]:
    """(the weighed vectors of every row, each term's document frequency). ``parts`` (the term
    frequencies, batch by batch) are let go of as they are weighed."""
    n = sum(part.shape[0] for part in parts)
    df = np.zeros(terms, dtype=np.int64)
    for part in parts:
        df += np.bincount(part.indices, minlength=terms)
    idf = idf_table(n)[idf_steps(df)]
    done: list[Csr] = []
    parts.reverse()
    while parts:
        done.append(weigh(parts.pop(), idf))
    return Csr.stacked(done, terms), df


def postings_of(xt: "Csr | sp.csr_matrix") -> Csr:
    """The impact-ordered index: each term (a row of ``xt``, the vectors transposed) keeps the
    articles whose weight for it is at least its M-th largest (all, for a term of M or fewer). Ties
    at the cut are all kept, so a term's postings follow from its own column alone."""
    counts = np.diff(xt.indptr)
    pick = _top_in_rows(xt.indptr, xt.data, POSTINGS_PER_TERM, partial=True)
    owner = np.searchsorted(xt.indptr, pick, side="right") - 1
    cut = np.full(xt.shape[0], np.inf)
    np.minimum.at(cut, owner, xt.data[pick])
    cut[counts <= POSTINGS_PER_TERM] = -np.inf
    owner = np.repeat(np.arange(xt.shape[0]), counts)
    keep = xt.data >= cut[owner]
    indptr = ptr_of(owner[keep], xt.shape[0])
    return Csr(xt.data[keep], xt.indices[keep], indptr, xt.shape)


def date_decay(apart: np.ndarray, halflife: float) -> np.ndarray:
    """The date preference of pairs ``apart`` days apart: 0.5 ** (days / halflife), taken by whole
    days from a table (the same bits on any array)."""
    far = int(1100 * halflife) + 1  # 0.5 ** 1100 is 0 in a float
    days = np.minimum(np.rint(np.abs(apart)), far).astype(np.int64)
    top = int(days.max(initial=0))
    return np.array([0.5 ** (d / halflife) for d in range(top + 1)])[days]


@dataclass(frozen=True, slots=True)
class Vectors:
    """Each article's weighted terms (rows newest first), and what pairing needs of the terms."""
    x: Csr                # articles x terms: TF-IDF of the K strongest terms, L2-normalised
    display: list[str]    # each term's display form
    is_tag: np.ndarray    # per term: a tag, not a word
    groups: np.ndarray    # per article: its body group (the same body: never related)
    terms: list[str]      # the columns: term keys, sorted
    df: np.ndarray        # per term: how many articles hold it


def term_vectors(counts: WordCounts, config: RelatedConfig) -> Vectors:
    """The articles' term vectors from their word counts. A caller that lets go of ``counts`` after
    this holds only the vectors (a tenth of the counts) while pairing: 1.9 GB less at a million."""
    tf, columns, display, is_tag, groups = _tokenise(counts, config)
    x, df = _weigh(tf, max(1, len(columns.terms)))
    return Vectors(x, display, is_tag, groups, columns.terms, df)


@dataclass(frozen=True, slots=True)
class Pairs:
    """Related pairs and the candidates they were chosen from, row by row (rows in CSR order)."""
    ptr: np.ndarray       # row i's pairs are [ptr[i], ptr[i + 1]), best first
    cols: np.ndarray      # the other article's row
    scores: np.ndarray
    words: np.ndarray     # pairs x 3: the shown words' term columns, -1 where fewer
    pool_ptr: np.ndarray  # row i's candidates rescored exactly are pool[pool_ptr[i]:pool_ptr[i + 1]]
    pool: np.ndarray
    cut: np.ndarray       # per row: the lowest rough score that enters its pool (-inf: any candidate)

    @classmethod
    def joined(cls, parts: Sequence[tuple[np.ndarray, ...]]) -> "Pairs":
        """From each chunk's (pairs per row, cols, scores, words, pool size per row, pool, cuts), chunks
        in row order (the rows: those of the chunks, one after another)."""
        def cat(k: int, dtype: Any, shape: tuple = (0,)) -> np.ndarray:
            return np.concatenate([p[k] for p in parts]).astype(dtype, copy=False) if parts else \
                np.empty(shape, dtype=dtype)
        return cls(ptr_of_sizes(cat(0, np.int64)), cat(1, np.int32), cat(2, np.float64),
                   cat(3, np.int32, (0, SHOWN_TERMS)), ptr_of_sizes(cat(4, np.int64)), cat(5, np.int32),
                   cat(6, np.float64))

    @classmethod
    def none(cls, n: int) -> "Pairs":
        """``n`` rows without pairs."""
        return cls.joined([(np.zeros(n, dtype=np.int32), np.empty(0, dtype=np.int32), np.empty(0),
                            np.empty((0, SHOWN_TERMS), dtype=np.int32), np.zeros(n, dtype=np.int32),
                            np.empty(0, dtype=np.int32), np.full(n, -np.inf))])

    def spliced(self, rows: np.ndarray, new: "Pairs") -> "Pairs":
        """These pairs with those of ``rows`` (sorted) replaced by ``new``'s (whose rows are just those)."""
        n = len(self.cut)
        cut = self.cut.copy()
        cut[rows] = new.cut
        ptr, (cols, scores, words) = _splice(self.ptr, (self.cols, self.scores, self.words), rows, new.ptr,
                                             (new.cols, new.scores, new.words))
        pool_ptr, (pool,) = _splice(self.pool_ptr, (self.pool,), rows, new.pool_ptr, (new.pool,))
        assert len(ptr) == len(pool_ptr) == n + 1
        return Pairs(ptr, cols, scores, words, pool_ptr, pool, cut)

    def lists(self, arts: Sequence[Article], display: list[str]) -> "RelatedLists":
        used = distinct(self.words[self.words >= 0])  # only the words shown: the vocabulary is far larger
        words = np.where(self.words >= 0, np.searchsorted(used, self.words), -1).astype(np.int32)
        return RelatedLists(arts, self.ptr, self.cols, self.scores, words, list(map(display.__getitem__, used.tolist())))


def _splice(ptr: np.ndarray, arrays: tuple[np.ndarray, ...], rows: np.ndarray, new_ptr: np.ndarray,
            new_arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Row-grouped ``arrays`` (CSR ``ptr``) with the groups of ``rows`` (sorted) replaced by the
    groups of ``new_arrays`` (``new_ptr``, one group per row of ``rows``)."""
    n = len(ptr) - 1
    sizes = np.diff(ptr)
    owner = np.repeat(np.arange(n), sizes)
    replaced = np.zeros(n, dtype=bool)
    replaced[rows] = True
    keep = ~replaced[owner]
    new_owner = np.repeat(rows, np.diff(new_ptr))
    order = np.argsort(np.concatenate([owner[keep], new_owner]), kind="stable")
    sizes = sizes.copy()
    sizes[rows] = np.diff(new_ptr)
    return (ptr_of_sizes(sizes),
            tuple(np.concatenate([old[keep], new])[order] for old, new in zip(arrays, new_arrays)))


@dataclass(frozen=True, slots=True)
class Pairing:
    """What the related lists were computed from and found, kept for the next build: an edit then
    computes again only the rows it can reach (repair.py), not the whole archive."""
    rows: np.ndarray             # per row: a digest of its article's path and date (row_ids)
    digests: tuple[bytes, ...]   # per row: the content_digest its words were counted from
    groups: np.ndarray           # per row: its body group
    terms: list[str]             # the columns: term keys, sorted
    df: np.ndarray               # per term: how many rows hold it
    x: Csr                       # the weighed vectors
    postings: Csr                # terms x rows: the impact-ordered index
    pairs: Pairs
    kept: int                    # how many of each list were kept


def row_ids(arts: Sequence[Article]) -> np.ndarray:
    """Per article, in order, a digest (8 bytes) of its path and date: the rows of a Pairing are
    these articles; an article added, removed or moved is found by them (repair.py)."""
    return np.frombuffer(b"".join(map(row_id, arts)), dtype=np.uint64)  # (kept with each article: digests.py)


def compute_related(articles: Sequence[Article], config: RelatedConfig, counts: WordCounts | None = None,
                    kept: int | None = None, vectors: Vectors | None = None) -> RelatedLists:
    """article.path -> its related articles above config.min_score, best first, at most config.listed.

    Articles without any match are left out. Ties go to the newer article, then the path.
    ``counts``: count_words of the same articles, newest first (counted here when not given),
    or ``vectors``, term_vectors of them. ``kept``: keep only the first this many of each (the
    same first ones), when no page lists more.
    """
    return pair_up(articles, config, counts, kept, vectors)[0]


def pair_up(articles: Sequence[Article], config: RelatedConfig, counts: WordCounts | None = None,
            kept: int | None = None, vectors: Vectors | None = None, digests: Sequence[bytes] = ()
            ) -> tuple[RelatedLists, Pairing | None]:
    """compute_related, and the Pairing it was found by (None when no article can have related
    ones); ``digests``: the rows' content digests, for the Pairing."""
    arts = sorted(articles, key=lambda a: a.sort_key)  # row order is the tie-break order
    n = len(arts)
    if n < 2 or config.listed <= 0:
        return Pairs.none(n).lists(arts, []), None
    if vectors is None:
        if counts is None:
            counts = count_words(arts, config, [content_digest(a) for a in arts])
        digests = digests or counts.digests
        vectors = term_vectors(counts, config)
        del counts
    if vectors.x.shape[0] != n:
        raise ValueError(f"word counts of {vectors.x.shape[0]} articles given for {n}")
    display, is_tag, groups = vectors.display, vectors.is_tag, vectors.groups
    if n < SCIPY_FROM:  # the same bits (csr.py), without importing scipy: 0.15 s of a cold build of 1,000 articles
        x = vectors.x
        index = postings_of(columns_of(x, np.arange(x.shape[1])))
        postings = index
    else:
        x = vectors.x.matrix()
        index = postings_of(x.T.tocsr())
        postings = index.matrix()
    listed = config.listed if kept is None else min(kept, config.listed)
    days = article_days(arts)
    chunks = [np.arange(top, min(top + CHUNK_ROWS, n)) for top in range(0, n, CHUNK_ROWS)]
    pairs = Pairs.joined(list(all_pairs(chunks, (x, postings, groups, days, config, is_tag, listed)))) \
        if len(vectors.x.data) else Pairs.none(n)
    pairing = Pairing(row_ids(arts), tuple(digests), groups, vectors.terms, vectors.df, vectors.x, index,
                      pairs, listed)
    return pairs.lists(arts, display), pairing


class RelatedLists(Mapping[str, tuple[Match, ...]]):
    """article path -> its related articles, best first (articles without any are left out).

    Kept as arrays (per pair: the other article's row, the score, the shown words' numbers), and
    made into Match objects only where a page asks: at a million articles the Match objects and
    their word tuples took 0.5-0.7 GB, and every render worker copied what it read of them
    (reading a Python object writes its reference count; reading an array writes nothing).
    """

    __slots__ = ("_arts", "_row", "_indptr", "_cols", "_scores", "_words", "_vocab")

    def __init__(self, arts: Sequence[Article], indptr: np.ndarray, cols: np.ndarray, scores: np.ndarray,
                 words: np.ndarray, vocab: list[str]):
        self._arts = list(arts)      # rows: newest first, then path
        self._indptr = indptr        # row i's pairs are [indptr[i], indptr[i + 1]), best first
        self._cols, self._scores, self._words, self._vocab = cols, scores, words, vocab
        self._row = {self._arts[i].path: i for i in np.flatnonzero(np.diff(indptr)).tolist()}

    def __getitem__(self, path: str) -> tuple[Match, ...]:
        if path not in self._row:
            raise KeyError(path)
        return tuple(self.matches(path))

    def matches(self, path: str) -> Iterator[Match]:
        """``path``'s matches, best first, each made as it is asked for (none when it has none): an
        article page of the default settings shows 5 of the 20 its related page lists, and making
        a Match (its shared tags and words) was most of the cost of its related links."""
        i = self._row.get(path)
        if i is None:
            return
        span = self._span(i)
        mine = tag_map(self._arts[i].tags)
        for j, score, shown in zip(self._cols[span].tolist(), self._scores[span].tolist(), self._words[span].tolist()):
            other = self._arts[j]
            tags = tuple([t for key, t in tag_map(other.tags).items() if key in mine]) if mine else ()
            yield Match(other, score, self._words_of(shown), tags)

    def shown(self, path: str, limit: int | None = None) -> tuple[list[Article], list[int], list[tuple[str, ...]]]:
        """What pages show of ``path``'s matches (the first ``limit`` of them), for page keys,
        without making them: the other articles, the scores as whole percents (as the plan rounds
        them) and the shown words. The shared tags follow from the two articles' tags."""
        i = self._row.get(path)
        if i is None:
            return [], [], []
        span = self._span(i)
        if limit is not None:
            span = slice(span.start, min(span.stop, span.start + limit))
        return ([self._arts[j] for j in self._cols[span].tolist()],
                [round(score * 100) for score in self._scores[span].tolist()], self._shown_words(span))

    def _span(self, i: int) -> slice:
        """Where row ``i``'s pairs are in the arrays."""
        return slice(int(self._indptr[i]), int(self._indptr[i + 1]))

    def _shown_words(self, span: slice) -> list[tuple[str, ...]]:
        return [self._words_of(shown) for shown in self._words[span].tolist()]

    def _words_of(self, shown: list[int]) -> tuple[str, ...]:
        """A pair's shown words from their numbers (-1: none)."""
        vocab = self._vocab
        return tuple([vocab[w] for w in shown if w >= 0])

    def __contains__(self, path: object) -> bool:
        return path in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)

    def scored(self) -> Iterator[tuple[str, list[tuple[str, float]]]]:
        """(path, [(other path, score), ...]) of each article with related ones: what stories read,
        without making Match objects."""
        arts, cols, scores = self._arts, self._cols, self._scores
        for path, i in self._row.items():
            span = self._span(i)
            yield path, [(arts[j].path, s) for j, s in zip(cols[span].tolist(), scores[span].tolist())]

    def row_digests(self, order: Sequence[Article]) -> bytes:
        """For each article of ``order``, 16 bytes standing for what ``shown`` gives of its list (the
        other articles' rows, scores as whole percents, shown words): the next build's page keys
        take a page as it was when the lists it read have the same digests (see pagekeys)."""
        codes = np.array([int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
                          for w in self._vocab] + [0], dtype=np.uint64)  # a word's stable number; -1: none
        # per pair: its column, its score in whole percents, its shown words' numbers
        # the other article by its identity (digests.row_id), not its row: an article added before it shifts every row
        ids = np.frombuffer(b"".join(map(row_id, self._arts)), dtype=np.uint64)
        columns = [ids[self._cols], np.rint(self._scores * 100).astype(np.int32), codes[self._words]]
        widths = [column.itemsize * (column.size // max(1, len(self._cols))) for column in columns]
        data = [column.tobytes() for column in columns]
        indptr, row, empty = self._indptr.tolist(), self._row, bytes(16)
        out = []
        for article in order:
            i = row.get(article.path)
            if i is None:
                out.append(empty)
                continue
            start, stop = indptr[i], indptr[i + 1]
            out.append(hashlib.blake2b(b"".join(part[width * start:width * stop] for part, width in zip(data, widths)),
                                       digest_size=16).digest())
        return b"".join(out)

    def state(self) -> tuple:
        """What ``restored`` needs besides the articles: for the result cache."""
        return self._indptr, self._cols, self._scores, self._words, self._vocab

    @classmethod
    def restored(cls, arts: Sequence[Article], state: tuple) -> "RelatedLists":
        return cls(arts, *state)


_forked: tuple | None = None  # what the pair workers read: set before forking, inherited, not pickled


def all_pairs(chunks: Sequence[np.ndarray], inputs: tuple) -> Iterator[tuple[np.ndarray, ...]]:
    """The related pairs of each chunk of rows, chunk by chunk in order; across cores when there are
    many rows (each chunk's sparse products are independent of the others')."""
    global _forked
    workers = min(os.cpu_count() or 1, 8)
    _forked = inputs
    try:
        if sum(map(len, chunks)) < PARALLEL_FROM or workers < 2:
            yield from map(_chunk_pairs, chunks)
            return
        import multiprocessing  # (only here: a repair pairs a few rows in line)

        with interrupts_held():  # (the pool forks its workers as it starts)
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_pair_worker)
        with pool:
            yield from pool.imap(_chunk_pairs, chunks)
    finally:
        _forked = None


def _pair_worker() -> None:
    """A pair worker's start: Ctrl-C through, and the memory each chunk frees kept for the next."""
    release_interrupts()
    keep_freed_memory()


def _chunk_pairs(rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(pairs per row, columns, scores, shown words' term columns, pool size per row, pool, cuts) of
    a chunk of rows: the rows are the chunk's, in order (sizes, not row numbers: less to send back)."""
    assert _forked is not None
    x, postings, groups, days, config, is_tag, kept = _forked
    pair_rows, cols, score, shared, pool_rows, pool, cut = _best_pairs(x, postings, rows, groups, days, config, kept)
    def sizes(of: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(rows, of), minlength=len(rows)).astype(np.int32)
    return (sizes(pair_rows), cols.astype(np.int32), score, _shared_terms(shared, is_tag).astype(np.int32),
            sizes(pool_rows), pool.astype(np.int32), cut)


def _best_pairs(x: "sp.csr_matrix | Csr", postings: "sp.csr_matrix | Csr", chunk: np.ndarray, groups: np.ndarray, days: np.ndarray,
                config: RelatedConfig, kept: int) -> tuple[np.ndarray, ...]:
    """(rows, cols, scores, per-term contributions, pool rows, pool, cuts) of the related pairs of the
    rows ``chunk`` (sorted), best first.

    The pruned index gives a lower bound of each score (the rough score); each row's candidates
    with a rough score at least its (listed + 16)-th best (ties at the cut all in: the pool) are
    rescored exactly, filtered by min_score and cut to ``kept``. Every step reads a row's own
    vector, its candidates' and the postings, never another row of the chunk: a row's list is
    the same computed alone (repair.py) or with the archive. ``x`` and ``postings`` are both scipy
    matrices or both Csr (the products in numpy: for a few rows, see csr.py), to the same bits.
    """
    few = isinstance(x, Csr)
    block = product(x.rows(chunk), postings) if few else (x[chunk] @ postings).tocsr()
    local = np.repeat(np.arange(len(chunk)), np.diff(block.indptr))
    rows, cols = chunk[local], block.indices.astype(np.int64)
    halflife = float(config.date_halflife_days)
    decay = date_decay(days[rows] - days[cols], halflife) if halflife > 0 else None
    rough = np.where((cols == rows) | (groups[cols] == groups[rows]), -np.inf,
                     block.data if decay is None else block.data * decay)
    size = config.listed + POOL_EXTRA
    pick = _top_in_rows(block.indptr, rough, size, partial=True)
    cut = np.full(len(chunk), np.inf)
    np.minimum.at(cut, local[pick], rough[pick])
    cut[np.bincount(local[pick], minlength=len(chunk)) < size] = -np.inf  # room for any candidate
    pool = np.flatnonzero((rough >= cut[local]) & (rough > -np.inf))
    pool = pool[np.lexsort((cols[pool], local[pool]))]  # by row, then column: the tie-break order
    rows, cols = rows[pool], cols[pool]
    if few:  # per-term contributions of each candidate pair
        shared = pair_products(x, rows, cols)
    else:
        made = x[rows].multiply(x[cols]).tocsr()
        made.sort_indices()
        shared = Csr.of(made)
    score = np.minimum(row_sums(shared), 1.0)
    if decay is not None:
        score *= decay[pool]
    score[score < config.min_score] = -np.inf
    indptr = ptr_of(local[pool], len(chunk))
    final = _top_in_rows(indptr, score, kept)  # leaves out the -inf ones
    return rows[final], cols[final], score[final], shared.rows(final), rows, cols, cut


def _shared_terms(shared: Csr, is_tag: np.ndarray) -> np.ndarray:
    """Per pair, the term numbers of the (up to 3) words that added most to its score, best first
    (ties: the term seen first), -1 where there are fewer: an array of pairs x 3."""
    value = np.where(is_tag[shared.indices] | (shared.data <= 0), -np.inf, shared.data)
    chosen = _top_in_rows(shared.indptr, value, SHOWN_TERMS)  # by pair, best first
    owner = np.searchsorted(shared.indptr, chosen, side="right") - 1
    rank = np.arange(len(chosen)) - np.searchsorted(owner, owner, side="left")
    words = np.full((shared.shape[0], SHOWN_TERMS), -1, dtype=np.int64)
    words[owner, rank] = shared.indices[chosen]
    return words
