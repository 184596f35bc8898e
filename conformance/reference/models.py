"""Plain records shared by the storage and service layers (no behaviour, no SQL, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass

AVAITING_FILE = "avaitingFile"  # sic: the spelling of every version of the public docs
AVAILABLE = "available"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    handle: str
    alias: str | None
    email: str
    state: str
    created_at: str
    email_verified: bool


@dataclass(frozen=True, slots=True)
class Space:
    id: str
    owner_type: str  # "user" | "org"
    owner_handle: str
    handle: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    handle: str
    alias: str | None
    token: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    issued_at: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class Audio:
    """An audio's metadata; the binary is fetched separately so listing never loads blobs."""

    id: str
    space_id: str
    handle: str
    alias: str | None
    state: str
    frames: int
    sample_rate: int
    created_at: str
    uploaded_at: str | None


@dataclass(frozen=True, slots=True)
class AudioQuery:
    """A validated list request: filters, order and page."""

    page: int
    page_size: int
    sort_field: str  # "handle" | "createdAt" | "uploadedAt"
    descending: bool
    search: str | None
    after: str | None  # inclusive, same text format as created_at
    before: str | None
    offset_shift: int = 0  # items to step back from the page's start (only the ``pages-overlap`` fault sets it)


@dataclass(frozen=True, slots=True)
class AudioPage:
    items: list[Audio]
    total: int
