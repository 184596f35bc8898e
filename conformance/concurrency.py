"""How many checks run at once: chosen from the target's round trip, printed, and overridable.

Across a network most of a run is waiting: a quick run is ~900 requests, one after another, so at 50 ms each the
round trips alone cost 45 s (issue 19; ``benchmarks/latency.py`` measures it). Independent checks can wait
together. They run in pytest-xdist workers, each with its own run id, aliases and share of ``rate_limit``
(``plugin.py``), so no verdict depends on how many there are (``tests/cli/test_concurrency.py`` compares). What
each worker is dealt is ``conformance/scheduling.py``: the checks that share an upload go together.

The choice, made once before pytest starts:

- **near** (a round trip under :data:`LOOPBACK_MS`, and the embedded reference server): one worker. Starting
  workers costs seconds of imports and collection, about what ~900 requests wait in all at 10 ms; a front on
  loopback already adds ~5 ms (``benchmarks/README.md``).
- **otherwise** one worker per :data:`MS_PER_WORKER` of round trip, at least two and at most
  :data:`MAX_WORKERS` (more workers than this on two cores were slower: 41 s at 8 against 35 s at 4, 50 ms away);
- **never more than ``rate_limit`` needs**: by Little's law, ``rate_limit`` × round trip requests in flight
  already reach the limit, and more workers would only wait on their throttles.

``--concurrency 1`` runs one check at a time, for a fragile target; ``--concurrency N`` forces N; a ``-n`` given
to pytest wins over all of it.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from conformance.client import USER_AGENT
from conformance.http_stack import TOTAL_TIMEOUT_FACTOR
from conformance.transport import GuardedTransport

LOOPBACK_MS = 10.0
MS_PER_WORKER = 12.5
MAX_WORKERS = 4
SAMPLES = 4


class ConcurrencyError(ValueError):
    """``--concurrency`` is neither ``auto`` nor a whole number from 1 to 32."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The workers a run uses and the sentence that says why."""

    workers: int
    why: str
    round_trip_ms: float | None = None

    def line(self) -> str:
        """What the run prints before it starts."""
        count = "1 check at a time" if self.workers == 1 else f"{self.workers} workers"
        return f"concurrency: {count} ({self.why})"

    def pytest_args(self) -> list[str]:
        """The xdist options that give this choice (none for one worker: no xdist at all)."""
        return [] if self.workers == 1 else ["-n", str(self.workers)]


def parse(raw: str | None) -> int | None:
    """``None`` for automatic, else the forced number of workers."""
    if raw is None or raw == "auto":
        return None
    if raw.isdigit() and 1 <= int(raw) <= 32:
        return int(raw)
    raise ConcurrencyError(f"--concurrency must be auto or a number from 1 to 32, not {raw!r}")


def given_to_pytest(extra: Sequence[str]) -> bool:
    """The user passed xdist's own ``-n``/``--numprocesses`` (or ``-p no:xdist``): theirs stands."""
    for arg in extra:
        if arg in ("-n", "--numprocesses", "no:xdist", "-pno:xdist") or arg.startswith("--numprocesses="):
            return True
        if arg.startswith("-n") and (arg[2:].lstrip("=").isdigit() or arg[2:].lstrip("=") in ("auto", "logical")):
            return True
    return False


def round_trip_ms(base_url: str, timeout: float, samples: int = SAMPLES) -> float:
    """The median time of a ``GET /`` (status line and headers only) over one kept-alive connection, the
    connection's own set-up excluded: the wait every request of the run pays."""
    transport = GuardedTransport(origin=base_url, total_s=timeout * TOTAL_TIMEOUT_FACTOR, max_redirects=0)
    timings = []
    with httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT},
                      transport=transport) as client:
        for index in range(samples + 1):
            start = time.perf_counter()
            with client.stream("GET", base_url.rstrip("/") + "/"):
                pass
            if index:  # the first one pays the connection (and TLS) set-up
                timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def choose(round_trip: float | None, *, rate_limit: float = 0.0, forced: int | None = None) -> Choice:
    """The workers for a run ``round_trip`` ms from its target (``None``: the embedded reference server)."""
    if forced is not None:
        return Choice(forced, "--concurrency given", round_trip)
    if round_trip is None:
        return Choice(1, "the embedded reference server is on loopback: no wait to hide")
    shown = f"round trip {round_trip:.1f} ms"
    if round_trip < LOOPBACK_MS:
        return Choice(1, f"{shown}: workers would cost more to start than they save", round_trip)
    workers = min(MAX_WORKERS, max(2, round(round_trip / MS_PER_WORKER)))
    why = f"{shown}; --concurrency 1 runs one check at a time"
    if rate_limit > 0:
        needed = max(1, math.ceil(rate_limit * round_trip / 1000))
        if needed < workers:
            workers = needed
            why = f"{shown}, rate_limit {rate_limit:g}/s: {needed} in flight reach it"
    return Choice(workers, why, round_trip)
