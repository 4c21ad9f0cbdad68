"""A small XML writer for feeds and sitemaps: elements as values, written with escaping.

Text and attribute values are escaped, and characters XML 1.0 does not allow (control
characters a scrape may carry) are dropped, so no title can break a feed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Union


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Everything outside XML 1.0's Char production (tab, newline, carriage return and the
    printable planes). Compiled on first use: its ranges took 10 ms of every build's start-up,
    and most rebuilds write no feed or sitemap."""
    return re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

Child = Union["Element", str, None, Iterable["Child"]]


@dataclass(frozen=True, slots=True)
class Element:
    tag: str
    attrs: tuple[tuple[str, str], ...]
    children: tuple[Element | str, ...]


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _not_xml().sub("", text)


def escape(text: str, quote: bool = False) -> str:
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") if quote else text


def el(tag: str, *children: Child, **attrs: str | None) -> Element:
    """An element; ``None`` children and attributes are left out, lists are flattened.
    Attribute names take '__' for ':' (``xml__lang``) and a trailing '_' is dropped (``type_``)."""
    flat: list[Element | str] = []
    _flatten(children, flat)
    pairs = tuple((name.replace("__", ":").rstrip("_"), str(value)) for name, value in attrs.items() if value is not None)
    return Element(tag, pairs, tuple(flat))


def _flatten(children: Iterable[Child], into: list[Element | str]) -> None:
    for child in children:
        if child is None:
            continue
        if isinstance(child, (Element, str)):
            into.append(child)
        else:
            _flatten(child, into)


def to_bytes(root: Element) -> bytes:
    """The document, indented by two spaces; an element holding only text stays on one line."""
    lines = [DECLARATION]
    _write(root, 0, lines)
    return "".join(lines).encode("utf-8")


def _write(node: Element, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    attrs = "".join(f' {name}="{escape(value, quote=True)}"' for name, value in node.attrs)
    if not node.children:
        out.append(f"{pad}<{node.tag}{attrs}/>\n")
    elif all(isinstance(child, str) for child in node.children):
        out.append(f"{pad}<{node.tag}{attrs}>{''.join(escape(c) for c in node.children)}</{node.tag}>\n")  # type: ignore[arg-type]
    else:
        out.append(f"{pad}<{node.tag}{attrs}>\n")
        for child in node.children:
            if isinstance(child, str):
                out.append(f"{pad}  {escape(child)}\n")
            else:
                _write(child, depth + 1, out)
        out.append(f"{pad}</{node.tag}>\n")


def w3c(moment: datetime) -> str:
    """A date and time as RFC 3339 / W3C Datetime, in seconds ('2024-07-04T09:30:00+08:00')."""
    return moment.replace(microsecond=0).isoformat()
