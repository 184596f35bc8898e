"""Domain errors: what went wrong, and which kind of failure it is.

The service layer raises these without knowing about HTTP objects; the HTTP layer turns each one into a
problem+json answer. ``status`` is the reference server's status for the rule (docs/decisions.md fixes one per
rule). Where a profile may choose another status, the error also names its ``kind`` (a reject reason such as
``bad_base64``, or ``invalid_request``, ``conflict``, ``deleted``, ``file_before_upload``) and the HTTP layer asks
the server's behaviour for that kind's status: statuses are mapped by reason, never by the reference number
(400 alone is three different upload reasons and the invalid-request status).
"""

from __future__ import annotations

from .behaviour import REFERENCE


class ApiError(Exception):
    """A client-visible failure; ``detail`` is a human sentence safe to show (no internals)."""

    status: int = 400
    kind: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, kind: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if kind is not None:
            self.kind = kind
        if status is not None:
            self.status = status
        elif self.kind is not None:
            self.status = REFERENCE.status_of(self.kind)


class BadRequest(ApiError):
    """A request field breaks a documented constraint (page 0, an alias of 101 characters, ...)."""

    status = 400
    kind = "invalid_request"


class Unauthorized(ApiError):
    """401; ``token_sent`` selects the ``error="invalid_token"`` challenge parameter."""

    status = 401

    def __init__(self, detail: str, *, token_sent: bool) -> None:
        super().__init__(detail)
        self.token_sent = token_sent


class NotFound(ApiError):
    status = 404


class Deleted(ApiError):
    """An audio that was deleted earlier in this space (404 in the reference; 410 for some targets)."""

    status = 404
    kind = "deleted"


class NoFileYet(ApiError):
    """``GET .../file`` of an audio awaiting its file, or whose file is still being processed."""

    status = 404
    kind = "file_before_upload"


class Conflict(ApiError):
    status = 409
    kind = "conflict"


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class MediaRejected(ApiError):
    """The upload breaks a media rule; ``kind`` is its reject reason (``malformed``, ``bad_base64``, ``empty``,
    ``too_large``, ``undecodable``, ``invalid_audio``) and ``status`` the reference status of that reason."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason, kind=kind)
        self.reason = reason
