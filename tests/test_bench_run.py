"""The side-by-side runner, with sitegen's two systems only (the peers need their own virtual
environment): a small archive built cold and after an edit, the systems taking turns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_sitegen_and_sitegen_tags_take_turns_on_one_archive(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "30", "--runs", "2",
                           "--cases", "cold,edit", "--systems", "sitegen,sitegen-tags", "--work", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads(next(tmp_path.glob("results-*.json")).read_text())
    assert [(r["system"], r["case"]) for r in runs] == [
        ("sitegen", "cold"), ("sitegen-tags", "cold")] * 2 + [("sitegen", "edit"), ("sitegen-tags", "edit")] * 2
    assert all(r["ok"] and r["pages"] > 30 and r["n"] == 30 for r in runs)
    archive = tmp_path / "archive-30"
    tags = archive / "sitegen-tags"
    assert (tags / "content").resolve() == (archive / "sitegen" / "content").resolve()  # the same articles
    settings = yaml.safe_load((tags / "sitegen.yaml").read_text(encoding="utf-8"))
    assert settings["related"] == {"title_weight": 0, "summary_weight": 0, "body_weight": 0, "tags_weight": 1}
    assert {k: v for k, v in settings.items() if k != "related"} == yaml.safe_load(
        (archive / "sitegen" / "sitegen.yaml").read_text(encoding="utf-8"))
    # each edit was undone: the content is as generated
    edited = [p for p in (archive / "sitegen" / "content").rglob("*.md")
              if "added to this article by the benchmark" in p.read_text(encoding="utf-8")]
    assert edited == []
