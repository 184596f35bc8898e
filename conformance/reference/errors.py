"""Domain errors: what went wrong, with the status the contract assigns to it.

The service layer raises these without knowing about HTTP objects; the HTTP layer turns each one into a
problem+json answer. The status is a plain int because docs/decisions.md fixes one per rule.
"""

from __future__ import annotations


class ApiError(Exception):
    """A client-visible failure; ``detail`` is a human sentence safe to show (no internals)."""

    status: int = 400

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    """401; ``token_sent`` selects the ``error="invalid_token"`` challenge parameter."""

    status = 401

    def __init__(self, detail: str, *, token_sent: bool) -> None:
        super().__init__(detail)
        self.token_sent = token_sent


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class MediaRejected(ApiError):
    """The uploaded media breaks a media rule (400, 413, 415 or 422 as the rule says)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason, status=status)
        self.reason = reason
