"""How a pool's work is cut into parts: big ones first, then smaller and smaller ones.

Parts of one size leave the last one to one process while the others wait: at 10,000
articles a render part is a third of a second of one core, a parse part a fifth. Parts that
taper as the work runs out (guided scheduling, as OpenMP calls it) end the processes within
a small part of each other, for few more parts in all.
"""

from __future__ import annotations

TAPER = 4  # a tapered part is the work left over this many times the processes


def tapered(total: int, processes: int, most: int, least: int) -> list[range]:
    """Consecutive parts of ``range(total)``: ``most`` items each while the rest is more than
    ``TAPER`` such parts per process, then the rest over ``processes * TAPER`` (never fewer than
    ``least`` items, nor more than ``most``)."""
    parts: list[range] = []
    start = 0
    while start < total:
        size = max(1, min(most, max(least, (total - start) // (processes * TAPER))))
        parts.append(range(start, min(start + size, total)))
        start += size
    return parts
