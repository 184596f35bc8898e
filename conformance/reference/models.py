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
    """An audio's metadata; the binary is fetched separately so listing never loads blobs.

    ``state``, ``frames``, ``sample_rate`` and ``uploaded_at`` are what is stored. ``available_at`` is when a stored
    file becomes visible (asynchronous processing): until then the API shows the audio as still awaiting its
    file (see ``Service.visible``). None (no file, or a database from before the column) means "at once".
    """

    id: str
    space_id: str
    handle: str
    alias: str | None
    state: str
    frames: int
    sample_rate: int
    created_at: str
    uploaded_at: str | None
    available_at: str | None = None


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
    now: str | None = None  # files available after this moment are still processing: sorted as not uploaded


@dataclass(frozen=True, slots=True)
class AudioPage:
    items: list[Audio]
    total: int
