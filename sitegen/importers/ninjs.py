"""IPTC ninjs (News in JSON) 1.x and 2.x: one item per `.json` file, or an array of items.

| ninjs | sitegen |
|---|---|
| `headline` (1.x), `headlines` (2.x) | title |
| `firstcreated`, else `versioncreated` | date; a later `versioncreated` is `updated` |
| `subject` (1.x), `subjects` (2.x): name, else code | the first is the section, the others tags (and `keywords`) |
| `byline` (1.x), `by` (2.x) | authors ('By A and B' is two) |
| `body_html`, `body_xhtml`, `body_text` (1.x), `bodies` (2.x) | the body, HTML converted to Markdown |
| `description_text`, `description_html`, `description` (1.x), `descriptions` (2.x) | summary |
| `slugline` | slug |
| `located` | opens the body ('Paris — …') unless the body names it already |
| `copyrightholder` | source |
| `uri`, when it is a web address | an alias (its path) |
| `associations`: a picture | image (its `original` rendition, else the widest), caption, credit |
| `pubstatus` withheld or canceled | draft |

Items of another `type` than text (pictures, packages) are left out with a warning.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any

from sitegen.importers.common import (Entry, Outcome, Source, date_problem, files_below, html_to_markdown,
                                      html_to_text, iso_date, name_list, one_line, text_to_markdown, unique,
                                      url_path)
from sitegen.model import slugify

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')  # strings (whole, so brackets in them are skipped), brackets
COLON = re.compile(r"\s*:")
FEATURED = ("featureimage", "featuremedia", "main")


def sources(src: Path) -> list[tuple[Path, str]]:
    return files_below(src, (".json",))


def convert(source: Source) -> Outcome:
    out = Outcome()
    where = source.shown
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        return out.fail(where, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        return out.fail(where, 1, "expected a ninjs object, or an array of them")
    for item, (start, keys) in zip(items, key_lines(source.text)):
        _item(item, start, keys, where, out)
    return out


def key_lines(text: str) -> list[tuple[int, dict[str, int]]]:
    """For each item of a valid JSON document (the object, or each object of the top-level
    array): the line it starts on and the line of each of its own keys."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    items: list[tuple[int, dict[str, int]]] = []
    stack: list[tuple[str, dict[str, int] | None]] = []  # open brackets, with the keys of a top-level item
    for m in TOKEN.finditer(text):
        token, line = m.group(), bisect.bisect(newlines, m.start()) + 1
        if token in ("{", "["):
            keys = None
            if token == "{" and (not stack or (len(stack) == 1 and stack[0][0] == "[")):
                keys = {}
                items.append((line, keys))
            stack.append((token, keys))
        elif token in ("}", "]"):
            stack.pop()
        elif stack and stack[-1][1] is not None and COLON.match(text, m.end()):
            stack[-1][1].setdefault(json.loads(token), line)
    return items


def _item(item: dict[str, Any], start: int, keys: dict[str, int], where: str, out: Outcome) -> None:
    def at(key: str) -> int:
        return keys.get(key, start)

    kind = item.get("type", "text")
    if kind != "text":
        out.warn(where, at("type"), f"a ninjs item of type {kind!r}, not an article: left out")
        return
    title = one_line(item.get("headline")) or _first(item.get("headlines"))
    if not title:
        out.fail(where, start, "missing headline")
        return
    dates = {}
    for key in ("firstcreated", "versioncreated"):
        if item.get(key):
            try:
                dates[key] = iso_date(item[key])
            except ValueError:
                out.fail(where, at(key), date_problem(key, item[key]))
                return
    if not dates:
        out.fail(where, start, "missing versioncreated (or firstcreated)")
        return
    date = dates.get("firstcreated") or dates["versioncreated"]
    subjects = name_list([(s.get("name") or s.get("code") or s.get("literal")) if isinstance(s, dict) else s
                          for s in (item.get("subject") or item.get("subjects") or [])])
    status = one_line(item.get("pubstatus")).lower()
    if status in ("withheld", "canceled"):
        out.warn(where, at("pubstatus"), f"pubstatus '{status}': imported as a draft")
    body = _body(item, title)
    located = one_line(item.get("located"))
    if located and body and located.split(",")[0].casefold() not in body[:120].casefold():
        body = f"{located} — {body}" if re.match(r"[\w\"'“‘(]", body) else f"{located}\n\n{body}"
    uri, slugline = one_line(item.get("uri")), one_line(item.get("slugline"))
    picture = _picture(item, where, at("associations"), out)
    out.entries.append(Entry(
        origin=where, line=start, title=title, date=date, body=body,
        updated=dates.get("versioncreated", "") if dates.get("versioncreated", date) != date else "",
        slug=slugify(slugline) if slugline else "",
        section=subjects[0] if subjects else "",
        tags=unique(subjects[1:], name_list(item.get("keywords"))),
        authors=_byline(one_line(item.get("byline") or item.get("by"))),
        source=one_line(item.get("copyrightholder")),
        summary=_summary(item),
        image=picture[0], image_caption=picture[1], image_credit=picture[2],
        draft=status in ("withheld", "canceled"),
        aliases=(url_path(uri),) if re.match(r"^https?://[^/]+/.", uri) else (),
    ))


def _first(values: Any, preferred: tuple[str, ...] = ("main",)) -> str:
    """The value of a 2.x list of {role, value, contenttype}: the preferred role, else the first."""
    if not isinstance(values, list):
        return ""
    found = [v for v in values if isinstance(v, dict) and isinstance(v.get("value"), str)]
    chosen = next((v for v in found if v.get("role") in preferred), found[0] if found else None)
    if chosen is None:
        return ""
    value = chosen["value"]
    return html_to_text(value) if "html" in str(chosen.get("contenttype", "")) else one_line(value)


def _body(item: dict[str, Any], title: str) -> str:
    markup = item.get("body_html") or item.get("body_xhtml")
    if isinstance(markup, str) and markup.strip():
        return html_to_markdown(markup, title)
    bodies = [b for b in item.get("bodies") or [] if isinstance(b, dict) and isinstance(b.get("value"), str)]
    html_bodies = [b for b in bodies if "html" in str(b.get("contenttype", ""))]
    if html_bodies:
        return html_to_markdown(html_bodies[0]["value"], title)
    text = item.get("body_text") or (bodies[0]["value"] if bodies else "")
    # ninjs plain text breaks paragraphs with one newline
    return text_to_markdown(re.sub(r"\n+", "\n\n", text)) if isinstance(text, str) and text.strip() else ""


def _summary(item: dict[str, Any]) -> str:
    for key in ("description_text", "description"):
        if isinstance(item.get(key), str) and item[key].strip():
            return one_line(item[key])
    if isinstance(item.get("description_html"), str):
        return html_to_text(item["description_html"])
    return _first(item.get("descriptions"), ("summary", "text"))


def _byline(text: str) -> tuple[str, ...]:
    """'By Jane Doe and John Roe' -> ('Jane Doe', 'John Roe')."""
    text = re.sub(r"^by\s+", "", text, flags=re.I)
    return name_list(re.split(r",\s*|\s+and\s+|\s*&\s*", text) if text else [])


def _picture(item: dict[str, Any], where: str, line: int, out: Outcome) -> tuple[str, str, str]:
    """(href, caption, credit) of the item's picture: a featured one, else the first."""
    associations = item.get("associations") or {}
    pairs = list(associations.items()) if isinstance(associations, dict) else \
        [(a.get("name", ""), a) for a in associations if isinstance(a, dict)]
    pictures = [(name, a) for name, a in pairs if isinstance(a, dict) and a.get("type") == "picture"]
    if not pictures:
        return "", "", ""
    name, picture = next(((n, a) for n, a in pictures if n in FEATURED), pictures[0])
    renditions = picture.get("renditions") or {}
    options = list(renditions.items()) if isinstance(renditions, dict) else \
        [(r.get("name", ""), r) for r in renditions if isinstance(r, dict)]
    options = [(n, r) for n, r in options if isinstance(r, dict) and isinstance(r.get("href"), str)]
    if not options:
        out.warn(where, line, f"picture {name!r} has no rendition with an href: no image")
        return "", "", ""
    chosen = next((r for n, r in options if n == "original"),
                  max((r for _, r in options), key=lambda r: r.get("width") if isinstance(r.get("width"), int) else 0))
    caption = one_line(picture.get("description_text") or picture.get("headline") or picture.get("body_text"))
    credit = one_line(picture.get("byline") or picture.get("by") or picture.get("copyrightholder"))
    return chosen["href"].strip(), caption, credit
