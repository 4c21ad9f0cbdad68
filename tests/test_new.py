"""`sitegen new` on real sites: a draft the reader parses back, dated now in the site's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import article_md, write_files
from sitegen.cli import main
from sitegen.config import load_config
from sitegen.load import read_article

KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30 all year: an offset no default could produce by chance


def parse(site: Path, path: Path):
    config = load_config(site)
    article, diagnostics = read_article(path, site, site / config.content_dir, config)
    assert diagnostics == []
    return article


def test_new_writes_a_draft_dated_now_in_the_site_zone(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"sitegen.yaml": "timezone: Asia/Kolkata\n"})
    started = datetime.now(KOLKATA).replace(microsecond=0)
    assert main(["new", "Storm hits the coast", "--section", "World News", "--tags", "weather, storms,",
                 "--site", str(root)]) == 0
    finished = datetime.now(KOLKATA)
    out = capsys.readouterr().out
    path = Path(out.strip())
    article = parse(root, path)
    assert started <= article.date <= finished
    assert article.date.utcoffset() == timedelta(hours=5, minutes=30)
    assert path == root / f"content/world-news/{article.date.year}/storm-hits-the-coast.md"
    assert out == f"{path}\n"
    assert (article.title, article.section, article.tags, article.slug, article.slug_given, article.draft) == (
        "Storm hits the coast", "World News", ("weather", "storms"), "storm-hits-the-coast", True, True)
    assert f"date: {article.date.isoformat()}\n" in path.read_text(encoding="utf-8")
    assert article.date.isoformat().endswith("+05:30")


def test_headline_with_quotes_colons_and_any_script_round_trips(tmp_path, capsys):
    root = tmp_path
    headline = 'Minister: "We will act" — #1 in 北京'
    assert main(["new", headline, "--site", str(root)]) == 0
    path = Path(capsys.readouterr().out.strip())
    article = parse(root, path)
    assert article.title == headline
    assert (article.section, article.tags) == ("", ())
    assert path == root / f"content/{article.date.year}/minister-we-will-act-1-in-bei-jing.md"
    assert article.date.utcoffset() == timedelta(0)  # the default zone, UTC


def test_new_follows_the_content_folder_setting(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"sitegen.yaml": "content_dir: articles\n"})
    assert main(["new", "Budget vote", "--section", "Politics", "--site", str(root)]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.relative_to(root).parts[:2] == ("articles", "politics")
    assert parse(root, path).section == "Politics"


def test_a_new_article_is_a_draft_left_out_of_a_plain_build(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"sitegen.yaml": "search: false\n",
                                           "content/old.md": article_md("Older story", "2024-07-01")})
    assert main(["new", "Fresh story", "--section", "World", "--site", str(root)]) == 0
    capsys.readouterr()
    assert main(["build", str(root), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 articles, ") and ", 1 draft(s) left out in " in out
    assert main(["build", str(root), "--no-cache", "--drafts"]) == 0
    assert capsys.readouterr().out.startswith("2 articles, ")


def test_new_never_overwrites(tmp_path, capsys):
    root = write_files(tmp_path / "site", {})
    year = datetime.now(ZoneInfo("UTC")).year
    taken = write_files(root, {f"content/world/{year}/storm.md": "mine\n"})
    assert main(["new", "Storm", "--section", "World", "--site", str(root)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"sitegen: error: content/world/{year}/storm.md already exists; nothing written "
                   "(choose another headline, or edit that file)\n")
    assert (taken / f"content/world/{year}/storm.md").read_text(encoding="utf-8") == "mine\n"


def test_new_with_a_bad_config_or_no_site_writes_nothing(tmp_path, capsys):
    root = write_files(tmp_path / "site", {"sitegen.yaml": "timezone: Mars/Olympus\n"})
    assert main(["new", "Storm", "--site", str(root)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "sitegen.yaml:1: error: unknown time zone 'Mars/Olympus' (use an IANA name like 'Europe/Paris')",
        "sitegen: nothing written: the configuration has errors"]
    assert not (root / "content").exists()
    assert main(["new", "Storm", "--site", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"sitegen: error: no site folder at {tmp_path / 'nowhere'}\n"
    assert main(["new", "   ", "--site", str(root.parent)]) == 2
    assert capsys.readouterr().err == "sitegen: error: the headline is empty\n"
