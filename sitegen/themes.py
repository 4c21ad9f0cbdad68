"""Where the default theme's templates and static files are, and where a site's templates are
looked up. Apart from render, so that a build with nothing to render never imports Jinja."""

from __future__ import annotations

from pathlib import Path

THEME = Path(__file__).parent / "theme"


def theme_dir(kind: str) -> Path:
    """The default theme's folder: inside the installed package, or the repository's top level."""
    packaged = THEME / kind
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / kind


def template_folders(site: Path) -> tuple[Path, Path]:
    """Where templates are looked up: the site's first, then the theme's, file by file."""
    return site / "templates", theme_dir("templates")
