"""Who is calling, and may they act in this space?

Token verification (session tokens and API keys) and the space access policy: a user may act in a space
owned by itself or by an organization it belongs to. Everything else is refused: by default with one status
(404) for forbidden and unknown spaces alike, so that the existence of other users' and organizations' spaces is
never revealed; a profile with ``hide_existence = false`` answers 403 for an existing space and 404 for an
unknown one instead (the other choice conforming targets make).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING

from . import clock, faults
from .errors import NotFound, Unauthorized

if TYPE_CHECKING:
    from .models import Space, User
    from .settings import Settings
    from .storage import Storage

HANDLE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_HANDLE = 50
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token
PBKDF2_ITERATIONS = 60_000
SPACE_NOT_FOUND = "The space does not exist or you have no access to it."
SPACE_UNKNOWN = "The space does not exist."
SPACE_FORBIDDEN = "You have no access to this space."


def valid_handle(text: object) -> bool:
    """The handle grammar of the docs: hyphen-separated lowercase alphanumerics, 1–50 characters."""
    return isinstance(text, str) and len(text) <= MAX_HANDLE and HANDLE.fullmatch(text) is not None


def hash_token(token: str) -> str:
    """Session tokens are stored hashed; API-key tokens cannot be, since GET /user/keys/{key} returns them."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def hash_password(password: str, salt: bytes) -> bytes:
    """PBKDF2-SHA256; lone surrogates from JSON escapes are kept so they simply fail to match."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8", "surrogatepass"), salt, PBKDF2_ITERATIONS)


def parse_bearer(header: str | None) -> str | None:
    """The token of a well-formed ``Bearer`` header; raises 401 for anything else but a missing header."""
    if header is None:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not rest.strip():
        raise Unauthorized("The Authorization header is not a Bearer token.", token_sent=False)
    token = rest.strip()
    if not _TOKEN.fullmatch(token):
        raise Unauthorized("The bearer token is malformed.", token_sent=True)
    return token


def _lenient_scheme(header: str) -> str:
    """The ``bearer-scheme-lenient`` fault: a bare token, ``Token <t>`` or ``Basic <t>`` is read as ``Bearer <t>``."""
    scheme, _, rest = header.strip().partition(" ")
    if not rest and _TOKEN.fullmatch(scheme):
        return f"Bearer {scheme}"
    if scheme.lower() in ("token", "basic") and rest.strip():
        return f"Bearer {rest.strip()}"
    return header


class Access:
    """Authentication and authorization over one storage, following the settings' faults."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._storage = storage
        self._settings = settings

    def authenticate(self, authorization: str | None) -> User:
        """The caller of a request, from its Authorization header value."""
        if faults.active(self._settings, "bearer-scheme-lenient") and authorization is not None:
            authorization = _lenient_scheme(authorization)
        token = parse_bearer(authorization)
        if token is None:
            if faults.active(self._settings, "auth-missing-accepted"):
                fallback = self._storage.user_by_handle(faults.FALLBACK_USER)
                if fallback is not None:
                    return fallback
            raise Unauthorized("Authentication is required: send Authorization: Bearer <token>.", token_sent=False)
        user = self._storage.user_for_key_token(token) or self._storage.user_for_session(
            hash_token(token), clock.now_text()
        )
        if user is None:
            raise Unauthorized("The bearer token is unknown, expired or revoked.", token_sent=True)
        return user

    def check_password(self, handle: object, password: object) -> User | None:
        """The user whose credentials these are; None for a wrong password or an unknown handle alike."""
        record = self._storage.password_of(handle) if isinstance(handle, str) and valid_handle(handle) else None
        if record is None or not isinstance(password, str):
            hash_password(str(password), b"0" * 16)  # same cost either way: no timing oracle for handles
            return None
        user, expected, salt = record
        return user if hmac.compare_digest(hash_password(password, salt), expected) else None

    def _unknown(self) -> NotFound:
        behaviour = self._settings.behaviour
        if behaviour.hide_existence:
            return NotFound(SPACE_NOT_FOUND, status=behaviour.denied_status)
        return NotFound(SPACE_UNKNOWN, status=404)

    def _forbidden(self) -> NotFound:
        behaviour = self._settings.behaviour
        if behaviour.hide_existence:
            return NotFound(SPACE_NOT_FOUND, status=behaviour.denied_status)
        return NotFound(SPACE_FORBIDDEN, status=behaviour.forbidden_status)

    def resolve_space(self, user: User, owner: str, space: str, *, read_only: bool) -> Space:
        """The addressed space if ``user`` may act in it, else the profile's denied status."""
        if not (valid_handle(owner) and valid_handle(space)):
            raise self._unknown()
        found = self._storage.find_space(owner_handle=owner, handle=space)
        if found is None:
            raise self._unknown()
        if found.owner_type == "user":
            allowed = found.owner_handle == user.handle
        else:
            allowed = self._storage.is_member(org_handle=found.owner_handle, user_id=user.id)
            if allowed and faults.active(self._settings, "org-member-denied"):
                allowed = False
            if faults.active(self._settings, "non-member-org-access"):
                allowed = True
        if not allowed and read_only and faults.active(self._settings, "foreign-space-readable"):
            allowed = True
        if not allowed and not read_only and faults.active(self._settings, "foreign-audio-writable"):
            allowed = True
        if not allowed:
            raise self._forbidden()
        return found
