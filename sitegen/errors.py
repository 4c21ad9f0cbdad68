"""Source positions, diagnostics and the one exception tree.

Every stage collects diagnostics instead of raising, so one bad file never hides
the next; the CLI sorts them and prints each once as ``path:line: severity: message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem found in the input, with where it is."""

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def error(path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, "error", message)


def warning(path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, "warning", message)


def sorted_unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in file order, each once (a stage may meet the same problem twice)."""
    return sorted(set(diagnostics))


class SitegenError(Exception):
    """Base of every error sitegen raises on purpose."""


class ConfigError(SitegenError):
    """The site configuration is unusable; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class BuildError(SitegenError):
    """The build cannot go on (bad output folder, --strict with errors, template failure)."""


class TemplateFailure(BuildError):
    """A template could not render a page; ``diagnostic`` says where. Here, not in render, so that
    what catches it (the build, the watcher, the command line) does not import Jinja."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))

    def __reduce__(self):  # sent from a render worker to the build
        return TemplateFailure, (self.diagnostic,)
