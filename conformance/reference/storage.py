"""SQLite repository: users, organizations, memberships, spaces, API keys, sessions and audios.

The only module with SQL. Deleted audios leave a tombstone (space, handle), so that a target answering 410 for
them can be played, and a handle is never reused in its space. One database file in WAL mode; every operation
opens its own short-lived connection, so the threadpool that runs the service can call it from any thread
without a shared handle.
WAV binaries are BLOBs in the audios table; they are read only by the file endpoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .models import AVAILABLE, AVAITING_FILE, ApiKey, Audio, AudioPage, AudioQuery, Space, User

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, handle TEXT NOT NULL UNIQUE, alias TEXT, email TEXT NOT NULL,
    state TEXT NOT NULL, password_hash BLOB NOT NULL, salt BLOB NOT NULL, created_at TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS orgs (id TEXT PRIMARY KEY, handle TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    org_id TEXT NOT NULL REFERENCES orgs(id), user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (org_id, user_id));
CREATE TABLE IF NOT EXISTS spaces (
    id TEXT PRIMARY KEY, owner_type TEXT NOT NULL, owner_handle TEXT NOT NULL, handle TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE (owner_handle, handle));
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), handle TEXT NOT NULL, alias TEXT,
    token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, UNIQUE (user_id, handle));
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    issued_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audios (
    id TEXT PRIMARY KEY, space_id TEXT NOT NULL REFERENCES spaces(id), handle TEXT NOT NULL, alias TEXT,
    state TEXT NOT NULL, frames INTEGER NOT NULL, sample_rate INTEGER NOT NULL, created_at TEXT NOT NULL,
    uploaded_at TEXT, wav BLOB, original BLOB, available_at TEXT, UNIQUE (space_id, handle));
CREATE INDEX IF NOT EXISTS audios_by_space ON audios (space_id, created_at);
CREATE TABLE IF NOT EXISTS deleted_audios (
    space_id TEXT NOT NULL, handle TEXT NOT NULL, deleted_at TEXT NOT NULL, PRIMARY KEY (space_id, handle));
"""
#: Columns added after the first release, created on an older database by :meth:`Storage.init_schema`.
_MIGRATIONS = (("audios", "available_at", "TEXT"),)

_AUDIO_COLUMNS = "id, space_id, handle, alias, state, frames, sample_rate, created_at, uploaded_at, available_at"
_USER_COLUMNS = "id, handle, alias, email, state, created_at, email_verified"
_SORT_COLUMNS = {"handle": "handle", "createdAt": "created_at", "uploadedAt": "uploaded_at"}


def _lower(value: object) -> object:
    """Unicode-aware lower() (SQLite's own only folds ASCII)."""
    return value.lower() if isinstance(value, str) else value


class Storage:
    """Repository over one SQLite file; safe to share between threads (no shared connection)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self._path, timeout=30)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.create_function("pylower", 1, _lower, deterministic=True)
            with conn:  # one transaction per operation, committed on success
                yield conn
        finally:
            conn.close()

    def init_schema(self) -> None:
        """Create the tables if needed, and the columns an older database lacks; idempotent."""
        conn = sqlite3.connect(self._path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            for table, column, kind in _MIGRATIONS:
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    try:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                    except sqlite3.OperationalError as exc:  # another process added it meanwhile
                        if "duplicate column" not in str(exc):
                            raise
        finally:
            conn.close()

    # -- provisioning ---------------------------------------------------------------------------------
    def upsert_user(self, *, id_: str, handle: str, email: str, password_hash: bytes, salt: bytes, now: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO users (id, handle, email, state, password_hash, salt, created_at)"
                " VALUES (?, ?, ?, 'verified', ?, ?, ?)"
                " ON CONFLICT (handle) DO UPDATE SET password_hash = excluded.password_hash, salt = excluded.salt",
                (id_, handle, email, password_hash, salt, now),
            )

    def upsert_org(self, *, id_: str, handle: str, now: str) -> None:
        with self._connect() as conn:
            conn.execute("INSERT OR IGNORE INTO orgs (id, handle, created_at) VALUES (?, ?, ?)", (id_, handle, now))

    def add_member(self, *, org_handle: str, user_handle: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO memberships (org_id, user_id)"
                " SELECT orgs.id, users.id FROM orgs, users WHERE orgs.handle = ? AND users.handle = ?",
                (org_handle, user_handle),
            )

    def ensure_space(self, *, id_: str, owner_type: str, owner_handle: str, handle: str, now: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO spaces (id, owner_type, owner_handle, handle, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (id_, owner_type, owner_handle, handle, now),
            )

    # -- users, sessions, keys ------------------------------------------------------------------------
    def user_by_handle(self, handle: str) -> User | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE handle = ?", (handle,)).fetchone()
        return _user(row) if row else None

    def password_of(self, handle: str) -> tuple[User, bytes, bytes] | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS}, password_hash, salt FROM users WHERE handle = ?", (handle,)
            ).fetchone()
        return (_user(row), bytes(row["password_hash"]), bytes(row["salt"])) if row else None

    def insert_session(self, *, token_hash: str, user_id: str, issued_at: str, expires_at: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash, user_id, issued_at, expires_at),
            )

    def user_for_session(self, token_hash: str, now: str) -> User | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} FROM sessions s"
                " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash, now),
            ).fetchone()
        return _user(row) if row else None

    def user_for_key_token(self, token: str) -> User | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} FROM api_keys k"
                " JOIN users u ON u.id = k.user_id WHERE k.token = ?",
                (token,),
            ).fetchone()
        return _user(row) if row else None

    def counts_for(self, user_id: str) -> tuple[int, int]:
        """(organizations the user belongs to, spaces the user may act in)."""
        with self._connect() as conn:
            orgs = conn.execute("SELECT COUNT(*) FROM memberships WHERE user_id = ?", (user_id,)).fetchone()[0]
            spaces = conn.execute(
                "SELECT COUNT(*) FROM spaces WHERE (owner_type = 'user' AND owner_handle ="
                " (SELECT handle FROM users WHERE id = ?)) OR (owner_type = 'org' AND owner_handle IN"
                " (SELECT o.handle FROM orgs o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = ?))",
                (user_id, user_id),
            ).fetchone()[0]
        return int(orgs), int(spaces)

    def insert_key(self, *, user_id: str, key: ApiKey) -> bool:
        """False when the user already has a key with this handle."""
        try:
            with self._connect() as conn:
                conn.execute(
                    "INSERT INTO api_keys (id, user_id, handle, alias, token, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (key.id, user_id, key.handle, key.alias, key.token, key.created_at),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def get_key(self, *, user_id: str, handle: str) -> ApiKey | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, handle, alias, token, created_at FROM api_keys WHERE user_id = ? AND handle = ?",
                (user_id, handle),
            ).fetchone()
        return ApiKey(row["id"], row["handle"], row["alias"], row["token"], row["created_at"]) if row else None

    def delete_key(self, *, user_id: str, handle: str) -> bool:
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM api_keys WHERE user_id = ? AND handle = ?", (user_id, handle))
        return cur.rowcount > 0

    # -- spaces ---------------------------------------------------------------------------------------
    def find_space(self, *, owner_handle: str, handle: str) -> Space | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, owner_type, owner_handle, handle FROM spaces WHERE owner_handle = ? AND handle = ?",
                (owner_handle, handle),
            ).fetchone()
        return Space(row["id"], row["owner_type"], row["owner_handle"], row["handle"]) if row else None

    def is_member(self, *, org_handle: str, user_id: str) -> bool:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE o.handle = ? AND m.user_id = ?",
                (org_handle, user_id),
            ).fetchone()
        return row is not None

    # -- audios ---------------------------------------------------------------------------------------
    def insert_audio(self, audio: Audio, *, wav: bytes | None, original: bytes | None) -> bool:
        """False (nothing stored) when the space already has, or once had, an audio with this handle."""
        try:
            with self._connect() as conn:
                cur = conn.execute(
                    f"INSERT INTO audios ({_AUDIO_COLUMNS}, wav, original)"
                    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                    " WHERE NOT EXISTS (SELECT 1 FROM deleted_audios WHERE space_id = ? AND handle = ?)",
                    (
                        audio.id,
                        audio.space_id,
                        audio.handle,
                        audio.alias,
                        audio.state,
                        audio.frames,
                        audio.sample_rate,
                        audio.created_at,
                        audio.uploaded_at,
                        audio.available_at,
                        wav,
                        original,
                        audio.space_id,
                        audio.handle,
                    ),
                )
        except sqlite3.IntegrityError:
            return False
        return cur.rowcount > 0

    def get_audio(self, *, space_id: str, handle: str) -> Audio | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_AUDIO_COLUMNS} FROM audios WHERE space_id = ? AND handle = ?", (space_id, handle)
            ).fetchone()
        return _audio(row) if row else None

    def audio_by_alias(self, *, space_id: str, alias: str) -> Audio | None:
        """The oldest audio of the space with exactly this alias (provisioning finds its sample this way)."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_AUDIO_COLUMNS} FROM audios WHERE space_id = ? AND alias = ? ORDER BY created_at LIMIT 1",
                (space_id, alias),
            ).fetchone()
        return _audio(row) if row else None

    def audio_in_any_space(self, handle: str) -> Audio | None:
        """The audio with this handle in whichever space holds it (only the ``cross-space-audio`` fault uses it)."""
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_AUDIO_COLUMNS} FROM audios WHERE handle = ?", (handle,)).fetchone()
        return _audio(row) if row else None

    def get_audio_binary(self, audio_id: str, *, original: bool = False) -> bytes | None:
        column = "original" if original else "wav"
        with self._connect() as conn:
            row = conn.execute(f"SELECT {column} FROM audios WHERE id = ?", (audio_id,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def attach_file(
        self,
        audio_id: str,
        *,
        wav: bytes,
        original: bytes | None,
        frames: int,
        sample_rate: int,
        uploaded_at: str,
        replace: bool = False,
    ) -> bool:
        """Store the binary of an audio still awaiting it; False if another upload won the race. ``replace``
        (the ``raw-upload-twice-allowed`` fault) overwrites a file already there. The file becomes visible at
        ``uploaded_at`` (later than now under asynchronous processing)."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE audios SET wav = ?, original = ?, frames = ?, sample_rate = ?, uploaded_at = ?, state = ?,"
                " available_at = ? WHERE id = ? AND (state = ? OR ?)",
                (wav, original, frames, sample_rate, uploaded_at, AVAILABLE, uploaded_at, audio_id, AVAITING_FILE,
                 replace),
            )
        return cur.rowcount > 0

    def rename_audio(self, audio_id: str, handle: str) -> None:
        """Change an audio's handle (only the ``patch-handle-accepted`` fault does this)."""
        with self._connect() as conn:
            conn.execute("UPDATE audios SET handle = ? WHERE id = ?", (handle, audio_id))

    def update_alias(self, audio_id: str, alias: str | None) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE audios SET alias = ? WHERE id = ?", (alias, audio_id))

    def delete_audio(self, audio_id: str, *, deleted_at: str) -> bool:
        """Delete an audio and remember its (space, handle): a later request for it can be told it is gone."""
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO deleted_audios (space_id, handle, deleted_at)"
                " SELECT space_id, handle, ? FROM audios WHERE id = ?",
                (deleted_at, audio_id),
            )
            cur = conn.execute("DELETE FROM audios WHERE id = ?", (audio_id,))
        return cur.rowcount > 0

    def was_deleted(self, *, space_id: str, handle: str) -> bool:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM deleted_audios WHERE space_id = ? AND handle = ?", (space_id, handle)
            ).fetchone()
        return row is not None

    def list_audios(self, space_id: str | None, query: AudioQuery) -> AudioPage:
        """One page of the space's audios; ``space_id`` None lists every space (``list-leaks-other-spaces``)."""
        where = ["space_id = ?"] if space_id is not None else ["1 = 1"]
        params: list[object] = [space_id] if space_id is not None else []
        if query.search:
            where.append("(instr(pylower(handle), ?) > 0 OR instr(pylower(coalesce(alias, '')), ?) > 0)")
            params += [query.search.lower(), query.search.lower()]
        if query.after is not None:
            where.append("created_at >= ?")
            params.append(query.after)
        if query.before is not None:
            where.append("created_at <= ?")
            params.append(query.before)
        direction = "DESC" if query.descending else "ASC"
        column = _SORT_COLUMNS[query.sort_field]
        order_params: list[object] = []
        if column == "uploaded_at" and query.now is not None:  # a file still processing is not uploaded yet
            column = "(CASE WHEN available_at > ? THEN NULL ELSE uploaded_at END)"
            order_params.append(query.now)
        clause = " AND ".join(where)
        offset = max(0, (query.page - 1) * query.page_size - query.offset_shift)
        with self._connect() as conn:
            total = int(conn.execute(f"SELECT COUNT(*) FROM audios WHERE {clause}", params).fetchone()[0])
            if offset >= total:  # past the end (also keeps huge page numbers out of SQLite's int64)
                return AudioPage(items=[], total=total)
            rows = conn.execute(
                f"SELECT {_AUDIO_COLUMNS} FROM audios WHERE {clause}"
                f" ORDER BY {column} {direction}, handle {direction} LIMIT ? OFFSET ?",
                [*params, *order_params, query.page_size, offset],
            ).fetchall()
        return AudioPage(items=[_audio(row) for row in rows], total=total)


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        handle=row["handle"],
        alias=row["alias"],
        email=row["email"],
        state=row["state"],
        created_at=row["created_at"],
        email_verified=bool(row["email_verified"]),
    )


def _audio(row: sqlite3.Row) -> Audio:
    return Audio(
        id=row["id"],
        space_id=row["space_id"],
        handle=row["handle"],
        alias=row["alias"],
        state=row["state"],
        frames=int(row["frames"]),
        sample_rate=int(row["sample_rate"]),
        created_at=row["created_at"],
        uploaded_at=row["uploaded_at"],
        available_at=row["available_at"],
    )
