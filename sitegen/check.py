"""`sitegen check`: every diagnostic the build would give, plus archive health, writing nothing.

It runs the build's own stages up to the plan (``build.plan_build``), renders every page
to memory to meet template errors, and adds the findings of ``health``. The article cache
is read (a checked site is usually a built one) but never written, and nothing goes near
the output folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sitegen.build import Planned, plan_build
from sitegen.cache import ArticleCache, ResultCache
from sitegen.config import Config, load_config
from sitegen.errors import ConfigError, Diagnostic
from sitegen.health import Finding, health
from sitegen.load import fingerprint
from sitegen.model import Article
from sitegen.render import Renderer, TemplateFailure

JSON_VERSION = 1
FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")

# Codes of the build's own diagnostics: by stage, then by message where a stage meets several kinds.
MESSAGE_CODES = (
    ("load", re.compile(r"^duplicate slug "), "duplicate-slug"),
    ("load", re.compile(r"^no section after the date$"), "no-section"),
    ("indexes", re.compile(r"^related article not found: "), "unresolved-related"),
    ("plan", re.compile(r"^output path .* is already written by "), "path-clash"),
)


@dataclass(frozen=True, slots=True)
class Report:
    site: str
    articles: int
    pages: int
    findings: tuple[Finding, ...]  # sorted by path, line, severity, message, code

    @property
    def errors(self) -> int:
        return sum(f.diagnostic.is_error for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    def status(self, strict: bool = False) -> int:
        """0: no errors (warnings allowed, unless ``strict``); 1: errors."""
        return 1 if self.errors or (strict and self.warnings) else 0

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form (documented in the README, section Authoring)."""
        return {"version": JSON_VERSION, "site": self.site, "articles": self.articles, "pages": self.pages,
                "errors": self.errors, "warnings": self.warnings,
                "diagnostics": [{"path": f.diagnostic.path, "line": f.diagnostic.line, "column": None,
                                 "severity": f.diagnostic.severity, "code": f.code,
                                 "message": f.diagnostic.message} for f in self.findings]}


def config_report(site: Path, problem: ConfigError) -> Report:
    """The report of a site whose configuration cannot be read: its config errors only."""
    return Report(site.as_posix(), 0, 0, _merge([Finding(d, "config") for d in problem.diagnostics]))


def check(site: Path, *, drafts: bool = False, now: datetime | None = None) -> Report:
    """Check the site at ``site``. Raises ConfigError when its configuration cannot be read."""
    shown = site.as_posix()
    site = site.absolute()
    config = load_config(site)
    planned = plan_build(site, config, drafts=drafts, cache=ArticleCache(site, config, writable=False),
                         results=ResultCache(site, writable=False))  # read, never saved
    findings = [*_stage_findings(planned), *render_problems(site, config, planned)]
    line_of = _line_finder(site)
    findings += health((*planned.loaded.articles, *planned.scheduled.held), planned.provided, config.content_dir,
                       now or datetime.now(timezone.utc), line_of, planned.bodies)
    html_pages = sum(page.output.endswith(".html") for page in planned.plan.pages)
    return Report(shown, len(planned.plan.urls), html_pages, _merge(findings))


def render_problems(site: Path, config: Config, planned: Planned) -> list[Finding]:
    """Render every page to memory; a template error is reported once per template line, a
    missing template once (a broken shared template would otherwise fail every page)."""
    _, renamed = fingerprint(planned.statics)
    renderer = Renderer(site, config, planned.plan, planned.build_time, renamed, planned.messages, planned.bodies)
    seen: dict[object, Diagnostic] = {}
    for page in planned.plan.pages:
        try:
            renderer.render(page)
        except TemplateFailure as failure:
            d = failure.diagnostic
            seen.setdefault(d.message if d.message.startswith("template not found: ") else (d.path, d.line), d)
    return [Finding(d, "template") for d in seen.values()]


def _stage_findings(planned: Planned) -> list[Finding]:
    found = []
    for stage, diagnostics in (("load", planned.loaded.diagnostics), ("indexes", planned.index_problems),
                               ("plan", planned.plan_problems)):
        for d in diagnostics:
            code = next((code for s, rx, code in MESSAGE_CODES if s == stage and rx.match(d.message)), None)
            if code is None:
                code = {"indexes": "index", "plan": "plan"}.get(stage) or _content_code(d.path)
            found.append(Finding(d, code))
    return found


def _content_code(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return "scrape" if suffix == ".txt" else "front-matter" if suffix in (".md", ".markdown") else "content"


def _merge(findings: list[Finding]) -> tuple[Finding, ...]:
    """Each diagnostic once (the first code met wins), sorted deterministically."""
    codes: dict[Diagnostic, str] = {}
    for f in findings:
        codes.setdefault(f.diagnostic, f.code)
    return tuple(sorted(Finding(d, code) for d, code in codes.items()))


def _line_finder(site: Path):
    """(article, key) -> the line of ``key`` in the article's front matter (Markdown files), else
    the article's own line. Reads the file only when a finding needs it."""

    def line_of(article: Article, key: str) -> int:
        path = site / article.path
        if path.suffix.lower() not in (".md", ".markdown"):
            return article.line
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return article.line
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        for number, line in enumerate(lines[1:], start=2):
            if FENCE.match(line):
                break
            if pattern.match(line):
                return number
        return article.line

    return line_of
