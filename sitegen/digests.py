"""Digests of an article's fields, made once per article and kept with it (``Article.memo``).

Two passes over every article read all its fields on every build: the page keys' record (all
fields but the body, see pagekeys.prepare) and the related articles' check of what each
article's words come from (title, summary, tags and body, see indexes.words). At 10,000
articles they cost 0.1 s of each edit (and the related lists' row ids, 0.03 s). The article
cache pickles an article with its memo, so a build digests only the articles parsed anew (or
changed after parsing: a copy has no memo).
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator

from sitegen.bodies import digest_of
from sitegen.model import Article

# The fields but the body and what follows from it (a KeyRecord's bodies column stands for those).
PLANNED_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Article)
                                       if f.init and f.name not in ("body_html", "body_digest", "reading_time")))
SIZE = 16  # bytes of each digest


def planned_digest(article: Article) -> bytes:
    """All the article's fields but its body, reading time and where it came from the body."""
    return (article.memo or _memo(article))[:SIZE]


def content_digest(article: Article) -> bytes:
    """What an article's counted words come from: its title, summary, tags and body (by its
    digest: the body itself may be in the body store). ``fields_digest`` of every field, kept."""
    return (article.memo or _memo(article))[SIZE:2 * SIZE]


def row_id(article: Article) -> bytes:
    """8 bytes standing for the article's path and date: its identity as a row of the related
    articles' pairing (see indexes.similar.row_ids), which an edit to its other fields keeps."""
    return (article.memo or _memo(article))[2 * SIZE:]


def fields_digest(article: Article, summary: bool = True, tags: bool = True, body: bool = True) -> bytes:
    """A digest of the article's title and, as asked, its summary, tags and body (by its digest)."""
    h = hashlib.blake2b(repr((article.title, summary and article.summary, tags and article.tags)).encode("utf-8"),
                        digest_size=SIZE)
    if body:
        h.update(digest_of(article))
    return h.digest()


def _memo(article: Article) -> bytes:
    planned = hashlib.blake2b(repr(PLANNED_FIELDS(article)).encode("utf-8", "surrogateescape"), digest_size=SIZE)
    row = hashlib.blake2b(f"{article.path}\0{article.date.isoformat()}".encode("utf-8", "surrogateescape"),
                          digest_size=8)
    memo = planned.digest() + fields_digest(article) + row.digest()
    object.__setattr__(article, "memo", memo)  # a memo of fields that cannot change: frozen all the same
    return memo
