"""Our checks for schemathesis runs, each deciding one requirement id, and the translation of its failures.

Schemathesis runs its built-in checks on every generated request; these add what only this suite knows: an
accepted upload must really be stored as a valid WAV (``PROP-CREATE-FILE-VALID``), a refused one must store
nothing (``PROP-REJECT-NOTHING-STORED``), and error bodies must be clean problem details (``PROP-ERROR-BODY``).
They reuse the hand-written checks (``conformance.checks.wav``/``http``) and re-raise their findings under the
property requirement, keeping the original finding in the message.

They are handed to schemathesis as ``additional_checks`` bound to one run's context (the target, the primary
actor's client, the profile, the resource registry), not registered with schemathesis process-wide: a
process-wide check could not know which target or profile it is judging. Each method is still bound to its
requirement with ``@check``, like every other check, so ``conformance.checks.REGISTRY`` finds it by its id.

Schemathesis reports failures as a ``FailureGroup``; :func:`as_conformance_failure` turns one into our
``ConformanceFailure`` so the requirement id, a curl line with ``$TOKEN`` and the seed reach the report.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import requests
from schemathesis import Case, Response
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup

from conformance.checks import ConformanceFailure, check, fail
from conformance.checks.audio import duration_is_iso8601
from conformance.checks.http import error_body_is_problem_json, json_body
from conformance.checks.transport import TransportFailure
from conformance.checks.wav import file_answers_wav, is_pcm16_mono_wav, length_matches_duration, rate_matches_details
from conformance.client import ApiClient
from conformance.config import Space
from conformance.http_stack import CallObserver, RequestStats, TargetError, Throttle
from conformance.profile import Profile
from conformance.resources import Resources
from conformance.transcript import Exchange
from conformance.transcript import curl as transcript_curl
from conformance.workflow import settle

SEARCH_PAGE = 50


def is_create(case: Case) -> bool:
    """``POST .../audios`` (by shape, so that a target's own definition with other operation ids works too)."""
    return case.method.upper() == "POST" and case.operation.path.rstrip("/").endswith("/audios")


def is_key_create(case: Case) -> bool:
    """``POST /user/keys``: fuzzing creates API keys, which the run must revoke again."""
    return case.method.upper() == "POST" and case.operation.path.rstrip("/").endswith("/user/keys")


def as_httpx(response: Response) -> httpx.Response:
    """A schemathesis response as the ``httpx.Response`` our hand-written checks take."""
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    return httpx.Response(response.status_code, headers=headers, content=response.content)


def sent_file(case: Case) -> bool:
    """Whether the create carried media (a ``file`` string), as opposed to an audio awaiting its file."""
    return isinstance(case.body, dict) and isinstance(case.body.get("file"), str)


@check("PROP-ERROR-BODY")
def invalid_create_refused(response: httpx.Response) -> None:
    """An invalid create is refused with a 4xx (whose body the same requirement then judges)."""
    if not 400 <= response.status_code < 500:
        fail("an invalid create was not refused", received=str(response.status_code),
             expected="a 4xx with problem details")


@dataclass
class PropertyChecks:
    """The checks of one property run, bound to the target through the primary actor's client (``http``: the
    suite's own client, so that its reads share the run's timeout, hang guard, retries and rate limit)."""

    http: ApiClient
    space: Space
    profile: Profile
    resources: Resources
    actor: str = "primary"
    throttle: Throttle = field(default_factory=Throttle)
    stats: RequestStats = field(default_factory=RequestStats)
    alias_prefix: str = "prop"  # the run id: aliases the property run adds are the run's own
    keys: set[str] = field(default_factory=set)
    _before: dict[str, frozenset[str] | int | None] = field(default_factory=dict)
    _marks: Iterator[int] = field(default_factory=itertools.count)
    #: The bookkeeping around each of schemathesis' calls (``conformance/properties/runner.py`` calls it), the same
    #: as around every request of the suite's client (``conformance.http_stack.CallObserver``).
    observer: CallObserver = field(init=False, repr=False)

    def all(self) -> list[Callable[..., None]]:
        """The MUST checks, as schemathesis ``additional_checks`` on every generated case. The error-body check
        (SHOULD) runs in its own scenario: a SHOULD finding must not leave a MUST requirement undecided."""
        return [self.create_file_is_valid, self.refusal_stores_nothing]

    def __post_init__(self) -> None:
        """The observer of schemathesis' own calls: the client's hang guard, the run's rate limit and statistics."""
        self.observer = CallObserver(timeout=self.http.timeout, hang_guard=self.http.hang_guard,
                                     throttle=self.throttle, stats=self.stats)

    # --- what the checks note around each call -----------------------------------------------------------
    def before_call(self, case: Case) -> None:
        """Before a create: give it an alias when it has none, and note what a refusal must leave unchanged."""
        if is_create(case):
            if isinstance(case.body, dict) and "alias" not in case.body:
                case.body["alias"] = f"{self.alias_prefix}-p{next(self._marks)}"
            self._before[case.id] = self.stored_like(case)

    def after_call(self, case: Case, response: Response) -> None:
        """Record what the call created, so that the run deletes it at the end (audios) or now (keys)."""
        body = json_body(as_httpx(response)) if 200 <= response.status_code < 300 else None
        handle = body.get("handle") if isinstance(body, dict) else None
        if not isinstance(handle, str) or not handle:
            return
        if is_create(case) and case.path_parameters == {"owner": self.space.owner, "space": self.space.space}:
            self.resources.record(self.actor, self.space, handle)
        elif is_key_create(case):
            self.keys.add(handle)

    def revoke_keys(self) -> list[str]:
        """Delete the API keys fuzzing created; returns those that could not be deleted."""
        left = []
        for handle in sorted(self.keys):
            try:
                status = self.http.delete_key(handle).status_code
            except TargetError:
                status = 0
            if status not in (200, 204, 404):
                left.append(handle)
        self.keys.clear()
        return left

    def awaiting_file(self, case: Case, response: Response) -> bool:
        """``GET .../file`` answered the profile's "no file yet" status, and the audio does await its file."""
        if case.method.upper() != "GET" or not case.operation.path.endswith("/file"):
            return False
        if response.status_code not in self.profile.file_before_upload_statuses:
            return False
        details = self._get(str(response.request.url).removesuffix("/file"))
        body = json_body(details) if details.status_code == 200 else None
        return isinstance(body, dict) and body.get("state") == "avaitingFile"

    def stored_like(self, case: Case) -> frozenset[str] | None:
        """What shows whether this create stored an audio: the handles of the space's audios with the case's alias
        (found by ``search``), which other writers to the space (xdist workers, concurrent runs) do not change.
        None when the alias cannot be searched for (none, not a string, too common): then nothing here can tell.
        The space's ``Item-Total`` once stood in for it, and failed conforming targets whenever anyone else wrote
        to the space meanwhile (a nightly run 50 ms away on four workers: "69 before, 70 after")."""
        alias = case.body.get("alias") if isinstance(case.body, dict) else None
        if isinstance(alias, str) and alias:
            response = self._get(self._list_path(), params={"search": alias, "page-size": SEARCH_PAGE})
            body = json_body(response)
            if response.status_code == 200 and isinstance(body, list) and len(body) < SEARCH_PAGE:
                return frozenset(str(item.get("handle")) for item in body
                                 if isinstance(item, dict) and item.get("alias") == alias)
        return None

    def _get(self, target: str, *, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """``GET`` through the run's client (timeout, hang guard, retries, rate limit, transcript); an absolute
        URL of the target becomes its path."""
        return self.http.request("GET", target.removeprefix(self.http.base_url), params=params, headers=headers)

    def _list_path(self) -> str:
        return f"spaces/{quote(self.space.owner, safe='')}/{quote(self.space.space, safe='')}/audios"

    # --- the checks ---------------------------------------------------------------------------------------
    @check("PROP-CREATE-FILE-VALID")
    def create_file_is_valid(self, ctx: Any, response: Response, case: Case) -> None:
        """An accepted create with media: once settled, its ``/file`` is PCM16 mono WAV at the reported rate and
        duration (the hand-written WAV checks, re-raised under this requirement)."""
        if not is_create(case) or not 200 <= response.status_code < 300 or not sent_file(case):
            return
        audio = json_body(as_httpx(response))
        if not isinstance(audio, dict) or not isinstance(audio.get("handle"), str):
            return  # the response schema checks report a malformed answer
        url = f"{response.request.url}/{quote(audio['handle'], safe='')}"
        try:
            audio = self._settled(url, audio)
            wav = file_answers_wav(self._get(f"{url}/file", headers={"Accept": "audio/wav, */*"}))
            info = is_pcm16_mono_wav(wav)
            rate_matches_details(info, audio)
            length_matches_duration(info, duration_is_iso8601(audio), self.profile)
        except TransportFailure:
            raise  # the wire (a redirect elsewhere, an oversized answer), not the stored WAV: its own requirement
        except ConformanceFailure as exc:
            fail(f"an accepted upload is not stored as valid WAV ({exc.requirement}: "
                 f"{exc.title})", received=exc.received, expected=exc.expected)

    def _settled(self, url: str, audio: dict[str, Any]) -> dict[str, Any]:
        """The audio once processed (the suite's one waiting loop, ``conformance.workflow.settle``)."""
        settling = settle(self.http, self.space, audio, self.profile)
        if not settling.available:
            last = (settling.audio or audio).get("state")
            fail("an accepted upload did not become available",
                 received=f"state {last!r}; {settling.problem or 'settled'}", expected="available")
        assert settling.audio is not None
        return settling.audio

    @check("PROP-REJECT-NOTHING-STORED")
    def refusal_stores_nothing(self, ctx: Any, response: Response, case: Case) -> None:
        """A refused create (4xx) stores no audio with its alias (a case without a searchable alias is not
        judged here: see :meth:`stored_like`)."""
        before = self._before.pop(case.id, None)
        if not is_create(case) or not 400 <= response.status_code < 500 or before is None:
            return
        after = self.stored_like(case)
        if after is not None and (new := sorted(after - before)):
            fail(f"a refused upload ({response.status_code}) stored an audio",
                 received=f"new audio(s) {', '.join(new)} with the alias {case.body.get('alias')!r}",
                 expected="no audio with that alias")

    @check("PROP-ERROR-BODY")
    def error_body_is_problem(self, ctx: Any, response: Response, case: Case) -> None:
        """Every 4xx/5xx body is problem details without internals (the hand-written check, re-raised)."""
        if response.status_code < 400 or case.method.upper() == "HEAD":
            return
        try:
            error_body_is_problem_json(as_httpx(response), f"{case.method.upper()} {case.formatted_path}")
        except ConformanceFailure as exc:
            fail(exc.title, received=exc.received, expected=exc.expected)


def curl(case: Case, response: Response | None) -> str:
    """The transcript's curl line (``conformance.transcript.curl``, the suite's one builder, ``$TOKEN`` for the
    token) for the request of ``case``: the one sent, or, before any was, the one schemathesis would send for it
    with the run's configured headers."""
    if response is not None:
        request: requests.PreparedRequest = response.request
    else:
        kwargs = case.as_transport_kwargs(headers=dict(case.operation.schema.config.headers or {}))
        request = requests.Request(**kwargs).prepare()
    return transcript_curl(str(request.method), str(request.url), request.headers.items(), _body(request))


def exchange(response: Response) -> Exchange:
    """The failing request and answer, for the report's HTTP transcript (rendered through the redactor)."""
    request = response.request
    return Exchange(method=str(request.method), url=str(request.url), request_headers=list(request.headers.items()),
                    request_body=_body(request), status=response.status_code,
                    response_headers=[(k, v) for k, vs in response.headers.items() for v in vs],
                    response_body=response.content, elapsed_s=response.elapsed)


def _body(request: requests.PreparedRequest) -> bytes:
    return request.body if isinstance(request.body, bytes) else (request.body or "").encode()


def failures_of(group: FailureGroup) -> list[Failure]:
    """The failures in a group, ours (which carry a requirement id) first, then by code: a stable order, so that
    the same seed gives the same report (schemathesis collects them in a set)."""
    failures = list(group.exceptions)
    return sorted(failures, key=lambda f: (not isinstance(getattr(f, "exception", None), ConformanceFailure),
                                           f.code, f.title, " ".join(f.message.split())))


@check("PROP-STATELESS")
def stateless_answer_allowed(found: str, received: str) -> NoReturn:
    """A generated request to one operation got an answer the definition does not allow (``found``: what
    schemathesis' own checks said: status, content type, headers, body schema, authentication, methods)."""
    fail(found, received=received, expected="an answer the definition allows (schemathesis checks)")


@check("PROP-STATEFUL")
def stateful_answer_allowed(found: str, received: str) -> NoReturn:
    """A step of a link-following sequence got an answer the definition does not allow (``found``: what
    schemathesis' own checks said, e.g. a deleted audio still served, a created one missing)."""
    fail(found, received=received, expected="an answer the definition allows (schemathesis checks)")


#: Which of the two decides what schemathesis' own checks found (the run's scenario passes one).
Judge = Callable[[str, str], NoReturn]


def as_conformance_failure(group: FailureGroup, *, judge: Judge, case: Case, response: Response | None,
                           seed: int) -> ConformanceFailure:
    """One ``ConformanceFailure`` for a schemathesis failure group: our check's, when one of ours failed, else
    ``judge``'s (the run's check for schemathesis' built-in checks); curl and seed in the message."""
    failures = failures_of(group)
    first = failures[0]
    own = first.exception if isinstance(first, CustomFailure) else None
    found = "; ".join(f"{f.code} {f.title}" for f in failures)
    where = f"{case.operation.label} ({case.meta.generation.mode.value if case.meta else 'explicit'} case)"
    status = f"{response.status_code} " if response is not None else ""
    repro = f"\nReproduce: {curl(case, response)}\nSeed: {seed} (conformance run --seed {seed} -k properties)"
    if isinstance(own, ConformanceFailure):
        return ConformanceFailure(own.requirement, f"{own.title} — {where}", received=own.received + repro,
                                  expected=own.expected, check=own.check, location=own.location)
    detail = " | ".join(" ".join(f.message.split()) for f in failures)[:600]
    try:
        judge(f"{found} — {where}", f"{status}{detail}{repro}")
    except ConformanceFailure as failure:
        return failure
    raise AssertionError(f"{judge.__name__} did not fail")  # pragma: no cover - a judge always fails
