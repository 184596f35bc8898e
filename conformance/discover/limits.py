"""``--probe-limits``: the media limits found by bisection over generated files, each upload deleted at once.

Which limits, and how exactly (the certification run must then neither refuse a file the target accepts nor accept
one it refuses, ``conformance/manifest.py``'s limit rows):

- ``min_sample_rate``: the smallest rate accepted, to the hertz;
- ``max_channels``: the most channels accepted;
- ``max_duration_s``: the longest duration accepted, to 10 ms (the run uploads exactly it, and one second more);
- ``max_file_bytes``: the largest file accepted, to the byte at a common limit (1, 2, 5, 8, 10, 16, 20 MiB or MB),
  else to 1 KiB (the run's oversize file is some 19 kB over); ``reject_statuses.too_large`` from the refusal;
- ``max_stored_sample_rate``: the ``sampleRate`` of a 48 kHz upload.

The reference limits are the loosest the contract certifies: a target found looser (no size limit, a 10-minute
duration, 7999 Hz accepted, three channels) is not learned. That is the planted faults' case exactly, and an early
finding. So a probe never sends more than the reference limits plus a byte, every upload is bounded in bytes, and
the number of uploads is bounded by the request budget.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.discover import rules
from conformance.discover.media import padded, tone
from conformance.discover.model import OBSERVED, Decision, Evidence, Finding
from conformance.discover.steps import Step, poll_until_settled
from conformance.workflow import encode_file

MAX_REQUESTS_WITH_LIMITS = 400
PROBE_SECONDS = 0.2  # the length of a rate or channel probe
COMMON_SIZES = tuple(sorted({n * 1024 * 1024 for n in (1, 2, 4, 5, 8, 10, 16, 20)} | {n * 1000 * 1000 for n in
                                                                                      (1, 2, 5, 8, 10, 16, 20)},
                            reverse=True))
COMMON_DURATIONS = (240.0, 180.0, 120.0, 90.0, 60.0, 30.0)
SIZE_PRECISION = 1024
DURATION_STEP = 0.01


class ProbeFailed(Exception):
    """A probe got neither an acceptance nor a refusal (a 5xx, no answer): the limit is not learned."""

    def __init__(self, evidence: Evidence) -> None:
        super().__init__(evidence.line())
        self.evidence = evidence


def probe(step: Step) -> None:
    """Every limit, in the order their probes depend on (a rate the target takes; durations at that rate, within
    the size limit)."""
    for key, finder in (("min_sample_rate", _min_rate), ("max_channels", _max_channels),
                        ("max_file_bytes", _max_size), ("max_duration_s", _max_duration),
                        ("max_stored_sample_rate", _stored_rate)):
        try:
            finder(step)
        except ProbeFailed as exc:
            step.default(key, "a probe was neither taken nor refused", (exc.evidence,))


def _accepts(step: Step, data: bytes, what: str) -> tuple[bool, Evidence]:
    """Upload ``data``; whether it was taken (then deleted at once) or refused."""
    prober = step.prober
    answer = prober.send("POST", prober.audios(), json_body={"file": encode_file(data), "alias": prober.tag})
    evidence = Evidence(answer.evidence.method, answer.evidence.path, answer.status,
                        f"{what}; {answer.evidence.detail}".rstrip("; "))
    if answer.status is not None and 200 <= answer.status < 300:
        handle = prober.remember(answer)
        if handle is not None and step.discovery.decisions.get("capabilities.delete", None) is not None \
                and step.discovery.decisions["capabilities.delete"].value:
            deleted = prober.send("DELETE", prober.audios(f"/{handle}"))
            if deleted.status is not None and 200 <= deleted.status < 300:
                prober.created = [(s, h) for s, h in prober.created if h != handle]
        return True, evidence
    if answer.status in rules.REFUSALS:
        return False, evidence
    raise ProbeFailed(evidence)


def _smallest(lo: int, hi: int, taken: Callable[[int], bool]) -> int:
    """The smallest value in (lo, hi] that ``taken`` accepts, given ``lo`` refused and ``hi`` accepted."""
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if taken(middle):
            hi = middle
        else:
            lo = middle
    return hi


def _largest(lo: int, hi: int, taken: Callable[[int], bool]) -> int:
    """The largest value in [lo, hi) that ``taken`` accepts, given ``lo`` accepted and ``hi`` refused."""
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if taken(middle):
            lo = middle
        else:
            hi = middle
    return lo


def _rate(step: Step) -> int:
    """The rate the other probes use: 16 kHz, or the target's minimum when it is higher."""
    return max(16000, int(step.discovery.decisions["min_sample_rate"].value))


def _min_rate(step: Step) -> None:
    key, reference = "min_sample_rate", step.reference.min_sample_rate
    seen: list[Evidence] = []

    def taken(rate: int) -> bool:
        ok, evidence = _accepts(step, tone(PROBE_SECONDS, rate=rate), f"{rate} Hz")
        seen.append(evidence)
        return ok

    if taken(reference):
        if taken(reference - 1):
            step.decide(Finding(key, f"a {reference - 1} Hz upload was taken: looser than the contract's "
                                f"{reference} Hz", reference, tuple(seen)))
            return
        step.decide(Decision(key, reference, OBSERVED, f"{reference} Hz taken, {reference - 1} Hz refused",
                             tuple(seen)))
        return
    if not taken(48000):
        step.default(key, "neither the reference minimum nor 48 kHz was taken", tuple(seen))
        return
    found = _smallest(reference, 48000, taken)
    step.decide(Decision(key, found, OBSERVED, f"the smallest rate taken ({len(seen)} probes)", tuple(seen[-3:])))


def _max_channels(step: Step) -> None:
    key, reference = "max_channels", step.reference.max_channels
    rate = _rate(step)
    seen: list[Evidence] = []
    count = reference
    while count >= 1:
        ok, evidence = _accepts(step, tone(PROBE_SECONDS, rate=rate, channels=count), f"{count} channels")
        seen.append(evidence)
        if ok:
            break
        count -= 1
    if count < 1:
        step.default(key, "not even a mono upload was taken", tuple(seen))
        return
    if count == reference:
        ok, evidence = _accepts(step, tone(PROBE_SECONDS, rate=rate, channels=count + 1), f"{count + 1} channels")
        seen.append(evidence)
        if ok:
            step.decide(Finding(key, f"a {count + 1}-channel upload was taken: looser than the contract's {reference}",
                                reference, tuple(seen)))
            return
    step.decide(Decision(key, count, OBSERVED, f"{count} channels taken, {count + 1} refused", tuple(seen)))


def _max_duration(step: Step) -> None:
    key, reference = "max_duration_s", step.reference.max_duration_s
    rate = int(step.discovery.decisions["min_sample_rate"].value)
    seen: list[Evidence] = []
    if 44 + rate * 2 * (reference + DURATION_STEP) > int(step.discovery.decisions["max_file_bytes"].value):
        step.default(key, f"at the target's minimum rate ({rate} Hz) a file of the longest duration would exceed "
                     "the size limit, which would hide the duration limit")
        return

    def taken(centis: int) -> bool:
        ok, evidence = _accepts(step, tone(centis / 100, rate=rate), f"{centis / 100:.2f} s")
        seen.append(evidence)
        return ok

    top = round(reference * 100)
    if taken(top):
        if taken(top + 1):
            step.decide(Finding(key, f"a {(top + 1) / 100:.2f} s upload was taken: longer than the contract's "
                                f"{reference:g} s", reference, tuple(seen)))
        else:
            step.decide(Decision(key, reference, OBSERVED, f"{reference:g} s taken, {(top + 1) / 100:.2f} s refused",
                                 tuple(seen)))
        return
    refused = top
    for candidate in COMMON_DURATIONS:
        centis = round(candidate * 100)
        if centis >= refused:
            continue
        if taken(centis):
            if not taken(centis + 1):
                step.decide(Decision(key, candidate, OBSERVED, f"{candidate:g} s taken, "
                                     f"{(centis + 1) / 100:.2f} s refused", tuple(seen[-2:])))
                return
            found = _largest(centis + 1, refused, taken) / 100
            break
        refused = centis
    else:
        if not taken(100):
            step.default(key, "not even a one-second upload was taken", tuple(seen))
            return
        found = _largest(100, refused, taken) / 100
    step.decide(Decision(key, found, OBSERVED, f"the longest duration taken, to {DURATION_STEP:g} s "
                         f"({len(seen)} probes)", tuple(seen[-2:])))


def _max_size(step: Step) -> None:
    key, reference = "max_file_bytes", step.reference.max_file_bytes
    rate = _rate(step)
    seen: list[Evidence] = []
    refusals: list[Evidence] = []

    def taken(size: int) -> bool:
        ok, evidence = _accepts(step, padded(size, rate=rate), f"{size} bytes")
        seen.append(evidence)
        if not ok:
            refusals.append(evidence)
        return ok

    found: int | None = None
    if taken(reference):
        if taken(reference + 1):
            step.decide(Finding(key, f"a file of {reference + 1} bytes was taken: larger than the contract's "
                                f"{reference}", reference, tuple(seen)))
            return
        found = reference
    else:
        refused = reference
        for candidate in COMMON_SIZES:
            if candidate >= refused:
                continue
            if taken(candidate):
                found = candidate if not taken(candidate + 1) else \
                    _largest(candidate // SIZE_PRECISION, refused // SIZE_PRECISION,
                             lambda k: taken(k * SIZE_PRECISION)) * SIZE_PRECISION
                break
            refused = candidate
        if found is None:
            step.default(key, "not even a 1 MB file was taken", tuple(seen))
            return
    step.decide(Decision(key, found, OBSERVED, f"the largest file taken ({len(seen)} probes)", tuple(seen[-2:])))
    step.decide(rules.single_status("reject_statuses.too_large", refusals[-1:], rules.REFUSALS,
                                    step.reference.reject_statuses["too_large"],
                                    why="a file one byte over the size limit answered this"))


def _stored_rate(step: Step) -> None:
    key, reference = "max_stored_sample_rate", step.reference.max_stored_sample_rate
    prober = step.prober
    answer = prober.send("POST", prober.audios(),
                         json_body={"file": encode_file(tone(PROBE_SECONDS, rate=reference)), "alias": prober.tag})
    handle = prober.remember(answer)
    body = answer.json()
    if handle is None or not isinstance(body, dict):
        step.default(key, f"a {reference} Hz upload was not taken", (answer.evidence,))
        return
    if body.get("state") not in ("available", "notAvailable"):
        body = poll_until_settled(step, handle) or body
    stored = body.get("sampleRate")
    evidence = Evidence(answer.evidence.method, answer.evidence.path, answer.status, f"sampleRate: {stored}")
    if not isinstance(stored, int) or isinstance(stored, bool) or not 0 < stored <= reference:
        step.decide(Finding(key, f"a {reference} Hz upload is stored at {stored!r}", reference, (evidence,)))
        return
    step.decide(Decision(key, stored, OBSERVED, f"a {reference} Hz upload is stored at {stored} Hz", (evidence,)))
