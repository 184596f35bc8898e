"""Seed data of the reference server and the suite configuration that points at it.

Idempotent on an existing database: users, organizations, memberships, spaces and the ``conformance`` API
keys are created once and reused; only the passwords are regenerated (and re-hashed) at every start, since
the configuration file written for the suite must contain them in clear.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import clock
from .access import hash_password
from .models import ApiKey
from .service import new_token
from .storage import Storage

KEY_HANDLE = "conformance"
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 20
USERS = ("alice", "bob")
#: organization → its members
ORGS = {"acme": ("alice",), "globex": ("bob",)}
#: (owner type, owner handle, space handle)
SPACES = (("user", "alice", "main"), ("user", "bob", "main"), ("org", "acme", "shared"), ("org", "globex", "lab"))


@dataclass(frozen=True, slots=True)
class Actor:
    handle: str
    password: str
    token: str


@dataclass(frozen=True, slots=True)
class Provisioned:
    primary: Actor
    outsider: Actor


def _password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def provision(storage: Storage) -> Provisioned:
    """Create (or refresh) the seed data; returns the credentials of alice (primary) and bob (outsider)."""
    storage.init_schema()
    now = clock.now_text()
    actors: dict[str, Actor] = {}
    for handle in USERS:
        password, salt = _password(), secrets.token_bytes(16)
        storage.upsert_user(
            id_=str(uuid.uuid4()),
            handle=handle,
            email=f"{handle}@example.test",
            password_hash=hash_password(password, salt),
            salt=salt,
            now=now,
        )
        user = storage.user_by_handle(handle)
        assert user is not None
        key = storage.get_key(user_id=user.id, handle=KEY_HANDLE)
        if key is None:
            key = ApiKey(str(uuid.uuid4()), KEY_HANDLE, "Conformance suite", new_token(), now)
            storage.insert_key(user_id=user.id, key=key)
        actors[handle] = Actor(handle, password, key.token)
    for org, members in ORGS.items():
        storage.upsert_org(id_=str(uuid.uuid4()), handle=org, now=now)
        for member in members:
            storage.add_member(org_handle=org, user_handle=member)
    for owner_type, owner, space in SPACES:
        storage.ensure_space(id_=str(uuid.uuid4()), owner_type=owner_type, owner_handle=owner, handle=space, now=now)
    return Provisioned(primary=actors["alice"], outsider=actors["bob"])


def _toml_string(value: str) -> str:
    """A TOML basic string (a JSON string literal is one, escapes included)."""
    return json.dumps(value, ensure_ascii=False)


def render_config(base_url: str, provisioned: Provisioned) -> str:
    """The suite configuration for this server, in the exact keys the suite reads."""
    lines = [
        "# Suite configuration written by the reference server; it points the suite at this server.",
        f"base_url = {_toml_string(base_url)}",
    ]
    for name, actor in (("primary", provisioned.primary), ("outsider", provisioned.outsider)):
        lines += [
            "",
            f"[actors.{name}]",
            f"handle = {_toml_string(actor.handle)}",
            f"password = {_toml_string(actor.password)}",
            f"token = {_toml_string(actor.token)}",
        ]
    spaces = {
        "primary": ("alice", "main"),
        "org": ("acme", "shared"),
        "foreign": ("bob", "main"),
        "foreign_org": ("globex", "lab"),
    }
    for name, (owner, space) in spaces.items():
        lines += ["", f"[spaces.{name}]", f"owner = {_toml_string(owner)}", f"space = {_toml_string(space)}"]
    return "\n".join(lines) + "\n"


def write_config(path: Path, text: str) -> None:
    """Atomic write: readers polling for the file never see half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)  # it holds passwords and tokens
    os.replace(tmp, path)
