"""Where the default theme's templates and static files are, and where a site's templates are
looked up. Apart from render, so that a build with nothing to render never imports Jinja."""

from __future__ import annotations

from pathlib import Path

THEME = Path(__file__).parent / "theme"
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".j2")  # the files of a templates folder that are templates


def theme_dir(kind: str) -> Path:
    """The default theme's folder: inside the installed package, or the repository's top level."""
    packaged = THEME / kind
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / kind


def template_folders(site: Path) -> tuple[Path, Path]:
    """Where templates are looked up: the site's first, then the theme's, file by file."""
    return site / "templates", theme_dir("templates")


def template_files(site: Path) -> list[Path]:
    """Every template file of the site's and the theme's folders."""
    return [path for folder in template_folders(site) if folder.is_dir()
            for path in sorted(folder.rglob("*")) if path.name.endswith(TEMPLATE_SUFFIXES) and path.is_file()]
