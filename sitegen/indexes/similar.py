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
import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sitegen.config import RelatedConfig
from sitegen.indexes.lazy import np, sp
from sitegen.indexes.words import (BATCH, TAG_PREFIX, WordCounts, content_digest, count_words, field_weights,
                                   tag_map, term_key)
from sitegen.model import Article


TERMS_PER_ARTICLE = 24   # K: bounds the cost per article; more adds noise, not precision
POSTINGS_PER_TERM = 200  # M: a term shared by thousands says little; its strongest articles suffice
CHUNK_ROWS = 500         # rows scored per sparse product: bounds peak memory (rows x K x M candidates)
PAD_CELLS = 1 << 20      # cells of one padded array in _top_in_rows (8 MB)
POOL_EXTRA = 16          # candidates rescored exactly beyond `listed`, as the pruned score underestimates
SHOWN_TERMS = 3
PARALLEL_FROM = 4000     # fewer articles than this are paired faster in one process than a pool starts


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


def _tokenise(counts: WordCounts, config: RelatedConfig) -> tuple[list[sp.csr_matrix], list[str], np.ndarray, np.ndarray]:
    """(term frequencies, display form per term, is-tag per term, body group per article).

    Words are counted per field with sublinear tf (1 + log count) and weighted by field, so a
    word in the title outweighs many repeats in the body; spellings that fold alike are one
    term. Terms are numbered in the order first seen, row by row, and show the spelling seen
    first: the matrix depends only on the rows, not on how ``counts`` numbers its words (kept
    or counted afresh). Float32 CSR, one matrix per batch of rows: stacking them would hold
    them twice (2 GB more at a million articles), and ``_weigh`` takes them batch by batch.
    """
    n = len(counts.digests)
    sizes = counts.fields.sum(axis=1)
    ends = np.concatenate([[0], np.cumsum(sizes)])
    batches = [(slice(top, min(top + BATCH, n)), slice(ends[top], ends[min(top + BATCH, n)]))
               for top in range(0, n, BATCH)]
    key_of: dict[str | None, int] = {}
    word_key = np.fromiter((key_of.setdefault(term_key(word), i) for i, word in enumerate(counts.words)),
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
    weights = np.array(field_weights(config))
    parts: list[sp.csr_matrix] = []
    for rows, at in batches:
        val = np.repeat(np.tile(weights, rows.stop - rows.start), counts.fields[rows].ravel()) * (
            1.0 + np.log(counts.count[at].astype(np.float64)))
        indptr = np.concatenate([[0], np.cumsum(sizes[rows])])
        part = sp.csr_matrix((val.astype(np.float32), column[counts.word[at]], indptr),
                             shape=(rows.stop - rows.start, t))
        part.sum_duplicates()  # sums a word's fields and case forms
        parts.append(part)
    is_tag = np.fromiter((d.startswith(TAG_PREFIX) for d in display), dtype=bool, count=len(display))
    return parts, display, is_tag, body_groups(counts.bodies)


def body_groups(bodies: Sequence[bytes]) -> np.ndarray:
    """Per article, the first article with the same body (digests of their words; empty bodies are
    all unique): the same body is never related."""
    seen: dict[bytes, int] = {}
    return np.array([seen.setdefault(body, i) if body else -1 - i for i, body in enumerate(bodies)], dtype=np.int64)


def _weigh(parts: list[sp.csr_matrix], terms: int) -> sp.csr_matrix:
    """TF-IDF (smooth idf), the K strongest terms of each row (ties: the term seen first), L2-normalised.
    ``parts`` (the term frequencies, batch by batch) are let go of as they are weighed."""
    n = sum(part.shape[0] for part in parts)
    df = np.zeros(terms, dtype=np.int64)
    for part in parts:
        df += np.bincount(part.indices, minlength=terms)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    data, indices, sizes = [], [], []
    parts.reverse()
    while parts:
        part = parts.pop()
        weight = part.data.astype(np.float64) * idf[part.indices]
        keep = np.sort(_top_in_rows(part.indptr, weight, TERMS_PER_ARTICLE))
        data.append(weight[keep])
        indices.append(part.indices[keep])
        sizes.append(np.minimum(np.diff(part.indptr), TERMS_PER_ARTICLE))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(sizes))]) if sizes else np.zeros(1, dtype=np.int64)
    x = sp.csr_matrix((np.concatenate(data) if data else np.empty(0),
                       np.concatenate(indices) if indices else np.empty(0, dtype=np.int32), indptr), shape=(n, terms))
    row = np.repeat(np.arange(n), np.diff(x.indptr))
    norms = np.sqrt(np.bincount(row, weights=x.data ** 2, minlength=n))
    x.data /= norms[row]
    return x


@dataclass(frozen=True, slots=True)
class Vectors:
    """Each article's weighted terms (rows newest first), and what pairing needs of the terms."""
    x: sp.csr_matrix      # articles x terms: TF-IDF of the K strongest terms, L2-normalised
    display: list[str]    # each term's display form
    is_tag: np.ndarray    # per term: a tag, not a word
    groups: np.ndarray    # per article: its body group (the same body: never related)


def term_vectors(counts: WordCounts, config: RelatedConfig) -> Vectors:
    """The articles' term vectors from their word counts. A caller that lets go of ``counts`` after
    this holds only the vectors (a tenth of the counts) while pairing: 1.9 GB less at a million."""
    tf, display, is_tag, groups = _tokenise(counts, config)
    return Vectors(_weigh(tf, max(1, len(display))), display, is_tag, groups)


def compute_related(articles: Sequence[Article], config: RelatedConfig, counts: WordCounts | None = None,
                    kept: int | None = None, vectors: Vectors | None = None) -> RelatedLists:
    """article.path -> its related articles above config.min_score, best first, at most config.listed.

    Articles without any match are left out. Ties go to the newer article, then the path.
    ``counts``: count_words of the same articles, newest first (counted here when not given),
    or ``vectors``, term_vectors of them. ``kept``: keep only the first this many of each (the
    same first ones), when no page lists more.
    """
    arts = sorted(articles, key=lambda a: a.sort_key)  # row order is the tie-break order
    n = len(arts)
    if n < 2 or config.listed <= 0:
        return RelatedLists.of_pairs(arts, [], [])
    if vectors is None:
        if counts is None:
            counts = count_words(arts, config, [content_digest(a) for a in arts])
        vectors = term_vectors(counts, config)
        del counts
    if vectors.x.shape[0] != n:
        raise ValueError(f"word counts of {vectors.x.shape[0]} articles given for {n}")
    x, display, is_tag, groups = vectors.x, vectors.display, vectors.is_tag, vectors.groups
    del vectors
    if x.nnz == 0:
        return RelatedLists.of_pairs(arts, [], [])
    postings = x.T.tocsr()  # terms x articles; each term keeps its M strongest articles (impact order)
    keep = np.sort(_top_in_rows(postings.indptr, postings.data, POSTINGS_PER_TERM, partial=True))
    postings = sp.csr_matrix((postings.data[keep], postings.indices[keep], np.concatenate(
        [[0], np.cumsum(np.minimum(np.diff(postings.indptr), POSTINGS_PER_TERM))])), shape=postings.shape)
    days = np.array([a.date.timestamp() / 86400.0 for a in arts])
    parts = list(_all_pairs(n, (x, postings, groups, days, config, is_tag,
                                config.listed if kept is None else min(kept, config.listed))))
    return RelatedLists.of_pairs(arts, parts, display)


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

    @classmethod
    def of_pairs(cls, arts: Sequence[Article], parts: list[tuple[np.ndarray, ...]], display: list[str]) -> "RelatedLists":
        """From each chunk's (rows, columns, scores, word numbers), chunks in row order."""
        rows, cols, scores, words = (np.concatenate([part[k] for part in parts]) if parts else None for k in range(4))
        if rows is None or not len(rows):
            return cls(arts, np.zeros(len(arts) + 1, dtype=np.int64), np.empty(0, dtype=np.int32), np.empty(0),
                       np.empty((0, SHOWN_TERMS), dtype=np.int32), [])
        used = np.unique(words[words >= 0])  # only the words shown: the vocabulary is far larger
        words = np.where(words >= 0, np.searchsorted(used, words), -1).astype(np.int32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(arts)))]).astype(np.int64)
        return cls(arts, indptr, cols.astype(np.int32), scores, words, list(map(display.__getitem__, used.tolist())))

    def __getitem__(self, path: str) -> tuple[Match, ...]:
        i = self._row[path]
        span = self._span(i)
        mine = tag_map(self._arts[i].tags)
        matches = []
        for j, score, shown in zip(self._cols[span].tolist(), self._scores[span].tolist(), self._shown_words(span)):
            other = self._arts[j]
            tags = tuple([t for key, t in tag_map(other.tags).items() if key in mine]) if mine else ()
            matches.append(Match(other, score, shown, tags))
        return tuple(matches)

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
        vocab = self._vocab
        return [tuple([vocab[w] for w in shown if w >= 0]) for shown in self._words[span].tolist()]

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
        columns = [self._cols.astype(np.int32), np.rint(self._scores * 100).astype(np.int32), codes[self._words]]
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


def _all_pairs(n: int, inputs: tuple) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The related pairs of each chunk of rows, chunk by chunk in order; across cores when there are
    many rows (each chunk's sparse products are independent of the others')."""
    global _forked
    starts = range(0, n, CHUNK_ROWS)
    workers = min(os.cpu_count() or 1, 8)
    _forked = inputs
    try:
        if n < PARALLEL_FROM or workers < 2:
            yield from map(_chunk_pairs, starts)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_chunk_pairs, starts)
    finally:
        _forked = None


def _chunk_pairs(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, scores, shown words' term numbers) of the pairs of the chunk of rows from ``start``."""
    assert _forked is not None
    x, postings, groups, days, config, is_tag, kept = _forked
    rows, cols, score, shared = _best_pairs(x, postings, start, groups, days, config, kept)
    return rows, cols, score, _shared_terms(shared, is_tag)


def _best_pairs(x: sp.csr_matrix, postings: sp.csr_matrix, start: int, groups: np.ndarray, days: np.ndarray,
                config: RelatedConfig, kept: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """(rows, cols, scores, per-term contributions) of the related pairs of one chunk of rows, best first.

    The pruned index gives a lower bound of each score; the best few by that bound (as many
    for any ``kept``, so the first ones never change) are rescored exactly, filtered by
    min_score and cut to ``kept``.
    """
    block = (x[start:start + CHUNK_ROWS] @ postings).tocsr()
    rows = start + np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    cols = block.indices.astype(np.int64)
    halflife = float(config.date_halflife_days)
    decay = 0.5 ** (np.abs(days[rows] - days[cols]) / halflife) if halflife > 0 else None
    rough = np.where((cols == rows) | (groups[cols] == groups[rows]), -np.inf,
                     block.data if decay is None else block.data * decay)
    pool = _top_in_rows(block.indptr, rough, config.listed + POOL_EXTRA, partial=True)
    pool = pool[np.argsort(rows[pool] * x.shape[0] + cols[pool])]  # by row, then column: the tie-break order
    rows, cols = rows[pool], cols[pool]
    shared = x[rows].multiply(x[cols]).tocsr()  # per-term contributions of each candidate pair
    shared.sort_indices()
    score = np.minimum(np.asarray(shared.sum(axis=1)).ravel(), 1.0)
    if decay is not None:
        score *= decay[pool]
    score[score < config.min_score] = -np.inf
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows - start, minlength=block.shape[0]))])
    final = _top_in_rows(indptr, score, kept)
    return rows[final], cols[final], score[final], shared[final]


def _shared_terms(shared: sp.csr_matrix, is_tag: np.ndarray) -> np.ndarray:
    """Per pair, the term numbers of the (up to 3) words that added most to its score, best first
    (ties: the term seen first), -1 where there are fewer: an array of pairs x 3."""
    value = np.where(is_tag[shared.indices] | (shared.data <= 0), -np.inf, shared.data)
    chosen = _top_in_rows(shared.indptr, value, SHOWN_TERMS)  # by pair, best first
    owner = np.searchsorted(shared.indptr, chosen, side="right") - 1
    rank = np.arange(len(chosen)) - np.searchsorted(owner, owner, side="left")
    words = np.full((shared.shape[0], SHOWN_TERMS), -1, dtype=np.int64)
    words[owner, rank] = shared.indices[chosen]
    return words
