"""``--shard K/N``: a deterministic share of the checks, so that N CI runners certify one target together.

Every shard collects the same checks (the same configuration and profile give the same collection) and keeps the
ones :func:`assign` gives it. Checks are dealt out in groups, not one by one: every check of one row (one media
file, one access cell: the part of a node id in brackets) goes to one shard, so a file is uploaded once across
the shards, as in a single run; a check without a row goes with its module. Groups are dealt largest first to the
least loaded shard, ties by name, so the split is balanced and the same on every runner. ``conformance merge``
(``conformance/merge.py``) puts the shards' certifications back together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SHARDS = 64
_ROW = re.compile(r"\[(.+)\]$")


class ShardError(ValueError):
    """A ``--shard`` value that is not K/N with 1 <= K <= N <= 64."""


def parse(text: str) -> tuple[int, int]:
    """``"2/4"`` → (2, 4)."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count) <= MAX_SHARDS:
        raise ShardError(f"--shard must be K/N with 1 <= K <= N <= {MAX_SHARDS}, got {text!r}")
    return int(index), int(count)


def group_of(nodeid: str) -> str:
    """The group a check travels with: its row (``[...]``), else its module."""
    match = _ROW.search(nodeid)
    return f"row:{match.group(1)}" if match else f"module:{nodeid.split('::', 1)[0]}"


def assign(nodeids: Iterable[str], count: int) -> dict[str, int]:
    """Node id → shard (1..count)."""
    groups: dict[str, list[str]] = {}
    for nodeid in nodeids:
        groups.setdefault(group_of(nodeid), []).append(nodeid)
    loads = [0] * count
    shard_of: dict[str, int] = {}
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        target = min(range(count), key=lambda i: (loads[i], i))
        loads[target] += len(groups[key])
        for nodeid in groups[key]:
            shard_of[nodeid] = target + 1
    return shard_of
