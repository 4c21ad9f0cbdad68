#!/usr/bin/env python3
"""Precision and cost of computed related articles and stories, on the synthetic archive.

    python bench/related_quality.py [-n 2000] [--seed 1] [--dir DIR] [--set key=value ...]

Generates N articles with bench/generate.py (each has one known topic, in topics.json),
loads them with sitegen, runs compute_related and build_stories, and prints:

- precision@5: the share of each article's top-5 related articles that share its topic,
  averaged over articles (a missing 5th match counts as a miss; "of listed" only counts
  the matches given);
- the wall and CPU time of each stage and the peak RSS after each (the process's
  high-water mark);
- stories: how many, their sizes, the share of articles in one, and their purity (the
  share of a story's articles in its most common topic).

``--dir`` keeps the generated archive there and reuses it when N and the seed match.
``--set`` overrides RelatedConfig fields (``--set min_score=0.15``) for tuning.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

from sitegen.config import Config, RelatedConfig  # noqa: E402
from sitegen.indexes.similar import compute_related  # noqa: E402
from sitegen.indexes.stories import build_stories  # noqa: E402
from sitegen.load import load  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Clock:
    """Wall and CPU time of each stage: CPU time stays meaningful on a busy machine."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> str:
        wall, cpu = time.perf_counter(), time.process_time()
        text = f"{wall - self.wall:7.2f} s wall, {cpu - self.cpu:7.2f} s CPU"
        self.wall, self.cpu = wall, cpu
        return text


def archive(n: int, seed: int, folder: Path) -> Path:
    """The generated archive in ``folder``, made unless one with the same N and seed is there."""
    truth = folder / "topics.json"
    if truth.is_file():
        known = json.loads(truth.read_text(encoding="utf-8"))
        if known.get("n") == n and known.get("seed") == seed:
            return folder
    started = time.perf_counter()
    generate(n, folder, seed=seed, formats=("sitegen",))
    print(f"generated {n} articles in {time.perf_counter() - started:.1f} s")
    return folder


def overrides(pairs: list[str]) -> dict[str, object]:
    types = {f.name: f.type for f in dataclasses.fields(RelatedConfig)}
    values: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in types:
            raise SystemExit(f"unknown RelatedConfig field {key!r} (known: {', '.join(types)})")
        values[key] = float(value) if types[key] in (float, "float") else int(value)
    return values


def run(folder: Path, changes: dict[str, object]) -> None:
    truth = json.loads((folder / "topics.json").read_text(encoding="utf-8"))["articles"]
    base = Config()
    config = dataclasses.replace(base, related=dataclasses.replace(base.related, **changes))
    print(f"settings: {config.related}")

    clock = Clock()
    articles = load(folder / "sitegen", config).articles
    print(f"load:            {clock.lap()}   {len(articles)} articles, peak RSS {peak_mb():.0f} MB")
    related = compute_related(articles, config.related)
    print(f"compute_related: {clock.lap()}   peak RSS {peak_mb():.0f} MB")
    stories = build_stories(articles, related, config.related)
    print(f"build_stories:   {clock.lap()}   peak RSS {peak_mb():.0f} MB")

    topic = {a.path: truth[a.slug] for a in articles}
    strict, listed, counts = [], [], []
    for a in articles:
        top = related.get(a.path, ())[:5]
        same = sum(topic[m.article.path] == topic[a.path] for m in top)
        strict.append(same / 5)
        counts.append(len(related.get(a.path, ())))
        if top:
            listed.append(same / len(top))
    print(f"precision@5:     {statistics.fmean(strict):.4f}   (of listed: "
          f"{statistics.fmean(listed) if listed else 0:.4f}; articles with 5+ matches: "
          f"{sum(c >= 5 for c in counts) / max(1, len(counts)):.1%}; mean listed {statistics.fmean(counts or [0]):.1f})")

    scores = sorted(m.score for ms in related.values() for m in ms)
    if scores:
        q = statistics.quantiles(scores, n=10) if len(scores) > 1 else scores
        print(f"scores:          min {scores[0]:.3f}  p10 {q[0]:.3f}  median {statistics.median(scores):.3f}  "
              f"p90 {q[-1]:.3f}  max {scores[-1]:.3f}")

    sizes = sorted(len(s.articles) for s in stories)
    in_story = sum(sizes)
    purity = [Counter(topic[a.path] for a in s.articles).most_common(1)[0][1] / len(s.articles) for s in stories]
    print(f"stories:         {len(stories)}; {in_story} articles in one ({in_story / max(1, len(articles)):.1%})")
    if sizes:
        buckets = Counter("3-5" if k <= 5 else "6-10" if k <= 10 else "11-20" if k <= 20 else "21-40" if k <= 40
                          else "41+" for k in sizes)
        spread = ", ".join(f"{b}: {buckets[b]}" for b in ("3-5", "6-10", "11-20", "21-40", "41+") if buckets[b])
        print(f"story sizes:     min {sizes[0]}, median {statistics.median(sizes):g}, max {sizes[-1]}; {spread}")
        print(f"story purity:    {statistics.fmean(purity):.4f} (mean share of a story in its main topic)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/related_quality.py", description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=2000, help="number of articles (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--dir", type=Path, default=None, help="keep the archive here (reused if N and seed match)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a RelatedConfig field")
    args = p.parse_args(argv)
    changes = overrides(args.set)
    if args.dir is not None:
        run(archive(args.n, args.seed, args.dir), changes)
        return 0
    with tempfile.TemporaryDirectory(prefix="sitegen-related-") as tmp:
        run(archive(args.n, args.seed, Path(tmp)), changes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
