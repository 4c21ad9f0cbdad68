"""Words as related articles count them: each article's words per field (title, summary,
body, tags), without stopwords, kept between builds (WordCounts) so that an edit counts only
the edited articles. Counting is half the cost of computing the related articles of the
whole archive (similar.py).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.config import RelatedConfig
from sitegen.digests import content_digest, fields_digest
from sitegen.forked import Forked, Unavailable
from sitegen.indexes.lazy import np
from sitegen.markdown import ASCII_SPACES
from sitegen.model import Article

BATCH = 2000             # articles counted (and weighed) per batch: bounds the temporary arrays
PARALLEL_FROM = 300      # fewer articles to count than this are counted faster in one process (see _count_across)
TAG_PREFIX = "#tag:"

WORD = re.compile(r"\w{3,}")
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


def plain_text(body_html: str) -> str:
    """Body text without markup: a regex is enough for our own markdown output, and fast."""
    return html.unescape(MARKUP.sub(" ", body_html))


def weighed_digest(article: Article, config: RelatedConfig) -> bytes:
    """A digest of what an article's related list is computed from: the fields weighed above 0, and
    its title (stories show it). With bodies weighed 0 (lists by tags, as Hugo's and Pelican's go),
    a body edit leaves every list as it was. The content_digest when every field is weighed."""
    _, summary, body, tags = (weight > 0 for weight in field_weights(config))
    if summary and body and tags:
        return content_digest(article)
    return fields_digest(article, summary, tags, body)


def counts_key(config: RelatedConfig) -> bytes:
    """What kept WordCounts depend on besides the articles: this code and which fields are counted."""
    h = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16)
    h.update(repr([weight > 0 for weight in field_weights(config)]).encode("utf-8"))
    return h.digest()


@dataclass(frozen=True, slots=True)
class WordCounts:
    """Each article's words as counted for related articles, in flat arrays, one row per article.

    Counting is half the cost of related articles; these are kept between builds so that an
    edit counts only the edited articles. Flat arrays, not objects per article: small to keep
    and quick to load.
    """

    words: tuple[str, ...]      # the words below, by number: lowercase, no stopwords, tags as '#tag:key'
    digests: tuple[bytes, ...]  # per article: its content_digest
    bodies: tuple[bytes, ...]   # per article: a digest of its body's words (b"": none); the same body, the same digest
    fields: np.ndarray          # per article: how many distinct words its title, summary, body and tags have (n x 4)
    word: np.ndarray            # per distinct word of each field, article by article, first seen first: its number
    count: np.ndarray           # and how many times it occurs in that field
    counted: int = 0            # articles counted anew (the others were kept from the last build)

    def entries(self, rows: np.ndarray) -> np.ndarray:
        """Where the counted words of ``rows`` are in ``word`` and ``count``, row after row."""
        sizes = self.fields.sum(axis=1)
        return spans((np.cumsum(sizes) - sizes)[rows], sizes[rows])


def spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions of the spans [start, start + size), one after another: the entries of some
    rows of a row-grouped array."""
    ends = np.cumsum(sizes)
    return np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts - (ends - sizes), sizes)


def count_words(articles: Sequence[Article], config: RelatedConfig, digests: Sequence[bytes],
                kept: WordCounts | None = None, bodies: BodyStore = NO_BODIES) -> WordCounts:
    """The counted words of ``articles`` (newest first; ``digests`` their content_digest): taken
    from ``kept`` (the last build's) for the articles it has, counted anew for the others (their
    bodies read from ``bodies`` when the articles do not hold them)."""
    row_of = dict(zip(kept.digests, range(len(kept.digests)))) if kept is not None else {}
    rows = [row_of.get(digest, -1) for digest in digests]
    fresh = [i for i, row in enumerate(rows) if row < 0]
    new = _count_across([articles[i] for i in fresh], config, [digests[i] for i in fresh], bodies)
    if kept is None or len(fresh) == len(articles):
        return new
    if len(kept.digests) == len(articles) and all(row == i for i, row in enumerate(rows) if row >= 0):
        return replace(replaced_rows(kept, fresh, new), counted=len(fresh))  # an edit in place: most rebuilds
    for k, i in enumerate(fresh):
        rows[i] = len(kept.digests) + k
    both = _join(kept, new)
    del kept, new  # a third copy of the arrays would raise the peak memory
    return replace(take_rows(both, np.array(rows, dtype=np.int64)), counted=len(fresh))


def _count_across(articles: Sequence[Article], config: RelatedConfig, digests: Sequence[bytes],
                  bodies: BodyStore) -> WordCounts:
    """``_count``, across the cores when there are many articles (a cold build): the first part
    counted here while a forked child (forked.py) counts each other part, the parts joined in
    order. The result is the same as one process's (word numbers aside, which the term matrix
    does not depend on). Counting its own part, with a child forked bare for the other, took
    0.13 s for 1,000 articles where a pool of two workers took 0.19 s and one process 0.23 s
    (the pool's start and end cost 70 ms, a bare child 20). A child that fails has its part
    counted here."""
    global _forked
    workers = min(os.cpu_count() or 1, 8)
    if len(articles) < PARALLEL_FROM or workers < 2:
        return _count(articles, config, digests, bodies)
    step = -(-len(articles) // workers)
    bounds = [(i, min(i + step, len(articles))) for i in range(0, len(articles), step)]
    _forked = (articles, config, digests, bodies)  # inherited by the children, not pickled to them
    try:
        children = [Forked(_count_part, part) for part in bounds[1:]]
        parts = [_count_part(bounds[0])]
        for child, part in zip(children, bounds[1:]):
            try:
                parts.append(child.result())
            except Unavailable:
                parts.append(_count_part(part))
    finally:
        _forked = None
    joined = parts[0]
    for made in parts[1:]:
        joined = _join(joined, made)
    return replace(joined, counted=len(articles))


_forked: tuple[Sequence[Article], RelatedConfig, Sequence[bytes], BodyStore] | None = None


def _count_part(bounds: tuple[int, int]) -> WordCounts:
    assert _forked is not None
    articles, config, digests, bodies = _forked
    return _count(articles[bounds[0]:bounds[1]], config, digests[bounds[0]:bounds[1]], bodies)


def _count(articles: Sequence[Article], config: RelatedConfig, digests: Sequence[bytes],
           store: BodyStore = NO_BODIES) -> WordCounts:
    """Count the words of each field of each article: the Python loop only counts; stopwords are
    dropped per batch on arrays (batches bound the temporary lists)."""
    on = [weight > 0 for weight in field_weights(config)]
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
            body = words_of(plain_text(store.html(article)))
            # The same body: the same words in the same order, whatever the markup, case and punctuation.
            bodies.append(hashlib.blake2b(" ".join(body).encode("utf-8"), digest_size=16).digest() if body else b"")
            texts = (words_of(article.title) if on[0] and article.title else (),
                     words_of(article.summary) if on[1] and article.summary else (),
                     body if on[2] else (),
                     [TAG_PREFIX + key for key in tag_map(article.tags)] if on[3] else ())  # each tag once
            sizes.extend(_count_field(words, vocab, ids, counts) for words in texts)
        new = list(vocab)[len(is_term):]
        is_term = np.concatenate([is_term, np.fromiter((term_key(w) is not None for w in new), dtype=bool, count=len(new))])
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


def replaced_rows(kept: WordCounts, at: Sequence[int], new: WordCounts) -> WordCounts:
    """``kept`` with its rows ``at`` (ascending) replaced by ``new``'s, one each in order: the same
    as ``take_rows(_join(kept, new), rows)`` when every other row keeps its place, without
    gathering every entry (at 10,000 articles 1.9 million of them: 0.03 of 0.04 s)."""
    number = dict(zip(kept.words, range(len(kept.words))))
    renumber = np.fromiter((number.setdefault(word, len(number)) for word in new.words), dtype=np.int64,
                           count=len(new.words))
    words = tuple(number)
    # Word numbers in kept's width or the next that holds them all, never wider: at a million
    # articles the entries are 190 million, 1.5 GB as 64-bit numbers.
    width = np.promote_types(kept.word.dtype, _small(np.empty(0, dtype=np.int64), len(words)).dtype)
    kept_ends, new_ends = np.cumsum(kept.fields.sum(axis=1)), np.cumsum(new.fields.sum(axis=1)).tolist()
    new_word = renumber[new.word].astype(width)
    word, count = [], []
    done = 0  # the entries of kept taken so far
    for k, row in enumerate(at):
        start, end = (int(kept_ends[row - 1]) if row else 0), int(kept_ends[row])
        first = new_ends[k - 1] if k else 0
        word += [kept.word[done:start], new_word[first:new_ends[k]]]
        count += [kept.count[done:start], new.count[first:new_ends[k]]]
        done = end
    word.append(kept.word[done:])
    count.append(kept.count[done:])
    joined = np.concatenate(word, dtype=width)
    used = np.zeros(len(words), dtype=bool)
    used[joined] = True
    if not used.all():  # words only the replaced rows had
        words = tuple(map(words.__getitem__, np.flatnonzero(used).tolist()))
        joined = _small(np.cumsum(used) - 1, len(words))[joined]
    fields = kept.fields.copy()
    fields[list(at)] = new.fields
    digests, bodies = list(kept.digests), list(kept.bodies)
    for k, row in enumerate(at):
        digests[row], bodies[row] = new.digests[k], new.bodies[k]
    return WordCounts(words, tuple(digests), tuple(bodies), fields, _small(joined, len(words)),
                      np.concatenate(count).astype(np.result_type(kept.count, new.count), copy=False))


def take_rows(counts: WordCounts, rows: np.ndarray) -> WordCounts:
    """The articles ``rows`` of ``counts``, in that order, with only the words they use (numbered in the same order)."""
    sizes = counts.fields.sum(axis=1)
    starts, lengths = (np.cumsum(sizes) - sizes)[rows], sizes[rows]
    word = np.empty(int(lengths.sum()), dtype=counts.word.dtype)
    times = np.empty(len(word), dtype=counts.count.dtype)
    done = 0
    for top in range(0, len(rows), BATCH):  # in batches: bounds the temporary index arrays
        at = spans(starts[top:top + BATCH], lengths[top:top + BATCH])  # the entries of these rows
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


def field_weights(config: RelatedConfig) -> tuple[float, float, float, float]:
    return config.title_weight, config.summary_weight, config.body_weight, config.tags_weight


def words_of(text: str) -> list[str]:
    """Lowercase words of three or more letters or digits, in order. On ASCII text (most), the runs
    of word characters left when every other byte is made a space: a quarter less time than WORD."""
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():
        return [word for word in text.encode("ascii").translate(ASCII_SPACES).decode("ascii").split() if len(word) > 2]
    return WORD.findall(text)


@functools.lru_cache(maxsize=1 << 16)
def tag_key(tag: str) -> str:
    """Tags compare whole, ignoring case and spacing: 'Foreign  Minister' is 'foreign minister'.
    Remembered: an archive has a few thousand tags, read on every article's related list."""
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


def tag_map(tags: Sequence[str]) -> dict[str, str]:
    """tag key -> the tag as first written, in the article's order."""
    found: dict[str, str] = {}
    for tag in tags:
        if tag.strip():
            found.setdefault(tag_key(tag), tag)
    return found


def term_key(word: str) -> str | None:
    """The term a lowercase word counts for (None: a stopword, number or underscores)."""
    key = word if word.startswith(TAG_PREFIX) else word.casefold()
    bare = key.replace("_", "")
    return None if key in STOPWORDS or not bare or bare.isdigit() else key
