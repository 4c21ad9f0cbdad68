"""Stage tests for ``sitegen.load`` (real folders in tmp_path) and ``sitegen.indexes.build_indexes``."""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sitegen.config import Config
from sitegen.digests import content_digest, planned_digest, row_id
from sitegen.indexes import RelatedItem, build_indexes
from sitegen.load import Asset, is_ignored, load
from sitegen.model import Article, RelatedRef, slugify

DATA = Path(__file__).parent / "data"
SEED_RELATED = "'War of a hundred models': Chinese AI scene heads for a shakeout"
HUNDRED_MODELS = "\u2018War of a Hundred Models\u2019 \u2014 Chinese AI scene heads for a shakeout"


def make_site(root: Path, files: dict[str, str | bytes]) -> Path:
    site = root / "site"
    site.mkdir(exist_ok=True)
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return site


def md(title: str, date: str, *extra: str, body: str = "Body text.") -> str:
    lines = ["---", f'title: "{title}"', f"date: {date}", *extra, "---", "", body, ""]
    return "\n".join(lines)


def messages(diagnostics) -> list[str]:
    return [str(d) for d in diagnostics]


def by_path(loaded) -> dict[str, Article]:
    return {a.path: a for a in loaded.articles}


# --- reading both formats -------------------------------------------------------------------

def test_articles_from_both_formats(tmp_path):
    site = make_site(tmp_path, {
        "content/2024/07/seed.txt": (DATA / "seed.txt").read_bytes(),
        "content/2024/07/a.md": md("A markdown article", "2024-07-05"),
        "content/2024/06/b.markdown": md("An older one", "2024-06-01"),
    })
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    assert [a.path for a in loaded.articles] == [  # newest first
        "content/2024/07/a.md",
        "content/2024/07/seed.txt",
        "content/2024/06/b.markdown",
    ]
    articles = by_path(loaded)
    assert articles["content/2024/07/seed.txt"].title == "China calls for international AI cooperation"
    assert articles["content/2024/07/seed.txt"].source == "AFP"
    assert articles["content/2024/07/a.md"].title == "A markdown article"
    assert loaded.files == 3
    assert loaded.assets == ()
    assert loaded.drafts_skipped == 0


def test_content_dir_from_config(tmp_path):
    site = make_site(tmp_path, {
        "articles/x.md": md("In articles", "2024-07-05"),
        "content/y.md": md("In content", "2024-07-05"),
    })
    loaded = load(site, Config(content_dir="articles"))
    assert [a.path for a in loaded.articles] == ["articles/x.md"]


def test_missing_content_folder_is_empty(tmp_path):
    loaded = load(make_site(tmp_path, {}), Config())
    assert (loaded.articles, loaded.assets, loaded.diagnostics, loaded.files) == ((), (), (), 0)


def test_bom_and_crlf_are_accepted(tmp_path):
    text = md("Windows article", "2024-07-05", "section: World").replace("\n", "\r\n")
    site = make_site(tmp_path, {"content/w.md": b"\xef\xbb\xbf" + text.encode("utf-8")})
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    [article] = loaded.articles
    assert (article.title, article.section) == ("Windows article", "World")


# --- bad files ------------------------------------------------------------------------------

def test_non_utf8_reported_at_the_line_of_the_bad_byte(tmp_path):
    site = make_site(tmp_path, {
        "content/bad.md": b"---\ntitle: Cafe\ndate: 2024-07-04\n---\n\ncaf\xe9 au lait\n",
        "content/bad.txt": b" date 2024-07-04 WORLD\nTitle\n\nBody\n\n\xff\xfe\n",
    })
    loaded = load(site, Config())
    assert loaded.articles == ()
    assert sorted(messages(loaded.diagnostics)) == [
        "content/bad.md:6: error: not UTF-8 text (byte 0xe9 cannot be decoded)",
        "content/bad.txt:6: error: not UTF-8 text (byte 0xff cannot be decoded)",
    ]


@pytest.mark.parametrize("name, data", [("empty.md", b""), ("blank.txt", b"  \n\n\t\n"), ("bom.md", b"\xef\xbb\xbf")])
def test_empty_file(tmp_path, name, data):
    loaded = load(make_site(tmp_path, {f"content/{name}": data}), Config())
    assert loaded.articles == ()
    assert messages(loaded.diagnostics) == [f"content/{name}:1: error: empty file"]


def test_reader_diagnostics_carry_the_site_relative_path(tmp_path):
    site = make_site(tmp_path, {"content/2024/x.md": "---\ntitle: A\n---\nBody.\n"})
    loaded = load(site, Config())
    assert messages(loaded.diagnostics) == ["content/2024/x.md:1: error: missing date"]


def test_files_whose_names_are_not_utf8_are_left_out_with_an_error_and_the_build_goes_on(tmp_path):
    """A name no URL can be written for (Latin-1 bytes from an old archive) is an error naming the
    file, its undecodable bytes shown as escapes; the other files are built, and --strict stops."""
    from sitegen.build import StrictFailure, build

    site = make_site(tmp_path, {"content/ok.md": md("Fine", "2024-07-01"), "static/ok.txt": "ok\n"})
    for rel, data in ((b"content/caf\xe9.md", md("Cafe", "2024-07-02").encode()), (b"content/p\xe9.png", b"\x89PNG"),
                      (b"static/n\xe9.txt", b"x"), (b"content/d\xe9/x.md", md("In a folder", "2024-07-03").encode())):
        (site / os.fsdecode(rel)).parent.mkdir(exist_ok=True)
        (site / os.fsdecode(rel)).write_bytes(data)
    out = tmp_path / "out"
    result = build(site, out)
    assert sorted(str(d) for d in result.diagnostics) == [
        f"{name}:1: error: its name is not UTF-8 text, so no URL or link can be written for it; left out "
        "(rename it, e.g. with convmv)"
        for name in ("content/caf\\xe9.md", "content/d\\xe9/x.md", "content/p\\xe9.png", "static/n\\xe9.txt")]
    assert result.articles == 1 and (out / "ok.txt").is_file()
    assert all(os.fsencode(path).isascii() for path in out.rglob("*"))
    again = build(site, out)  # a build with nothing changed reports them again
    assert again.errors == 4
    with pytest.raises(StrictFailure):
        build(site, tmp_path / "strict", strict=True)


# --- ignored files --------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    ".#a.md", "a.md~", ".a.md.swp", ".a.md.swo", "#a.md#", ".hidden", ".DS_Store", "4913",
    "a.md.tmp", "a.md.part", "b.jpg.crdownload", "~$report.docx", "a.md.kate-swp",
])
def test_is_ignored(name):
    assert is_ignored(name) is True


@pytest.mark.parametrize("name", ["a.md", "seed.txt", "pic.jpg", "2024", "a~b.md", "notes.swap.md", "4913.md"])
def test_is_not_ignored(name):
    assert is_ignored(name) is False


def test_editor_temp_files_and_hidden_folders_are_ignored(tmp_path):
    good = md("Kept", "2024-07-05")
    site = make_site(tmp_path, {
        "content/a.md": good,
        "content/.#a.md": "garbage",
        "content/a.md~": good,
        "content/.a.md.swp": b"\x00\xff binary swap",
        "content/#a.md#": good,
        "content/4913": "",
        "content/.hidden/b.md": md("Hidden", "2024-07-05"),
        "content/.git/objects/x": "blob",
    })
    loaded = load(site, Config())
    assert [a.path for a in loaded.articles] == ["content/a.md"]
    assert loaded.assets == ()
    assert loaded.diagnostics == ()
    assert loaded.files == 1


# --- assets ---------------------------------------------------------------------------------

def test_non_article_files_become_assets(tmp_path):
    site = make_site(tmp_path, {
        "content/a.md": md("With picture", "2024-07-05", "image: pic.jpg"),
        "content/pic.jpg": b"\xff\xd8\xff",
        "content/images/x.svg": "<svg/>",
        "content/docs/report.pdf": b"%PDF",
    })
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    assert sorted(loaded.assets, key=lambda a: a.site_path) == [
        Asset(site / "content/docs/report.pdf", "/docs/report.pdf"),
        Asset(site / "content/images/x.svg", "/images/x.svg"),
        Asset(site / "content/pic.jpg", "/pic.jpg"),
    ]
    assert loaded.files == 4
    assert loaded.articles[0].image.src == "/pic.jpg"


def test_scrape_takes_the_image_file_beside_it(tmp_path):
    site = make_site(tmp_path, {
        "content/2024/07/seed.txt": (DATA / "seed.txt").read_bytes(),
        "content/2024/07/seed.jpg": b"\xff\xd8\xff",
    })
    loaded = load(site, Config())
    [article] = loaded.articles
    assert article.image.src == "/2024/07/seed.jpg"
    assert article.image.credit == "AP Archive"
    assert [a.site_path for a in loaded.assets] == ["/2024/07/seed.jpg"]


# --- drafts ---------------------------------------------------------------------------------

DRAFT_SITE = {
    "content/a.md": md("Published", "2024-07-05"),
    "content/b.md": md("Not yet", "2024-07-06", "draft: true"),
    "content/c.md": md("Also not yet", "2024-07-07", "draft: true"),
}


def test_drafts_left_out_and_counted(tmp_path):
    loaded = load(make_site(tmp_path, DRAFT_SITE), Config())
    assert [a.title for a in loaded.articles] == ["Published"]
    assert loaded.drafts_skipped == 2
    assert loaded.diagnostics == ()


def test_drafts_included_when_asked(tmp_path):
    loaded = load(make_site(tmp_path, DRAFT_SITE), Config(), include_drafts=True)
    assert [a.title for a in loaded.articles] == ["Also not yet", "Not yet", "Published"]
    assert loaded.drafts_skipped == 0


# --- slugs ----------------------------------------------------------------------------------

def test_explicit_duplicate_slug_is_an_error_and_the_later_article_is_dropped(tmp_path):
    site = make_site(tmp_path, {
        # the older article sorts last by path: "later" means later by date
        "content/z-old.md": md("Old", "2024-07-01", "slug: same"),
        "content/a-new.md": md("New", "2024-07-02", "slug: same"),
    })
    loaded = load(site, Config())
    assert [(a.title, a.slug) for a in loaded.articles] == [("Old", "same")]
    assert messages(loaded.diagnostics) == [
        "content/a-new.md:1: error: duplicate slug 'same': also used by content/z-old.md"
    ]


def test_derived_duplicate_slugs_get_a_number_for_the_newer(tmp_path):
    site = make_site(tmp_path, {
        "content/c.md": md("Budget approved", "2024-03-01"),
        "content/a.md": md("Budget approved", "2024-01-01"),
        "content/b.txt": " date 2024-02-01 ECONOMY\nBudget Approved!\n\nBody.\n",
    })
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    assert {a.path: a.slug for a in loaded.articles} == {
        "content/a.md": "budget-approved",
        "content/b.txt": "budget-approved-2",
        "content/c.md": "budget-approved-3",
    }


def test_explicit_slug_wins_over_a_derived_one(tmp_path):
    site = make_site(tmp_path, {
        "content/old.md": md("Budget approved", "2024-01-01"),
        "content/new.md": md("Something else", "2024-02-01", "slug: budget-approved"),
    })
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    assert {a.path: a.slug for a in loaded.articles} == {
        "content/new.md": "budget-approved",
        "content/old.md": "budget-approved-2",
    }


# --- nothing is lost ------------------------------------------------------------------------

def test_every_input_file_ends_up_as_an_article_asset_or_diagnostic(tmp_path):
    site = make_site(tmp_path, {
        "content/ok.md": md("Fine", "2024-07-01"),
        "content/ok.txt": " date 2024-07-02 WORLD\nAlso fine\n\nBody.\n",
        "content/no-date.md": "---\ntitle: A\n---\nBody.\n",
        "content/no-fm.md": "Just text.\n",
        "content/bad-date.txt": " date 2024-13-01 WORLD\nTitle\n\nBody.\n",
        "content/bad-first.txt": "Title first\n",
        "content/empty.txt": "",
        "content/latin1.md": b"---\ntitle: \xe9\n",
        "content/dup.md": md("Dup", "2024-07-03", "slug: fine-slug"),
        "content/dup2.md": md("Dup too", "2024-07-04", "slug: fine-slug"),
        "content/pic.png": b"\x89PNG",
    })
    loaded = load(site, Config())
    inputs = sorted(p.relative_to(site).as_posix() for p in (site / "content").rglob("*") if p.is_file())
    articles = {a.path for a in loaded.articles}
    assets = {"content" + a.site_path for a in loaded.assets}
    problems = {d.path for d in loaded.diagnostics if d.is_error}
    assert loaded.files == len(inputs) == 11
    for rel in inputs:
        assert (rel in articles) + (rel in assets) + (rel in problems) == 1, rel
    assert articles == {"content/ok.md", "content/ok.txt", "content/dup.md"}


# --- indexes: related references -----------------------------------------------------------

def article(title: str, path: str, day: int = 1, slug: str = "", related: tuple[str, ...] = ()) -> Article:
    return Article(
        title=title,
        slug=slug or slugify(title),
        slug_given=bool(slug),
        date=datetime(2024, 7, day, tzinfo=timezone.utc),
        section="World",
        path=path,
        related=tuple(RelatedRef(text, 10 + i) for i, text in enumerate(related)),
    )


def test_related_by_slug_title_and_path():
    target_slug = article("Slugged", "content/2024/s.md", slug="custom-slug")
    target_title = article(HUNDRED_MODELS, "content/2024/t.md")
    target_path = article("Pathed", "content/2024/p.md")
    source = article("Source", "content/2024/src.md", day=9, related=(
        "custom-slug",
        SEED_RELATED,
        "content/2024/p.md",
    ))
    articles = (source, target_slug, target_title, target_path)
    indexes, diagnostics = build_indexes(articles)
    assert diagnostics == []
    assert indexes.articles == articles
    assert indexes.related == {
        "content/2024/src.md": (
            RelatedItem(target_slug, "Slugged"),
            RelatedItem(target_title, HUNDRED_MODELS),
            RelatedItem(target_path, "Pathed"),
        )
    }


@pytest.mark.parametrize("ref", [
    "content/2024/p.md", "2024/p.md", "/2024/p.md",
    "pathed", "PATHED", "Pathed!", "\u201cPathed\u201d", "  Pathed  ",
])
def test_related_reference_forms(ref):
    target = article("Pathed", "content/2024/p.md")
    source = article("Source", "content/2024/src.md", related=(ref,))
    indexes, diagnostics = build_indexes((source, target))
    assert diagnostics == []
    assert indexes.related["content/2024/src.md"] == (RelatedItem(target, "Pathed"),)


def test_unresolved_reference_stays_text_and_warns():
    source = article("Source", "content/2024/src.md", related=("Found", "No such article"))
    found = article("Found", "content/2024/f.md")
    indexes, diagnostics = build_indexes((source, found))
    assert indexes.related["content/2024/src.md"] == (
        RelatedItem(found, "Found"),
        RelatedItem(None, "No such article"),
    )
    assert messages(diagnostics) == ["content/2024/src.md:11: warning: related article not found: 'No such article'"]


def test_self_and_repeated_references_are_dropped():
    target = article("Target", "content/t.md")
    source = article("Source", "content/s.md", related=("Source", "Target", "target", "content/t.md"))
    indexes, diagnostics = build_indexes((source, target))
    assert diagnostics == []
    assert indexes.related == {"content/s.md": (RelatedItem(target, "Target"),)}


def test_equal_titles_resolve_to_the_oldest():
    old = article("Same title", "content/z.md", day=1, slug="same-a")
    new = article("Same title", "content/a.md", day=5, slug="same-b")
    source = article("Source", "content/s.md", day=9, related=("same title",))
    indexes, _ = build_indexes((source, new, old))
    assert indexes.related["content/s.md"] == (RelatedItem(old, "Same title"),)


def test_related_path_relative_to_content_folder_through_load(tmp_path):
    site = make_site(tmp_path, {
        "content/2024/06/b.md": md("Older", "2024-06-01"),
        "content/2024/07/a.md": md("Newer", "2024-07-01", "related: [2024/06/b.md]"),
    })
    loaded = load(site, Config())
    indexes, diagnostics = build_indexes(loaded.articles)
    assert diagnostics == []
    assert indexes.related["content/2024/07/a.md"] == (RelatedItem(by_path(loaded)["content/2024/06/b.md"], "Older"),)


def test_related_path_relative_to_nested_content_folder(tmp_path):
    site = make_site(tmp_path, {
        "src/news/2024/06/b.md": md("Older", "2024-06-01"),
        "src/news/2024/07/a.md": md("Newer", "2024-07-01", "related: [2024/06/b.md]"),
    })
    loaded = load(site, Config(content_dir="src/news"))
    assert loaded.diagnostics == ()
    indexes, diagnostics = build_indexes(loaded.articles, Config(content_dir="src/news"))
    assert diagnostics == []
    assert indexes.related["src/news/2024/07/a.md"] == (RelatedItem(by_path(loaded)["src/news/2024/06/b.md"], "Older"),)


def test_seed_related_line_resolves_through_load(tmp_path):
    site = make_site(tmp_path, {
        "content/2024/07/seed.txt": (DATA / "seed.txt").read_bytes(),
        "content/2024/06/models.md": md(HUNDRED_MODELS.replace('"', '\\"'), "2024-06-20"),
    })
    loaded = load(site, Config())
    assert loaded.diagnostics == ()
    indexes, diagnostics = build_indexes(loaded.articles)
    assert diagnostics == []
    target = by_path(loaded)["content/2024/06/models.md"]
    assert target.title == HUNDRED_MODELS
    assert indexes.related == {"content/2024/07/seed.txt": (RelatedItem(target, HUNDRED_MODELS),)}


def test_seed_related_line_unresolved_warns_at_its_line(tmp_path):
    site = make_site(tmp_path, {"content/2024/07/seed.txt": (DATA / "seed.txt").read_bytes()})
    loaded = load(site, Config())
    indexes, diagnostics = build_indexes(loaded.articles)
    assert indexes.related == {"content/2024/07/seed.txt": (RelatedItem(None, SEED_RELATED),)}
    assert messages(diagnostics) == [
        f"content/2024/07/seed.txt:26: warning: related article not found: {SEED_RELATED!r}"
    ]


def test_articles_without_references_have_no_entry():
    a, b = article("A", "content/a.md"), article("B", "content/b.md")
    indexes, diagnostics = build_indexes((a, b))
    assert indexes.related == {}
    assert diagnostics == []


# --- parsing reads the files itself ---------------------------------------------------------

def test_a_file_changed_after_it_was_listed_is_parsed_as_it_is_now(tmp_path):
    """Workers read the files themselves (the parent keeps only their keys): a file edited in
    between is parsed as it is now and cached under the key of what was parsed."""
    from sitegen.cache import file_key
    from sitegen.load import _parse_chunk

    site = make_site(tmp_path, {"content/a.md": md("Old title", "2024-01-01")})
    path, content = site / "content/a.md", site / "content"
    listed = file_key("content/a.md", path.read_bytes())
    path.write_text(md("New title", "2024-01-01"), encoding="utf-8")
    [(key, actual, (article, problems), _)] = _parse_chunk([(listed, path, "content/a.md")], content, Config())
    assert key == listed and actual == file_key("content/a.md", path.read_bytes()) != listed
    assert article.title == "New title" and problems == []
    path.unlink()
    [(_, _, (article, problems), _)] = _parse_chunk([(listed, path, "content/a.md")], content, Config())
    assert article is None and messages(problems) == ["content/a.md:1: error: cannot read the file: No such file or directory"]


def test_a_parsed_article_comes_with_its_digests_made_by_the_parser(tmp_path):
    """Made where the file is parsed (in the workers of a cold build), pickled with the article,
    and equal to those a copy makes afresh (digests.py)."""
    from dataclasses import replace

    from sitegen.load import _parse_chunk

    site = make_site(tmp_path, {"content/a.md": md("A title", "2024-01-01", body="Some words.")})
    for detach in (False, True):
        [(_, _, (article, _), body)] = _parse_chunk([(None, site / "content/a.md", "content/a.md")], site / "content",
                                                    Config(), detach=detach)
        assert len(article.memo) == 40 and (body != "") == detach
        fresh = replace(article, body_html=body) if detach else replace(article)
        assert fresh.memo == b"" and planned_digest(fresh) + content_digest(fresh) + row_id(fresh) == article.memo


def test_many_files_parse_in_workers_as_in_one_process(tmp_path, monkeypatch):
    import sitegen.load as load_module

    files = {f"content/{i:03}.md": md(f"Story number {i}", f"2024-01-{1 + i % 28:02}", body=f"Body {i}.")
             for i in range(60)}
    site = make_site(tmp_path, files)
    one = load(site, Config())
    monkeypatch.setattr(load_module, "PARALLEL_FROM", 2)
    several = load(site, Config())
    assert several.articles == one.articles and len(one.articles) == 60


def test_articles_share_their_names_as_one_string_each(tmp_path, monkeypatch):
    """Sections, tags, authors and sources repeat across thousands of articles: each is kept once,
    also when workers parse (their parts arrive with each string once)."""
    import sitegen.load as load_module

    files = {f"content/{i:03}.md": md(f"Story number {i}", f"2024-01-{1 + i % 28:02}", "section: World News",
                                      "tags: [Trade Talks, Tariffs]", "authors: [Jo Smith]", "source: Wire Agency")
             for i in range(40)}
    site = make_site(tmp_path, files)
    for parallel_from in (1000, 2):
        monkeypatch.setattr(load_module, "PARALLEL_FROM", parallel_from)
        monkeypatch.setattr(load_module, "CHUNK_MOST", 1000)  # one part: each part arrives with each string once
        monkeypatch.setattr(load_module, "CHUNK_LEAST", 1000)
        first, *others = load(site, Config()).articles
        assert len(others) == 39 and first.tags == ("Trade Talks", "Tariffs")
        for other in others:
            assert other.section is first.section and other.source is first.source
            assert all(a is b for a, b in zip(other.tags + other.authors, first.tags + first.authors))


def test_content_files_read_symlinked_files_but_not_symlinked_folders_or_broken_links(tmp_path):
    from sitegen.load import content_files

    site = make_site(tmp_path, {"content/a/one.md": md("One", "2024-01-01"), "content/.hidden/x.md": md("X", "2024-01-01"),
                                "content/b/#draft.md~": "x", "elsewhere/two.md": md("Two", "2024-01-02"),
                                "elsewhere/folder/three.md": md("Three", "2024-01-03")})
    content = site / "content"
    (content / "two.md").symlink_to(site / "elsewhere/two.md")
    (content / "linked").symlink_to(site / "elsewhere/folder", target_is_directory=True)
    (content / "broken.md").symlink_to(site / "nowhere.md")
    assert [p.relative_to(content).as_posix() for p in content_files(content)] == ["a/one.md", "two.md"]
