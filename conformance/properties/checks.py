"""Our checks for schemathesis runs, each deciding one requirement id, and the translation of its failures.

Schemathesis runs its built-in checks on every generated request; these add what only this suite knows: an
accepted upload must really be stored as a valid WAV (``PROP-CREATE-FILE-VALID``), a refused one must store
nothing (``PROP-REJECT-NOTHING-STORED``), and error bodies must be clean problem details (``PROP-ERROR-BODY``).
They reuse the hand-written checks (``conformance.checks.wav``/``http``) and re-raise their findings under the
property requirement, keeping the original finding in the message.

They are handed to schemathesis as ``additional_checks`` bound to one run's context (the target, the primary
actor's client, the profile, the resource registry), not registered process-wide (neither with schemathesis nor in
``conformance.checks.REGISTRY``, whose checks are pure functions): a process-wide check could not know which target
or profile it is judging. Each raises through ``fail(...)`` with its id, so ``grep -r PROP-... conformance`` finds it.

Schemathesis reports failures as a ``FailureGroup``; :func:`as_conformance_failure` turns one into our
``ConformanceFailure`` so the requirement id, a curl line with ``$TOKEN`` and the seed reach the report.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from schemathesis import Case, Response
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup

from conformance.checks import ConformanceFailure, fail
from conformance.checks.audio import duration_is_iso8601
from conformance.checks.http import error_body_is_problem_json, json_body
from conformance.checks.wav import file_answers_wav, is_pcm16_mono_wav, length_matches_duration, rate_matches_details
from conformance.client import Exchange
from conformance.config import Space
from conformance.profile import Profile
from conformance.resources import Resources

SETTLED = ("available", "notAvailable")
MAX_CURL = 4000
_AUTHORIZATION = re.compile(r""" -H (?:'[Aa]uthorization:[^']*'|"[Aa]uthorization:[^"]*")""")


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


@dataclass
class PropertyChecks:
    """The checks of one property run, bound to the target through the primary actor's ``http`` client."""

    http: httpx.Client
    space: Space
    profile: Profile
    resources: Resources
    actor: str = "primary"
    keys: set[str] = field(default_factory=set)
    _totals: dict[str, int | None] = field(default_factory=dict)

    def all(self) -> list[Callable[..., None]]:
        """The MUST checks, as schemathesis ``additional_checks`` on every generated case. The error-body check
        (SHOULD) runs in its own scenario: a SHOULD finding must not leave a MUST requirement undecided."""
        return [self.create_file_is_valid, self.refusal_stores_nothing]

    # --- bookkeeping around each call --------------------------------------------------------------------
    def before_call(self, case: Case) -> None:
        """Before a create: note the space's ``Item-Total`` (what a refusal must leave unchanged)."""
        if is_create(case):
            self._totals[case.id] = self.item_total()

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
                status = self.http.delete(f"user/keys/{quote(handle, safe='')}").status_code
            except httpx.HTTPError:
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
        details = self.http.get(str(response.request.url).removesuffix("/file"))
        body = json_body(details) if details.status_code == 200 else None
        return isinstance(body, dict) and body.get("state") == "avaitingFile"

    def item_total(self) -> int | None:
        """The primary space's ``Item-Total`` (None when the target does not answer one)."""
        response = self.http.get(f"spaces/{quote(self.space.owner, safe='')}/{quote(self.space.space, safe='')}"
                                 "/audios", params={"page-size": 1})
        try:
            return int(response.headers.get("item-total", ""))
        except ValueError:
            return None

    # --- the checks ---------------------------------------------------------------------------------------
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
            wav = file_answers_wav(self.http.get(f"{url}/file", headers={"Accept": "audio/wav, */*"}))
            info = is_pcm16_mono_wav(wav)
            rate_matches_details(info, audio)
            length_matches_duration(info, duration_is_iso8601(audio), self.profile)
        except ConformanceFailure as exc:
            fail("PROP-CREATE-FILE-VALID", f"an accepted upload is not stored as valid WAV ({exc.requirement}: "
                 f"{exc.title})", received=exc.received, expected=exc.expected)

    def _settled(self, url: str, audio: dict[str, Any]) -> dict[str, Any]:
        """The audio once processed (at once on a synchronous target; else polled within the profile's timeout)."""
        deadline = time.monotonic() + self.profile.processing_timeout_s
        while audio.get("state") not in SETTLED and time.monotonic() < deadline:
            time.sleep(self.profile.poll_interval_s)
            audio = self.http.get(url).json()
        if audio.get("state") != "available":
            fail("PROP-CREATE-FILE-VALID", "an accepted upload did not become available",
                 received=f"state {audio.get('state')!r}", expected="available")
        return audio

    def refusal_stores_nothing(self, ctx: Any, response: Response, case: Case) -> None:
        """A refused create (4xx) leaves the space's ``Item-Total`` as it was before the call."""
        before = self._totals.pop(case.id, None)
        if not is_create(case) or not 400 <= response.status_code < 500 or before is None:
            return
        after = self.item_total()
        if after != before:
            fail("PROP-REJECT-NOTHING-STORED", f"a refused upload ({response.status_code}) stored an audio",
                 received=f"Item-Total {before} before, {after} after", expected=f"Item-Total {before}")

    def error_body_is_problem(self, ctx: Any, response: Response, case: Case) -> None:
        """Every 4xx/5xx body is problem details without internals (the hand-written check, re-raised)."""
        if response.status_code < 400 or case.method.upper() == "HEAD":
            return
        try:
            error_body_is_problem_json(as_httpx(response), f"{case.method.upper()} {case.formatted_path}")
        except ConformanceFailure as exc:
            fail("PROP-ERROR-BODY", exc.title, received=exc.received, expected=exc.expected)


def curl(case: Case, response: Response | None) -> str:
    """A curl line that repeats ``case``, with the token as ``$TOKEN`` (never the secret itself)."""
    headers = dict(response.request.headers) if response is not None else None
    command = _AUTHORIZATION.sub("", case.as_curl_command(headers=headers))
    command = command.replace("curl ", 'curl -H "Authorization: Bearer $TOKEN" ', 1)
    if len(command) > MAX_CURL:  # a Base64 media body: the seed reproduces it exactly, the report stays readable
        half = MAX_CURL // 2
        command = f"{command[:half]} …[{len(command) - MAX_CURL} characters elided]… {command[-half:]}"
    return command


def exchange(response: Response) -> Exchange:
    """The failing request and answer, for the report's HTTP transcript (rendered through the redactor)."""
    request = response.request
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return Exchange(method=str(request.method), url=str(request.url), request_headers=list(request.headers.items()),
                    request_body=body, status=response.status_code,
                    response_headers=[(k, v) for k, vs in response.headers.items() for v in vs],
                    response_body=response.content, elapsed_s=response.elapsed)


def failures_of(group: FailureGroup) -> list[Failure]:
    """The failures in a group, ours (which carry a requirement id) first, then by code: a stable order, so that
    the same seed gives the same report (schemathesis collects them in a set)."""
    failures = list(group.exceptions)
    return sorted(failures, key=lambda f: (not isinstance(getattr(f, "exception", None), ConformanceFailure),
                                           f.code, f.title, " ".join(f.message.split())))


def as_conformance_failure(group: FailureGroup, *, requirement: str, case: Case, response: Response | None,
                           seed: int) -> ConformanceFailure:
    """One ``ConformanceFailure`` for a schemathesis failure group: the id of our check that failed, else
    ``requirement`` (the run's own id for schemathesis' built-in checks); curl and seed in the message."""
    failures = failures_of(group)
    first = failures[0]
    own = first.exception if isinstance(first, CustomFailure) else None
    found = "; ".join(f"{f.code} {f.title}" for f in failures)
    where = f"{case.operation.label} ({case.meta.generation.mode.value if case.meta else 'explicit'} case)"
    status = f"{response.status_code} " if response is not None else ""
    repro = f"\nReproduce: {curl(case, response)}\nSeed: {seed} (conformance run --seed {seed} -k properties)"
    if isinstance(own, ConformanceFailure):
        return ConformanceFailure(own.requirement, f"{own.title} — {where}", received=own.received + repro,
                                  expected=own.expected)
    detail = " | ".join(" ".join(f.message.split()) for f in failures)[:600]
    return ConformanceFailure(requirement, f"{found} — {where}", received=f"{status}{detail}{repro}",
                              expected="an answer the definition allows (schemathesis checks)")
