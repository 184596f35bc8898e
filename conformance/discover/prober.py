"""The requests discovery sends: the run's own client and transport, a request budget, and evidence of each answer.

Discovery goes through :class:`conformance.client.ApiClient` like every check (origin only, bounded answers,
timeouts, ``rate_limit``), so probing a hostile target is as safe as certifying it. On top of that it counts: once
``max_requests`` are spent, :class:`BudgetSpent` stops the probing and every key not yet decided is defaulted.
What it creates it remembers, and :meth:`Prober.clean_up` deletes it (or names it, when the target cannot delete).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.checks.transport import TransportFailure
from conformance.client import ApiClient, session_token, space_path
from conformance.config import Settings, Space
from conformance.discover.model import Evidence
from conformance.http_stack import HangGuard, RequestStats, TargetError, Throttle, transport_options
from conformance.redaction import Redactor
from conformance.transcript import Transcript

DETAIL_CHARS = 120  # the deciding part of an answer kept as evidence: a title, a state, a header


class BudgetSpent(Exception):
    """The request budget is spent: what is not decided yet keeps its reference value."""


@dataclass(slots=True)
class Answer:
    """One exchange: the response (None when there was none) and its evidence."""

    response: httpx.Response | None
    evidence: Evidence

    @property
    def status(self) -> int | None:
        """The status, or None without an answer."""
        return None if self.response is None else self.response.status_code

    def json(self) -> Any:
        """The JSON body, or None when there is none or it does not parse."""
        if self.response is None:
            return None
        try:
            return self.response.json()
        except (ValueError, RecursionError):
            return None


@dataclass(slots=True)
class Prober:
    """Sends discovery's requests as the primary actor (or without credentials) and keeps the evidence."""

    settings: Settings
    max_requests: int
    redactor: Redactor
    requests: int = 0
    created: list[tuple[Space, str]] = field(default_factory=list)
    tag: str = field(default_factory=lambda: f"conformance-discover-{secrets.token_hex(3)}")
    _clients: dict[str, ApiClient] = field(default_factory=dict)
    _transcript: Transcript = field(default_factory=Transcript)
    _options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._options = {"hang_guard": HangGuard(), "throttle": Throttle(self.settings.rate_limit),
                         "stats": RequestStats(), "retries": self.settings.retries,
                         "retry_after_cap": self.settings.retry_after_cap, **transport_options(self.settings)}

    @property
    def space(self) -> Space:
        """The primary space, where discovery creates (and deletes) its audios."""
        return self.settings.spaces["primary"]

    def client(self, actor: str | None = "primary") -> ApiClient:
        """The client of ``actor`` (None: no credentials at all); signing in counts as a request."""
        name = actor or "(anonymous)"
        if name not in self._clients:
            assert self.settings.base_url is not None
            token = None
            if actor is not None:
                self._spend()
                token = session_token(base_url=self.settings.base_url, timeout=self.settings.timeout,
                                      actor=self.settings.actors[actor], transcript=self._transcript, **self._options)
                self.redactor.add(token)
            self._clients[name] = ApiClient(base_url=self.settings.base_url, timeout=self.settings.timeout,
                                            token=token, transcript=self._transcript, **self._options)
        return self._clients[name]

    def send(self, method: str, path: str, *, actor: str | None = "primary", json_body: Any = None,
             content: bytes | None = None, headers: dict[str, str] | None = None,
             params: dict[str, Any] | None = None, detail: Any = None) -> Answer:
        """One request; an unanswered one (timeout, dropped connection, an answer the transport stopped) is an
        answer without a response. ``detail(response) -> str`` picks the deciding part (default: the problem
        title)."""
        client = self.client(actor)
        self._spend()
        try:
            response = client.request(method, path, json_body=json_body, content=content, headers=headers,
                                      params=params)
        except (TargetError, TransportFailure) as exc:
            reason = " ".join(self.redactor(str(exc)).split())[:DETAIL_CHARS]
            return Answer(None, Evidence(method, self._shown(path, params), None, reason))
        text = " ".join((detail or _title)(response).split())
        return Answer(response, Evidence(method, self._shown(path, params), response.status_code,
                                         self.redactor(text)[:DETAIL_CHARS]))

    def audios(self, suffix: str = "") -> str:
        """The path of the primary space's audios (``suffix`` appended)."""
        return f"{space_path(self.space)}/audios{suffix}"

    def remember(self, answer: Answer) -> str | None:
        """The handle of an audio a create made, kept for the clean-up."""
        body = answer.json()
        handle = body.get("handle") if isinstance(body, dict) else None
        if answer.status is not None and 200 <= answer.status < 300 and isinstance(handle, str) and handle:
            self.created.append((self.space, handle))
            return handle
        return None

    def clean_up(self, *, can_delete: bool) -> list[str]:
        """Delete what discovery created (not counted against the budget: cleaning up is never skipped); the
        audios it could not delete, as ``owner/space/handle``."""
        left = []
        for space, handle in self.created:
            if can_delete:
                try:
                    status = self.client().delete_audio(space, handle).status_code
                except (TargetError, TransportFailure):
                    status = None
                if status is not None and (200 <= status < 300 or status in (404, 410)):
                    continue
            left.append(f"{space.label}/{handle}")
        self.created.clear()
        return left

    def close(self) -> None:
        """Release every client's connections."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _spend(self) -> None:
        if self.requests >= self.max_requests:
            raise BudgetSpent(f"the request budget of {self.max_requests} is spent")
        self.requests += 1

    def _shown(self, path: str, params: dict[str, Any] | None) -> str:
        shown = "/" + path.lstrip("/")
        if params:
            shown += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return self.redactor(shown)


def _title(response: httpx.Response) -> str:
    """A problem body's title, or the state of an audio, or nothing."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return ""
    if isinstance(body, dict):
        for key in ("title", "state"):
            if isinstance(body.get(key), str):
                return f"{key}: {body[key]}"
    if isinstance(body, list):
        return f"{len(body)} items"
    return ""
