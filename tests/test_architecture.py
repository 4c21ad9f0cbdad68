"""The pipeline's direction of imports: a module imports only the stages to its left.

errors -> config -> i18n -> model -> markdown -> formats -> load -> indexes -> plan -> render -> write -> search -> build
-> importers -> cli
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sitegen
from sitegen.config import schema_rows

ORDER = ["errors", "forked", "parts", "config", "i18n", "model", "markdown", "formats", "bodies", "digests", "cache", "load", "schedule", "indexes",
         "plan", "pagekeys", "health", "themes", "render", "write", "search", "nochange", "build", "check", "scaffold", "importers", "watch", "serve",
         "cli"]
PACKAGE = Path(sitegen.__file__).parent
README = PACKAGE.parent / "README.md"


def stage(module: str) -> str:
    """'sitegen.formats.scrape' -> 'formats'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sitegen"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("sitegen")]
    return found


def test_every_module_is_in_the_pipeline_order():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")
        name = stage(rel)
        if name in ("", "__init__", "__main__", "theme"):
            continue
        assert name in ORDER, f"{rel} is not placed in the pipeline order of tests/test_architecture.py"


def test_imports_only_point_left():
    backward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")
        own = stage(rel)
        if own not in ORDER:
            continue
        for target in imports_of(path):
            other = stage(target)
            if other and other != own and ORDER.index(other) > ORDER.index(own):
                backward.append(f"{rel} imports {target}")
    assert backward == []


def test_readme_documents_every_config_key_and_cli_option():
    readme = README.read_text(encoding="utf-8")
    for key, *_ in schema_rows():
        assert re.search(rf"`{re.escape(key)}`", readme), f"config key {key} is missing from the README"
    for option in ("--output", "--strict", "--drafts", "--quiet"):
        assert option in readme, option


def test_ci_runs_the_readme_test_command_verbatim():
    readme = README.read_text(encoding="utf-8")
    commands = re.findall(r"^```sh\n(.*?)\n```", readme, re.M | re.S)
    ci = (PACKAGE.parent / ".ci/run").read_text(encoding="utf-8").strip().splitlines()
    assert commands[1] == ci[-1]
