"""Related lists after an edit, computed again only for the rows the edit can reach.

An article added, removed, renamed or moved in time is an edit too: the last build's rows are
found among this build's by their ids (path and date; row_map), rows gone are dropped from
the vectors, postings and lists, and rows added come in empty and are weighed like edited ones.

An edit changes the edited articles' vectors, and through document frequencies the IDF of
their words; with document frequencies counted in 5% steps (similar.idf_table) an edit
moves a word's IDF only when its count crosses a step, so most edits leave every other
vector as it was. A row's list is a function of its own vector, the postings of its terms
and its candidates' vectors (similar._best_pairs), so the rows to compute again are:

- rows whose vector changed;
- rows whose pool (the candidates they rescored) holds a row whose vector changed, a row
  that entered or left some term's postings, or a row gone;
- rows for which a changed row, or one that entered some postings, now scores at least the
  cut of their pool (it may enter it).

Every other row's candidates, their rough scores and so their pool and list are what they
were. The result is the cold computation's, bit for bit (tests/test_related_repair.py); past
REPAIR_SHARE of the rows to weigh (AGAIN_SHARE to pair), the whole computation is quicker and
is done instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sitegen.config import RelatedConfig
from sitegen.indexes.csr import Csr, column_slice, columns as columns_of, product, ptr_of, ptr_of_sizes
from sitegen.indexes.lazy import distinct, np, union, within
from sitegen.indexes.similar import (CHUNK_ROWS, Columns, Pairing, Pairs, RelatedLists, _splice, all_pairs,
                                     article_days, body_groups, date_decay, display_forms, idf_steps, idf_table,
                                     n_step, postings_of, tag_terms, term_frequencies, weigh)
from sitegen.indexes.words import WordCounts, take_rows, term_key
from sitegen.model import Article

REPAIR_SHARE = 0.25  # past this share of rows edited, added or gone, or to weigh again, compute them all (across cores)
# Past this share of rows to pair again, likewise. Pairing a row again costs what the whole
# computation spends on it, but the whole one also weighs every row and makes every posting:
# an article added at 10,000 weighs 8% of the rows again and pairs 57% (its words move other
# terms' IDF steps), in 0.82 s against 1.4 s for all; three added, 14% and 62%, 0.91 s; six,
# 28% weighed and 79% paired, 1.6 s (past REPAIR_SHARE: not repaired).
AGAIN_SHARE = 0.7
FEW_ROWS = 200       # rows to score again in numpy alone, without importing scipy (see csr.py)
ROUGH_SLACK = 1e-9   # a candidate this close under a pool's cut is taken as reaching it


def repaired(last: Pairing, arts: Sequence[Article], rows: np.ndarray, counts: WordCounts, before: WordCounts | None,
             config: RelatedConfig, kept: int) -> tuple[RelatedLists, Pairing] | None:
    """The related lists of ``arts`` (newest first; ``rows`` their row_ids; ``counts`` their word
    counts), and their Pairing, from the last build's ``last`` and its word counts of (at least)
    the articles edited or removed since (``before``, edited_before's): None when the articles
    kept are not in the same order, a body is now shared with another, the archive's size moved
    every IDF (similar.n_step), or the change reaches too many rows. Articles added, removed,
    renamed or moved in time are rows inserted and dropped: an added row is weighed and paired
    like an edited one, and the rows that pooled a removed one are paired again."""
    n = len(arts)
    if last.kept != kept or len(counts.digests) != n or len(rows) != n or before is None:
        return None
    to = row_map(last.rows, rows)
    if to is None:
        return None
    stay = np.flatnonzero(to >= 0)  # old rows kept, and their new rows
    gone = np.flatnonzero(to < 0)
    hit = np.ones(n, dtype=bool)
    hit[to[stay]] = False
    added = np.flatnonzero(hit)  # rows new to this build
    if len(gone) + len(added) and n_step(n) != n_step(len(to)):
        return None  # every IDF moved
    moved = bool(len(gone) or len(added))  # (else an edit in place: most rebuilds, kept quick)
    groups = body_groups(counts.bodies)
    if not (_same_groups(last.groups, groups, to, stay, added) if moved else np.array_equal(groups, last.groups)):
        return None
    edited = np.array([new for old, new in zip(stay.tolist(), to[stay].tolist())
                       if counts.digests[new] != last.digests[old]], dtype=np.int64)
    if len(edited) + len(added) + len(gone) > REPAIR_SHARE * n:
        return None
    origin = np.full(n, -1, dtype=np.int64)
    origin[to[stay]] = stay  # each new row's old row
    row_before = dict(zip(before.digests, range(len(before.digests))))
    old_rows = np.array([row_before.get(last.digests[i], -1) for i in np.concatenate([origin[edited], gone]).tolist()],
                        dtype=np.int64)  # the last counts of the rows edited and gone, in ``before``
    if (old_rows < 0).any():
        return None
    columns = Columns.of(counts.words, last.terms)
    t = len(columns.terms)
    old_x, postings, df, words = _renumbered(last, columns.terms)
    pairs = replace(last.pairs, words=words)
    gone_terms = np.empty(0, dtype=np.int64)  # the terms the rows gone held: their postings change
    pooled_gone = np.empty(0, dtype=np.int64)  # the rows that pooled a row gone
    if moved:
        gone_terms = distinct(old_x.rows(gone).indices)
        pooled_gone = to[_pooling(pairs, gone)]
        pooled_gone = pooled_gone[pooled_gone >= 0]
        old_x, postings, pairs = _moved(old_x, postings, pairs, to, n)
    # Document frequencies: the edited and gone rows' terms out, the edited and added rows' in.
    old_columns = _columns_of_rows(before, old_rows, columns.terms)
    if old_columns is None:
        return None
    fresh_rows = union(edited, added)
    old_tf = term_frequencies(before, config, old_columns, old_rows)
    new_df = (df - np.bincount(old_tf.indices, minlength=t)
              + np.bincount(term_frequencies(counts, config, columns, fresh_rows).indices, minlength=t))
    if new_df.min(initial=0) < 0:
        return None
    steps = idf_steps(new_df)
    # Rows to weigh again: the edited and added ones and those holding a term whose IDF moved a step.
    weighed = union(fresh_rows, _holding(counts, columns, np.flatnonzero(steps != idf_steps(df))))
    if len(weighed) > REPAIR_SHARE * n:
        return None
    fresh = weigh(term_frequencies(counts, config, columns, weighed), idf_table(n)[steps])
    changed = union(_changed_rows(old_x, weighed, fresh), added)  # (an added row is paired even without terms)
    x = _rows_replaced(old_x, weighed, fresh) if len(changed) else old_x
    if len(changed) or len(gone):
        # The postings of the terms the changed rows held or hold now (and the rows gone held), and
        # who entered or left them.
        touched = union(union(old_x.rows(changed).indices, x.rows(changed).indices), gone_terms)
        new_postings = postings_of(columns_of(x, touched))
        entered, left = _moves(postings.rows(touched), new_postings, n)
        postings = _rows_replaced(postings, touched, new_postings)
        movers = union(changed, entered)
        days = article_days(arts)
        again = union(union(union(changed, pooled_gone), _pooling(pairs, union(movers, left))),
                      _reaching(x, postings, movers, pairs.cut, groups, days, config))
        if len(again) > AGAIN_SHARE * n:
            return None
        chunks = [again[top:top + CHUNK_ROWS] for top in range(0, len(again), CHUNK_ROWS)]
        # A few rows in numpy (most edits); more through scipy's faster products (imported only then).
        vectors, index = (x, postings) if len(again) <= FEW_ROWS else (x.matrix(), postings.matrix())
        done = all_pairs(chunks, (vectors, index, groups, days, config, tag_terms(columns.terms), kept))
        pairs = pairs.spliced(again, Pairs.joined(list(done)))
    pairing = Pairing(rows, counts.digests, groups, columns.terms, new_df, x, postings, pairs, kept)
    return pairs.lists(arts, display_forms(counts.words, columns)), pairing


def edited_before(last: Pairing, rows: np.ndarray, digests: Sequence[bytes], kept: WordCounts) -> WordCounts | None:
    """The word counts, from ``kept`` (the last build's), of the articles of ``last`` edited since
    (their content digest is not ``digests``' for the same row of ``rows``, this build's row_ids)
    or gone: what ``repaired`` reads of the last build's counts. None when there are too many,
    the rows kept are not in order, or ``kept`` lacks one."""
    to = row_map(last.rows, rows)
    if to is None:
        return None
    edited = [old for old, new in zip(last.digests, to.tolist()) if new < 0 or digests[new] != old]
    if len(edited) + max(0, len(digests) - len(to)) > REPAIR_SHARE * len(digests):
        return None
    row = dict(zip(kept.digests, range(len(kept.digests))))
    found = [row.get(digest, -1) for digest in edited]
    return None if -1 in found else take_rows(kept, np.array(found, dtype=np.int64))


def row_map(old: np.ndarray, new: np.ndarray) -> np.ndarray | None:
    """Per row of ``old`` (the last build's row_ids), its row in ``new`` (this build's), -1 when
    it is gone; None unless the rows kept keep their order (newest first: an article's order
    among the others follows from its date and path, which its row id covers)."""
    if len(old) == len(new) and np.array_equal(old, new):
        return np.arange(len(old), dtype=np.int64)
    if not len(new):
        return np.full(len(old), -1, dtype=np.int64)
    order = np.argsort(new, kind="stable")
    ranked = new[order]
    if bool((ranked[1:] == ranked[:-1]).any()):  # two articles of one id (8 bytes of a digest): not told apart
        return None
    at = np.minimum(np.searchsorted(ranked, old), len(new) - 1)
    to = np.where(ranked[at] == old, order[at], -1).astype(np.int64)
    kept = to[to >= 0]
    return to if len(kept) < 2 or bool((np.diff(kept) > 0).all()) else None


def _same_groups(old: np.ndarray, new: np.ndarray, to: np.ndarray, stay: np.ndarray, added: np.ndarray) -> bool:
    """Whether the rows kept share bodies as they did (the same partition into body groups), and
    each added row's body is its own: pairing reads groups only as equal or not."""
    a, b = old[stay], new[to[stay]]
    groups = len(distinct(a))
    span = 2 * (len(new) + len(old)) + 2  # group numbers lie in [-rows - 1, rows)
    if len(distinct(b)) != groups or len(distinct((a + span // 2) * span + (b + span // 2))) != groups:
        return False
    if not len(added):
        return True
    shift = new + len(new) + 1
    return bool((np.bincount(shift, minlength=2 * len(new) + 2)[shift[added]] == 1).all())


def _moved(x: Csr, postings: Csr, pairs: Pairs, to: np.ndarray, n: int) -> tuple[Csr, Csr, Pairs]:
    """The last build's vectors, postings and pairs with its rows moved to this build's ``n``
    (``to``: each old row's new row, -1 when gone): rows gone dropped, from the postings too; rows
    added empty; row numbers in postings, lists and pools renumbered (a row gone as -1, in the
    lists and pools of rows that are paired again)."""
    stay = to >= 0
    indptr, (data, indices) = _regrouped(x.indptr, (x.data, x.indices), to, n)
    x = Csr(data, indices, indptr, (n, x.shape[1]))
    held = stay[postings.indices]
    owner = np.repeat(np.arange(postings.shape[0]), np.diff(postings.indptr))[held]
    postings = Csr(postings.data[held], to[postings.indices[held]].astype(postings.indices.dtype),
                   ptr_of(owner, postings.shape[0]), (postings.shape[0], n))
    ptr, (cols, scores, words) = _regrouped(pairs.ptr, (pairs.cols, pairs.scores, pairs.words), to, n)
    pool_ptr, (pool,) = _regrouped(pairs.pool_ptr, (pairs.pool,), to, n)
    cut = np.full(n, -np.inf)
    cut[to[stay]] = pairs.cut[stay]
    return x, postings, Pairs(ptr, to[cols].astype(cols.dtype), scores, words, pool_ptr,
                              to[pool].astype(pool.dtype), cut)


def _regrouped(ptr: np.ndarray, arrays: tuple[np.ndarray, ...], to: np.ndarray, n: int
               ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Row-grouped ``arrays`` (CSR ``ptr``) with old row i's group as row ``to[i]``'s (dropped when
    -1), of ``n`` rows (the others empty). The rows kept keep their order, so their groups do."""
    sizes = np.diff(ptr)
    stay = to >= 0
    keep = np.repeat(stay, sizes)
    moved = np.zeros(n, dtype=np.int64)
    moved[to[stay]] = sizes[stay]
    return ptr_of_sizes(moved), tuple(array[keep] for array in arrays)


def _renumbered(last: Pairing, terms: list[str]) -> tuple[Csr, Csr, np.ndarray, np.ndarray]:
    """The last build's vectors, postings, document frequencies and shown words with ``terms`` (the
    last build's and new ones, sorted) as the columns: each old term's column moves up by the new
    terms sorted before it, so every row stays in column order."""
    x, postings, df, words = last.x, last.postings, last.df, last.pairs.words
    if terms == last.terms:
        return x, postings, df, words
    at = {term: i for i, term in enumerate(terms)}
    to = np.fromiter((at[term] for term in last.terms), dtype=np.int64, count=len(last.terms))
    t = len(terms)
    x = Csr(x.data, to[x.indices].astype(x.indices.dtype), x.indptr, (x.shape[0], t))
    sizes = np.zeros(t, dtype=np.int64)
    sizes[to] = np.diff(postings.indptr)
    postings = Csr(postings.data, postings.indices, ptr_of_sizes(sizes), (t, postings.shape[1]))
    moved_df = np.zeros(t, dtype=df.dtype)
    moved_df[to] = df
    return x, postings, moved_df, np.where(words >= 0, to[words], -1).astype(words.dtype)


def _columns_of_rows(counts: WordCounts, rows: np.ndarray, terms: list[str]) -> Columns | None:
    """The columns of the words of ``rows`` of ``counts`` among ``terms`` (others: -1, never read);
    None if one of them is not among ``terms``. Only these rows' words: the rest may be many."""
    used = distinct(counts.word[counts.entries(rows)])
    at = {term: i for i, term in enumerate(terms)}
    column = np.full(len(counts.words), -1, dtype=np.int64)
    for word in used.tolist():
        key = term_key(counts.words[word])
        if key is not None:
            if key not in at:
                return None
            column[word] = at[key]
    return Columns(terms, column)


def _holding(counts: WordCounts, columns: Columns, terms: np.ndarray) -> np.ndarray:
    """The rows whose counted words hold any of ``terms``."""
    if not len(terms):
        return np.empty(0, dtype=np.int64)
    marked = np.zeros(len(columns.terms) + 1, dtype=bool)  # the last: words that are no term (-1)
    marked[terms] = True
    # Marked by word, then looked up once per counted word (a gather of columns first, then of
    # marks, took twice as long: 0.03 s of an edit at 10,000 articles).
    hits = np.flatnonzero(marked[columns.column][counts.word])
    return distinct(np.searchsorted(np.cumsum(counts.fields.sum(axis=1)), hits, side="right"))


def _changed_rows(x: Csr, rows: np.ndarray, fresh: Csr) -> np.ndarray:
    """Those of ``rows`` whose vector in ``fresh`` (a row each) is not the same bits as in ``x``."""
    old = x.rows(rows)
    changed = []
    for k, (a, b, c, d) in enumerate(zip(old.indptr[:-1].tolist(), old.indptr[1:].tolist(),
                                         fresh.indptr[:-1].tolist(), fresh.indptr[1:].tolist())):
        if (b - a != d - c or not np.array_equal(old.indices[a:b], fresh.indices[c:d])
                or not np.array_equal(old.data[a:b], fresh.data[c:d])):
            changed.append(rows[k])
    return np.array(changed, dtype=np.int64)


def _rows_replaced(m: Csr, rows: np.ndarray, new: Csr) -> Csr:
    """``m`` with its ``rows`` (sorted) those of ``new`` (a row each)."""
    indptr, (indices, data) = _splice(m.indptr, (m.indices, m.data), rows, new.indptr, (new.indices, new.data))
    return Csr(data, indices.astype(m.indices.dtype), indptr, m.shape)


def _moves(old: Csr, new: Csr, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows that entered, rows that left) the postings of some term, from the old and new postings
    of the same terms."""
    def keys(m: Csr) -> np.ndarray:
        return np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)) * n + m.indices
    a, b = keys(old), keys(new)
    a, b = distinct(a), distinct(b)
    return distinct(b[~within(b, a)] % n), distinct(a[~within(a, b)] % n)


def _pooling(pairs: Pairs, marked_rows: np.ndarray) -> np.ndarray:
    """The rows whose pool holds any of ``marked_rows``."""
    marked = np.zeros(len(pairs.cut), dtype=bool)
    marked[marked_rows] = True
    hits = np.flatnonzero(marked[pairs.pool])
    return distinct(np.searchsorted(pairs.pool_ptr, hits, side="right") - 1)


def _reaching(x: Csr, postings: Csr, movers: np.ndarray, cut: np.ndarray, groups: np.ndarray,
              days: np.ndarray, config: RelatedConfig) -> np.ndarray:
    """The rows for which one of ``movers`` now has a rough score (with the date preference) at
    least their pool's cut: it may enter their pool."""
    if not len(movers):
        return np.empty(0, dtype=np.int64)
    rough = product(x, column_slice(postings, movers))
    rows = np.repeat(np.arange(rough.shape[0], dtype=np.int64), np.diff(rough.indptr))
    others, value = movers[rough.indices], rough.data
    halflife = float(config.date_halflife_days)
    if halflife > 0:
        value = value * date_decay(days[rows] - days[others], halflife)
    reach = (value >= cut[rows] - ROUGH_SLACK) & (rows != others) & (groups[rows] != groups[others])
    return distinct(rows[reach])
