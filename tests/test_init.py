"""`sitegen init` on real folders: a site that builds at once, and never a file overwritten."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lxml.html

from conftest import write_files
from sitegen.cli import main
from sitegen.config import Config, load_config, schema_rows
from sitegen.scaffold import INIT_KEYS


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_then_build_gives_a_clean_site(tmp_path, capsys):
    root = tmp_path / "site"
    root.mkdir()  # an existing empty folder is fine
    assert main(["init", str(root), "--title", "Harbour Times", "--base-url", "https://example.org/archive/"]) == 0
    written = capsys.readouterr().out.splitlines()
    articles = sorted(p.relative_to(root).as_posix() for p in (root / "content").rglob("*.md"))
    assert len(articles) == 1
    assert sorted(written) == sorted(str(root / rel) for rel in
                                     ["sitegen.yaml", *articles, "templates/README.txt"])
    assert sorted(files_of(root)) == sorted(["sitegen.yaml", *articles, "templates/README.txt"])

    config = load_config(root)
    assert config == dataclasses.replace(Config(), title="Harbour Times", base_url="https://example.org/archive/")

    assert main(["build", str(root)]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no diagnostics at all
    assert out.startswith("1 articles, ") and ", 0 warnings, 0 errors in " in out
    home = lxml.html.parse(str(root / "public/index.html")).getroot()
    assert home.find(".//title").text.endswith("Harbour Times")
    links = [a.get("href") for a in home.iter("a") if a.text_content().strip() == "Welcome to your news archive"]
    assert links and links[0].startswith("/archive/")
    page = root / "public" / links[0].removeprefix("/archive/") / "index.html"
    article = lxml.html.parse(str(page)).getroot()
    assert article.find(".//h1").text_content().strip() == "Welcome to your news archive"
    assert [a.text_content().strip() for a in article.iter("a") if "/sections/" in (a.get("href") or "")][0] == "News"


def test_the_config_is_documented_from_the_schema(tmp_path, capsys):
    assert main(["init", str(tmp_path)]) == 0
    text = (tmp_path / "sitegen.yaml").read_text(encoding="utf-8")
    comments: dict[str, str] = {}  # dotted key -> the comment lines just above it, joined
    pending: list[str] = []
    parent = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped[1:].strip())
            continue
        if stripped:
            key = stripped.split(":", 1)[0]
            if not line.startswith(" "):
                parent = key
            comments[key if not line.startswith(" ") else f"{parent}.{key}"] = " ".join(pending)
        pending = []
    docs = {key: doc for key, _, _, doc in schema_rows()}
    expected = [key for key in docs if key.split(".")[0] in INIT_KEYS]
    assert [key for key in comments if "." in key or key in docs] == expected
    for key in expected:
        assert comments[key] == docs[key], key
    assert load_config(tmp_path) == Config()  # the defaults, as written


def test_init_defaults_to_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "sitegen.yaml").is_file()
    assert (tmp_path / "templates/README.txt").read_text(encoding="utf-8").startswith("Jinja2 templates of this site.")
    assert "base.html" in (tmp_path / "templates/README.txt").read_text(encoding="utf-8")
    assert "css/site.css" in (tmp_path / "templates/README.txt").read_text(encoding="utf-8")
    assert (tmp_path / "static").is_dir() and not any((tmp_path / "static").iterdir())


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"sitegen.yaml": "title: Mine\n", "templates/README.txt": "my notes\n",
                                           "notes.md": "kept\n"})
    before = files_of(root)
    assert main(["init", str(root)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["sitegen: error: refusing to overwrite existing files; nothing written:",
                                f"  {root / 'sitegen.yaml'}", f"  {root / 'templates/README.txt'}"]
    assert files_of(root) == before
    assert not (root / "content").exists() and not (root / "static").exists()


def test_init_refuses_a_file_in_the_way_of_a_folder(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"static": "not a folder\n"})
    assert main(["init", str(root)]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [f"  {root / 'static'}"]
    assert files_of(root) == {"static": b"not a folder\n"}


def test_init_rejects_a_bad_base_url_before_writing(tmp_path, capsys):
    root = tmp_path / "site"
    assert main(["init", str(root), "--base-url", "example.org"]) == 2
    assert capsys.readouterr().err == "sitegen: error: base_url must be an absolute http(s) URL, not 'example.org'\n"
    assert not root.exists()
