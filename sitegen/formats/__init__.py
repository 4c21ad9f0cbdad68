"""One reader per content format; each turns a file's text into an Article and diagnostics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sitegen.config import Config

DATE_HELP = "expected YYYY-MM-DD, optionally with a time (HH:MM[:SS]) and a zone offset"


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What a reader needs from the site: settings, and the file's place in content/."""

    config: Config
    rel: str          # path shown in diagnostics (relative to the site)
    content_rel: str  # path relative to the content folder, for resolving relative image paths


def parse_date(value: object, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; one without a zone takes the site's. Raises ValueError."""
    text = str(value).strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$", text):
        raise ValueError(text)
    text = re.sub(r"\s+(Z|[+-]\d)", r"\1", text)
    parsed = datetime.fromisoformat(text)
    if len(text) == 10:
        parsed = datetime.combine(parsed.date(), time(0, 0))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def site_path(src: str, content_rel: str) -> str:
    """An image reference as a site path: absolute URLs and '/…' paths stay, others are
    taken relative to the article's folder inside content/."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
        return src
    parts = content_rel.split("/")[:-1]
    for part in src.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)
