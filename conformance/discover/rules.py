"""What discovery may learn: for each profile key, the values the contract allows, and how an answer maps to one.

Discovery only ever chooses among conforming alternatives. Each rule below takes what the target answered and
returns either a decision (a value the contract allows that explains the answer) or a finding (no allowed value
explains it; the reference value is kept, and the certification run fails it by its requirement). So a discovered
profile never makes a faulty target conform: a 200 for a foreign space, a 500 for bad Base64, a sort value accepted
and ignored, a delete that leaves the audio readable, none of them is an alternative anyone may choose.

The sets come from the contract the suite certifies (README, "The contract"; ``docs/decisions.md``): 401 for
missing credentials, 403 or 404 for what the caller may not use, a 4xx of the client-error kind for each refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.discover.model import CONFLICTING, DEFAULTED, OBSERVED, Decision, Evidence, Finding

UNAUTHENTICATED = (401,)
DENIED = (403, 404)
INVALID_REQUEST = (400, 422)
CONFLICT = (409, 400, 422)
DELETED = (404, 410)
FILE_BEFORE_UPLOAD = (404, 409, 400, 422, 425)
PAST_END = (400, 404, 416, 422)  # besides 200 with an empty page
CAPABILITY_ABSENT = (404, 405, 501)
REFUSALS = tuple(s for s in range(400, 500) if s not in (401, 403, 407, 408, 429))
"""A refused upload may answer any client error except those that mean something else (credentials, access,
proxy, timeout, rate limit)."""

SORT_ASCENDING = ("{field}", "+{field}", "{field}:asc")
SORT_DESCENDING = ("-{field}", "{field}:desc")
"""The sort syntaxes targets use (the reference's first). A syntax is learned only when the target answers it in
that order; one it accepts and does not honour is a finding."""

Outcome = Decision | Finding


def unanswered(key: str, answers: Sequence[Evidence], reference: Any) -> Decision | None:
    """A probe without a usable answer (a timeout, a dropped connection, an answer the transport stopped) decides
    nothing: the key keeps its reference value, and the run judges the transport by its own requirements."""
    missing = [e for e in answers if e.status is None]
    if not missing:
        return None
    return Decision(key, reference, DEFAULTED, f"no usable answer: {missing[0].line()}", tuple(answers))


def status_set(key: str, answers: Sequence[Evidence], allowed: Sequence[int], reference: Any, *,
               why: str) -> Outcome:
    """A list-of-statuses key from one or more answers: every status allowed → the statuses seen (conflicting when
    they differ); one not allowed → a finding."""
    if (silent := unanswered(key, answers, reference)) is not None:
        return silent
    bad = [e for e in answers if e.status not in allowed]
    if bad:
        return Finding(key, f"{bad[0].line()}, not one of {_statuses(allowed)}", reference, tuple(answers))
    seen = sorted({e.status for e in answers if e.status is not None})
    provenance = CONFLICTING if len(seen) > 1 else OBSERVED
    return Decision(key, seen, provenance, why, tuple(answers))


def single_status(key: str, answers: Sequence[Evidence], allowed: Sequence[int], reference: Any, *,
                  why: str) -> Outcome:
    """A one-status key (a reject reason's status): two different allowed answers conflict, the first is kept."""
    outcome = status_set(key, answers, allowed, reference, why=why)
    if isinstance(outcome, Finding):
        return outcome
    first = answers[0].status
    return Decision(key, first, outcome.provenance, why if outcome.provenance == OBSERVED else
                    f"{why}; the answers differ ({', '.join(str(s) for s in outcome.value)}), the first is kept",
                    outcome.evidence)


def capability(key: str, answer: Evidence, reference: bool, *, what: str) -> Outcome:
    """A capability from the answer to its first use: 2xx → present, 404/405/501 → absent, anything else → a
    finding (the target neither does it nor says it cannot)."""
    if (silent := unanswered(key, [answer], reference)) is not None:
        return silent
    if answer.status is not None and 200 <= answer.status < 300:
        return Decision(key, True, OBSERVED, f"{what} answered {answer.status}", (answer,))
    if answer.status in CAPABILITY_ABSENT:
        return Decision(key, False, OBSERVED, f"{what} answered {answer.status}: the target does not offer it",
                        (answer,))
    return Finding(key, f"{answer.line()}: neither done nor refused as unsupported", reference, (answer,))


def fileless_form(omit: Evidence, null: Evidence, omit_state: Any, null_state: Any, reference: str) -> Outcome:
    """``fileless_create`` from a create without ``file`` and one with ``"file": null``: each is taken (201 and an
    audio awaiting its file) or refused (a 4xx)."""
    key = "fileless_create"
    if (silent := unanswered(key, [omit, null], reference)) is not None:
        return silent
    taken = {}
    for name, answer, state in (("omit", omit, omit_state), ("null", null, null_state)):
        if answer.status is not None and 200 <= answer.status < 300:
            if state != "avaitingFile":
                return Finding(key, f"{answer.line()} with state {state!r}, not an audio awaiting its file",
                               reference, (omit, null))
            taken[name] = True
        elif answer.status in REFUSALS:
            taken[name] = False
        else:
            return Finding(key, f"{answer.line()}: a create without a file is neither taken nor refused",
                           reference, (omit, null))
    value = {(True, True): "either", (True, False): "omit", (False, True): "null",
             (False, False): "unsupported"}[(taken["omit"], taken["null"])]
    return Decision(key, value, OBSERVED, f"without `file`: {'taken' if taken['omit'] else 'refused'}; "
                    f"`\"file\": null`: {'taken' if taken['null'] else 'refused'}", (omit, null))


def hide_existence(foreign: Evidence, unknown: Evidence, *, same_body: bool, reference: bool) -> Outcome:
    """Whether a foreign space and one that does not exist look alike (same status, same problem)."""
    if (silent := unanswered("hide_existence", [foreign, unknown], reference)) is not None:
        return silent
    for answer in (foreign, unknown):
        if answer.status not in DENIED:
            return Finding("hide_existence", f"{answer.line()}, not 403 or 404", reference, (foreign, unknown))
    hidden = foreign.status == unknown.status and same_body
    why = ("a foreign space and an unknown one answer alike" if hidden else
           "a foreign space and an unknown one answer differently: existence shows")
    return Decision("hide_existence", hidden, OBSERVED, why, (foreign, unknown))


def _statuses(allowed: Sequence[int]) -> str:
    return "a client error" if allowed == REFUSALS else ", ".join(str(s) for s in allowed)
