"""The probing sequence: a few dozen requests, each step deciding the profile keys it can see.

Steps run in order and share what they made (the audios they created, the handles they saw); a step that lacks
what it needs (no foreign space configured, no audio could be created) defaults its keys and says why. The rules
of what may be learned are ``conformance/discover/rules.py``; the limits' bisection (``--probe-limits``) is
``conformance/discover/limits.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conformance.discover import rules
from conformance.discover.media import tone
from conformance.discover.model import CONFLICTING, DEFAULTED, OBSERVED, Decision, Discovery, Evidence, Finding
from conformance.discover.prober import Answer, Prober
from conformance.profile import Profile
from conformance.workflow import encode_file

PENDING = "avaitingFile"  # sic: the docs' spelling; an audio whose file is not processed yet
SETTLED = ("available", "notAvailable")
POLL_FIRST_S, POLL_MAX_S = 0.05, 1.0  # an asynchronous target is polled with a growing interval
TIMEOUT_HEADROOM = 10.0  # the processing timeout is this many times the slowest time-to-available seen


@dataclass(slots=True)
class Step:
    """What the steps share."""

    prober: Prober
    discovery: Discovery
    reference: Profile
    audios: list[dict[str, Any]] = field(default_factory=list)  # audios created with a file, as created
    waits: list[float] = field(default_factory=list)
    fileless: str | None = None  # the handle of an audio created without a file

    def decide(self, outcome: Decision | Finding) -> None:
        """Record a decision, or a finding (and the reference value for its key)."""
        if isinstance(outcome, Finding):
            self.discovery.find(outcome)
            self.default(outcome.key, "an observation no conforming value explains (see the early findings)",
                         outcome.evidence)
        else:
            self.discovery.decide(outcome)

    def default(self, key: str, why: str, evidence: tuple[Evidence, ...] = ()) -> None:
        """Keep the reference value of ``key``."""
        self.discovery.decide(Decision(key, reference_value(self.reference, key), DEFAULTED, why, evidence))


def reference_value(profile: Profile, key: str) -> Any:
    """The value of a (dotted) key in ``profile``, as a plain TOML value."""
    head, _, sub = key.partition(".")
    value = getattr(profile, head)
    value = value[sub] if sub else value
    return list(value) if isinstance(value, tuple) else value


def authentication(step: Step) -> None:
    """``unauthenticated_statuses``: ``GET /user`` with no credentials."""
    answer = step.prober.send("GET", "user", actor=None, detail=_challenge)
    step.decide(rules.status_set("unauthenticated_statuses", [answer.evidence], rules.UNAUTHENTICATED,
                                 reference_value(step.reference, "unauthenticated_statuses"),
                                 why="a request without credentials answered this"))


def access(step: Step) -> None:
    """``hide_existence`` (a foreign space against one that does not exist) and the tolerance of
    ``denied_statuses``."""
    prober = step.prober
    unknown = prober.send("GET", f"spaces/{prober.tag}-nobody/{prober.tag}/audios")
    foreign_space = prober.settings.spaces.get("foreign")
    denied = reference_value(step.reference, "denied_statuses")
    seen = [unknown.evidence]
    if foreign_space is None:
        step.default("hide_existence", "no foreign space is configured: nothing to compare an unknown space with",
                     tuple(seen))
    else:
        foreign = prober.send("GET", f"spaces/{foreign_space.owner}/{foreign_space.space}/audios")
        seen.insert(0, foreign.evidence)
        same = _problem_shape(foreign) == _problem_shape(unknown)
        step.decide(rules.hide_existence(foreign.evidence, unknown.evidence, same_body=same,
                                         reference=step.reference.hide_existence))
    outside = [e for e in seen if e.status is not None and e.status not in denied]
    if outside:
        step.decide(Finding("denied_statuses", f"{outside[0].line()}, not one of {denied}", denied, tuple(seen)))
    else:
        step.default("denied_statuses", "a tolerance of the suite: every denial seen falls within it", tuple(seen))


def create(step: Step) -> None:
    """``client_handle`` and ``processing``: a create that also sends a handle, then a second plain one (the list
    needs two audios); an asynchronous target is polled until the audios settle."""
    prober = step.prober
    body = {"file": encode_file(tone(1.0)), "alias": prober.tag}
    asked = f"{prober.tag}-handle"
    first = prober.send("POST", prober.audios(), json_body={**body, "handle": asked})
    handle = prober.remember(first)
    if handle is not None:
        if handle == asked:
            step.decide(Finding("client_handle", f"{first.evidence.line()} kept the handle the client sent",
                                step.reference.client_handle, (first.evidence,)))
        else:
            step.decide(Decision("client_handle", "ignore", OBSERVED, "a handle sent on create was ignored",
                                 (first.evidence,)))
        step.audios.append(first.json())
    elif first.status is None:
        step.default("client_handle", f"no usable answer: {first.evidence.line()}", (first.evidence,))
    elif first.status in rules.INVALID_REQUEST:
        step.decide(Decision("client_handle", "reject", OBSERVED, "a create with a handle was refused",
                             (first.evidence,)))
    else:
        step.decide(Finding("client_handle", f"{first.evidence.line()}: a create with a handle neither taken nor "
                            "refused", step.reference.client_handle, (first.evidence,)))
    while len(step.audios) < 2:
        answer = prober.send("POST", prober.audios(), json_body=body)
        if prober.remember(answer) is None:
            break
        step.audios.append(answer.json())
    if not step.audios:
        step.default("processing", "no audio could be created: processing is not observable")
        return
    states = {audio.get("state") for audio in step.audios}
    evidence = (first.evidence,)
    if states <= set(SETTLED):
        step.decide(Decision("processing", "sync", OBSERVED, "a create answered the audio already processed",
                             evidence))
        return
    if states - {PENDING, *SETTLED}:
        step.decide(Finding("processing", f"a create answered the state {sorted(states - {PENDING, *SETTLED})}, "
                            "not a documented one", step.reference.processing, evidence))
        return
    for index, audio in enumerate(step.audios):
        settled = poll_until_settled(step, str(audio.get("handle")))
        if settled is None:
            step.decide(Finding("processing", f"audio {audio.get('handle')} did not settle within "
                                f"{step.reference.processing_timeout_s:g} s", step.reference.processing, evidence))
            return
        step.audios[index] = settled
    slowest = max(step.waits)
    step.decide(Decision("processing", "async", OBSERVED, f"a create answered {PENDING}; processed after "
                         f"{slowest:.2f} s at the slowest", evidence))
    step.decide(Decision("poll_interval_s", round(min(max(slowest / 4, 0.05), 2.0), 3), OBSERVED,
                         "a quarter of the slowest time-to-available seen", evidence))
    timeout = round(min(max(step.reference.processing_timeout_s, TIMEOUT_HEADROOM * slowest), 600.0), 1)
    step.decide(Decision("processing_timeout_s", timeout, OBSERVED,
                         f"{TIMEOUT_HEADROOM:g} times the slowest time-to-available seen, never below the "
                         "reference's", evidence))


def poll_until_settled(step: Step, handle: str) -> dict[str, Any] | None:
    """The audio's details once processed, or ``None`` after the reference's processing timeout.

    Not ``workflow.settle``: that one polls at the profile's ``poll_interval_s``, which is what this step learns,
    so it backs off from :data:`POLL_FIRST_S` instead, and it reads through the prober so that every answer is
    evidence for the decision.
    """
    start = time.monotonic()
    interval = POLL_FIRST_S
    while time.monotonic() - start < step.reference.processing_timeout_s:
        time.sleep(interval)
        interval = min(interval * 2, POLL_MAX_S)
        answer = step.prober.send("GET", step.prober.audios(f"/{handle}"))
        body = answer.json()
        if answer.status == 200 and isinstance(body, dict) and body.get("state") in SETTLED:
            step.waits.append(time.monotonic() - start)
            return body
    return None


def fileless(step: Step) -> None:
    """``fileless_create``, then with an audio awaiting its file: ``file_before_upload_statuses``,
    ``capabilities.raw_upload`` and ``conflict_statuses`` (a second raw upload)."""
    prober = step.prober
    omit = prober.send("POST", prober.audios(), json_body={"alias": prober.tag})
    null = prober.send("POST", prober.audios(), json_body={"alias": prober.tag, "file": None})
    handles = [prober.remember(answer) for answer in (omit, null)]
    states = [answer.json().get("state") if isinstance(answer.json(), dict) else None for answer in (omit, null)]
    outcome = rules.fileless_form(omit.evidence, null.evidence, states[0], states[1], step.reference.fileless_create)
    step.decide(outcome)
    step.fileless = next((h for h in handles if h), None)
    for key in ("file_before_upload_statuses", "conflict_statuses"):
        step.default(key, "no audio without a file could be created: not observable")
    if step.fileless is None:
        if isinstance(outcome, Decision) and outcome.value == "unsupported":
            step.decide(Decision("capabilities.raw_upload", False, OBSERVED,
                                 "no audio can be created without a file, so none can get one afterwards",
                                 outcome.evidence))
        else:
            step.default("capabilities.raw_upload", "no audio without a file could be created")
        return
    path = prober.audios(f"/{step.fileless}/file")
    before = prober.send("GET", path)
    step.decide(rules.status_set("file_before_upload_statuses", [before.evidence], rules.FILE_BEFORE_UPLOAD,
                                 reference_value(step.reference, "file_before_upload_statuses"),
                                 why="the file of an audio still awaiting it answered this"))
    media = tone(1.0)
    upload = prober.send("POST", path, content=media, headers={"Content-Type": "application/octet-stream"})
    step.decide(rules.capability("capabilities.raw_upload", upload.evidence, step.reference.has("raw_upload"),
                                 what="a raw upload of an audio awaiting its file"))
    if upload.status is not None and 200 <= upload.status < 300:
        again = prober.send("POST", path, content=media, headers={"Content-Type": "application/octet-stream"})
        step.decide(rules.status_set("conflict_statuses", [again.evidence], rules.CONFLICT,
                                     reference_value(step.reference, "conflict_statuses"),
                                     why="a second raw upload of the same audio answered this"))


def listing(step: Step) -> None:
    """The sort syntax and default direction (over the audios discovery made, found by their alias),
    ``invalid_request_statuses`` (``page-size=51``) and ``list_past_end_status``."""
    prober = step.prober
    ours = [str(audio.get("handle")) for audio in step.audios if audio.get("handle")]
    sort_keys = ("list_sort_ascending", "list_sort_descending", "list_sort_default_direction")
    if len(ours) < 2:
        for key in sort_keys:
            step.default(key, "fewer than two audios could be created: an order is not observable")
    else:
        _sorting(step, ours)
    too_big = prober.send("GET", prober.audios(), params={"page-size": 51})
    step.decide(rules.status_set("invalid_request_statuses", [too_big.evidence], rules.INVALID_REQUEST,
                                 reference_value(step.reference, "invalid_request_statuses"),
                                 why="page-size=51 (the documented maximum is 50) answered this"))
    past = prober.send("GET", prober.audios(), params={"search": prober.tag, "page": 10000})
    body = past.json()
    if past.status == 200 and body == []:
        step.decide(Decision("list_past_end_status", 200, OBSERVED, "a page past the last answered an empty page",
                             (past.evidence,)))
    elif past.status is None:
        step.default("list_past_end_status", f"no usable answer: {past.evidence.line()}", (past.evidence,))
    elif past.status in rules.PAST_END:
        step.decide(Decision("list_past_end_status", past.status, OBSERVED, "a page past the last is refused",
                             (past.evidence,)))
    else:
        step.decide(Finding("list_past_end_status", f"{past.evidence.line()} for a page past the last",
                            step.reference.list_past_end_status, (past.evidence,)))


MISSING = "missing"


def _order(step: Step, sort: str | None, ours: list[str]) -> tuple[Answer, list[str] | str | None]:
    """Our audios in the order a list answered them; None when refused, ``MISSING`` when they are not all on the
    page found by their alias (a search not honoured, a crowded space): then no order can be read."""
    params: dict[str, Any] = {"search": step.prober.tag, "page-size": 50}
    if sort is not None:
        params["sort"] = sort
    answer = step.prober.send("GET", step.prober.audios(), params=params)
    body = answer.json()
    if answer.status != 200 or not isinstance(body, list):
        return answer, None
    seen = [item.get("handle") for item in body if isinstance(item, dict) and item.get("handle") in ours]
    return answer, seen if sorted(seen) == sorted(ours) else MISSING


def _sorting(step: Step, ours: list[str]) -> None:
    """Each sort syntax is tried on ``handle`` and, when our audios' creation times differ, on ``createdAt``.

    One field alone can be fooled: the handles are the target's, so their order may match the creation order a
    target that ignores ``sort`` answers anyway (1 time in 24 with four audios). A syntax is learned only when
    both fields come back in its order; the descending ``createdAt`` order is never the order such a target
    answers for both directions, so ignoring ``sort`` is always seen.
    """
    by_time = [str(a.get("handle")) for a in sorted(step.audios, key=lambda audio: str(audio.get("createdAt")))]
    orders = {"handle": sorted(ours)}
    if len({a.get("createdAt") for a in step.audios}) == len(step.audios) and sorted(by_time) == sorted(ours):
        orders["createdAt"] = by_time
    for key, candidates, reverse in (("list_sort_ascending", rules.SORT_ASCENDING, False),
                                     ("list_sort_descending", rules.SORT_DESCENDING, True)):
        tried: list[Evidence] = []
        for candidate in candidates:
            outcome = _try_syntax(step, key, candidate, orders, reverse, tried)
            if outcome == "honoured":
                shown = ", ".join(f"sort={candidate.replace('{field}', name)}" for name in orders)
                step.decide(Decision(key, candidate, OBSERVED, f"{shown} list in that order", tuple(tried)))
                break
            if outcome == "decided":
                break
        else:
            if key == "list_sort_descending":
                step.decide(Decision(key, "", OBSERVED, "every descending syntax was refused: ascending only",
                                     tuple(tried)))
            else:
                step.decide(Finding(key, "every ascending syntax was refused", reference_value(step.reference, key),
                                    tuple(tried)))
    _default_direction(step, ours)


def _try_syntax(step: Step, key: str, candidate: str, orders: dict[str, list[str]], reverse: bool,
                tried: list[Evidence]) -> str:
    """``honoured`` (every field in the syntax's order), ``refused`` (try the next syntax) or ``decided`` (the
    key was defaulted or a finding was made)."""
    for position, (name, base) in enumerate(orders.items()):
        answer, order = _order(step, candidate.replace("{field}", name), base)
        tried.append(answer.evidence)
        if answer.status is None:
            step.default(key, f"no usable answer: {answer.evidence.line()}", tuple(tried))
            return "decided"
        if order == MISSING:
            step.default(key, "the audios discovery made were not all on the page their alias finds", tuple(tried))
            return "decided"
        if answer.status == 200 and order == (base[::-1] if reverse else base):
            continue
        if answer.status == 200:  # accepted, and not honoured: no conforming syntax explains it
            step.decide(Finding(key, f"{answer.evidence.line()} but the list is not in that order",
                                reference_value(step.reference, key), tuple(tried)))
            return "decided"
        if answer.status in rules.INVALID_REQUEST and position == 0:
            return "refused"
        why = ("accepted for one field and refused for another" if answer.status in rules.INVALID_REQUEST
               else "a sort value neither honoured nor refused")
        step.decide(Finding(key, f"{answer.evidence.line()}: {why}", reference_value(step.reference, key),
                            tuple(tried)))
        return "decided"
    return "honoured"


def _default_direction(step: Step, ours: list[str]) -> None:
    """``list_sort_default_direction``: the order of a list without ``sort``, against our creation times."""
    by_time = [str(a.get("handle")) for a in sorted(step.audios, key=lambda audio: str(audio.get("createdAt")))]
    answer, order = _order(step, None, ours)
    if len({a.get("createdAt") for a in step.audios}) < len(step.audios) or order in (None, MISSING):
        step.default("list_sort_default_direction", "the audios' order without `sort` could not be read",
                     (answer.evidence,))
    elif order == by_time:
        step.decide(Decision("list_sort_default_direction", "asc", OBSERVED, "without `sort`: oldest first",
                             (answer.evidence,)))
    elif order == by_time[::-1]:
        step.decide(Decision("list_sort_default_direction", "desc", OBSERVED, "without `sort`: newest first",
                             (answer.evidence,)))
    else:
        step.decide(Finding("list_sort_default_direction", "without `sort` the list is in neither createdAt order",
                            step.reference.list_sort_default_direction, (answer.evidence,)))


def keys(step: Step) -> None:
    """``capabilities.api_keys``: create an API key (and revoke it at once)."""
    prober = step.prober
    handle = f"{prober.tag}-key"
    answer = prober.send("POST", "user/keys", json_body={"handle": handle, "alias": prober.tag}, detail=_no_token)
    step.decide(rules.capability("capabilities.api_keys", answer.evidence, step.reference.has("api_keys"),
                                 what="creating an API key"))
    if answer.status is not None and 200 <= answer.status < 300:
        body = answer.json()
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            prober.redactor.add(body["token"])
        prober.send("DELETE", f"user/keys/{handle}")


REFUSAL_PROBES: tuple[tuple[str, str, Any], ...] = (
    ("malformed", "a body that is not JSON", b"{not json"),
    ("malformed", "`file` a number", {"file": 12}),
    ("bad_base64", "`file` not Base64", {"file": "@@@@"}),
    ("empty", "`file` empty", {"file": ""}),
    ("undecodable", "text, not media", {"file": encode_file(b"this is not a media file\n" * 40)}),
    ("invalid_audio", "a WAV with no samples", {"file": encode_file(tone(0.0))}),
)
"""One or two uploads per reason a reason's status can be seen by (``too_large`` needs a file over the limit:
``--probe-limits``). Two for one reason may disagree: the status is then conflicting, and the run accepts any
client error for a refusal."""


def refusals(step: Step) -> None:
    """``reject_statuses`` (but ``too_large``) and, when one reason gets two statuses, ``strict_reject_statuses``."""
    prober = step.prober
    seen: dict[str, list[Evidence]] = {}
    for reason, what, body in REFUSAL_PROBES:
        if isinstance(body, bytes):
            answer = prober.send("POST", prober.audios(), content=body, headers={"Content-Type": "application/json"})
        else:
            answer = prober.send("POST", prober.audios(), json_body={**body, "alias": prober.tag})
        prober.remember(answer)
        seen.setdefault(reason, []).append(Evidence(answer.evidence.method, answer.evidence.path,
                                                    answer.evidence.status,
                                                    f"{what}; {answer.evidence.detail}".rstrip("; ")))
    conflicting = False
    for reason, answers in seen.items():
        key = f"reject_statuses.{reason}"
        outcome = rules.single_status(key, answers, rules.REFUSALS, reference_value(step.reference, key),
                                      why="an upload refused for this reason answered this")
        conflicting |= isinstance(outcome, Decision) and outcome.provenance == CONFLICTING
        step.decide(outcome)
    if conflicting:
        step.decide(Decision("strict_reject_statuses", False, CONFLICTING,
                             "one reason was refused with two statuses: any client error is accepted",
                             tuple(e for answers in seen.values() for e in answers)))
    else:
        step.default("strict_reject_statuses", "whether a target promises one status per reason is not observable; "
                     "each reason's status was")


def deletion(step: Step) -> None:
    """``capabilities.delete`` and ``deleted_statuses``: delete one of discovery's audios, then read it."""
    if not step.audios:
        step.default("capabilities.delete", "no audio could be created to delete")
        step.default("deleted_statuses", "no audio could be created to delete")
        return
    prober = step.prober
    handle = str(step.audios[0].get("handle"))
    answer = prober.send("DELETE", prober.audios(f"/{handle}"))
    step.decide(rules.capability("capabilities.delete", answer.evidence, step.reference.has("delete"),
                                 what="deleting an audio"))
    if answer.status is None or not 200 <= answer.status < 300:
        step.default("deleted_statuses", "the audio could not be deleted")
        return
    prober.created = [(space, h) for space, h in prober.created if h != handle]
    after = prober.send("GET", prober.audios(f"/{handle}"))
    step.decide(rules.status_set("deleted_statuses", [after.evidence], rules.DELETED,
                                 reference_value(step.reference, "deleted_statuses"),
                                 why="the details of a deleted audio answered this"))


def _problem_shape(answer: Answer) -> tuple[Any, ...]:
    """What a denial's body shows, for comparing two of them: its members and title (not its detail or
    instance, which name the path)."""
    body = answer.json()
    if not isinstance(body, dict):
        return (answer.status, None)
    return (answer.status, body.get("title"), tuple(sorted(k for k in body if k not in ("detail", "instance"))))


def _challenge(response: Any) -> str:
    challenge = response.headers.get("www-authenticate")
    return f"WWW-Authenticate: {challenge}" if challenge else ""


def _no_token(response: Any) -> str:
    return f"status {response.status_code}"


STEPS = (authentication, access, create, fileless, listing, keys, refusals, deletion)
"""The order of the probes: later steps use the audios the earlier ones made."""
