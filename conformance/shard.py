"""``--shard K/N``: a deterministic share of the checks, so that N CI runners certify one target together.

Every shard collects the same checks (the same configuration and profile give the same collection) and keeps the
ones :func:`assign` gives it. Checks are dealt out in the units of what they share, as xdist workers are
(``conformance/scheduling.py``): every check of one corpus row goes to one shard, so a file is uploaded once across
the shards, as in a single run; a refusal's checks go with its one attempt; a module with its own set-up (the
listing's uploads, the audio the auth refusals are about) goes whole, so that set-up is made once; the access cells and
the property tests go one by one. Units are dealt largest first to the least loaded shard, ties by name, so the
split is balanced and the same on every runner. ``conformance merge`` (``conformance/merge.py``) puts the shards'
certifications back together.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.scheduling import unit_of

MAX_SHARDS = 64


class ShardError(ValueError):
    """A ``--shard`` value that is not K/N with 1 <= K <= N <= 64."""


def parse(text: str) -> tuple[int, int]:
    """``"2/4"`` → (2, 4)."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count) <= MAX_SHARDS:
        raise ShardError(f"--shard must be K/N with 1 <= K <= N <= {MAX_SHARDS}, got {text!r}")
    return int(index), int(count)


def group_of(nodeid: str) -> str:
    """The unit a check travels with to its shard."""
    return unit_of(nodeid, across_runners=True)


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
