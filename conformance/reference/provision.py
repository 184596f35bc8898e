"""Seed data of the reference server and the suite configuration that points at it.

Idempotent on an existing database: users, organizations, memberships, spaces, the ``conformance`` API
keys and the sample audio are created once and reused; only the passwords are regenerated (and re-hashed) at
every start, since the configuration file written for the suite must contain them in clear.

The sample audio (alias ``preexisting-sample`` in ``alice/main``) is what a real staging space holds before a
run: an available audio the suite did not create. It is uploaded through the service's own create path (the
same Base64 decoding, PyAV conversion and storage as ``POST .../audios``, with no planted fault but with the
server's behaviour: under asynchronous processing it too becomes available only after the delay), and the
configuration names it under ``[read_only] audios``. Under a profile whose limits refuse the default sample
(a higher minimum rate, a shorter maximum duration or file), the sample is made to fit them.

With ``serve --profile FILE`` the configuration also carries the file's table as ``[profile]``, so that
``conformance run --config`` judges the server by the same profile it plays.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import clock, media, toml_writer
from .access import hash_password
from .behaviour import REFERENCE, Behaviour
from .models import ApiKey
from .service import Service, new_token
from .settings import Settings
from .storage import Storage

KEY_HANDLE = "conformance"
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 20
USERS = ("alice", "bob")
#: organization → its members
ORGS = {"acme": ("alice",), "globex": ("bob",)}
#: (owner type, owner handle, space handle)
SPACES = (("user", "alice", "main"), ("user", "bob", "main"), ("org", "acme", "shared"), ("org", "globex", "lab"))
#: The pre-existing audio: (owner, space) it lives in, its alias, and its sound (a 16 kHz mono chirp).
SAMPLE_SPACE = ("alice", "main")
SAMPLE_ALIAS = "preexisting-sample"
SAMPLE_RATE = 16000
SAMPLE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Actor:
    handle: str
    password: str
    token: str


@dataclass(frozen=True, slots=True)
class Provisioned:
    primary: Actor
    outsider: Actor
    sample_handle: str  # the pre-existing audio in SAMPLE_SPACE


def _password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def provision(storage: Storage, behaviour: Behaviour = REFERENCE) -> Provisioned:
    """Create (or refresh) the seed data; returns the credentials of alice (primary) and bob (outsider). The API
    keys are stored directly, so their tokens work whether or not the behaviour has the ``api_keys`` routes."""
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
    sample = ensure_sample(storage, behaviour)
    return Provisioned(primary=actors["alice"], outsider=actors["bob"], sample_handle=sample)


def sample_wav(rate: int = SAMPLE_RATE, seconds: float = SAMPLE_SECONDS) -> bytes:
    """The sample's upload: an exponential chirp 200 Hz → 2 kHz (3 s at 16 kHz by default), mono PCM16, 20 ms
    fades."""
    n = max(int(rate * seconds), 1)
    t = np.arange(n) / rate
    low, high = 200.0, 2000.0
    k = np.log(high / low) / seconds
    signal = 0.5 * np.sin(2 * np.pi * low * (np.exp(k * t) - 1) / k)
    fade = min(int(0.02 * rate), n // 2)
    ramp = np.linspace(0.0, 1.0, fade)
    signal[:fade] *= ramp
    signal[n - fade :] *= ramp[::-1]
    return media.wav_bytes((signal * 32767).astype("<i2").tobytes(), rate)


def sample_shape(behaviour: Behaviour) -> tuple[int, float]:
    """(rate, seconds) of the sample: 16 kHz and 3 s, unless the behaviour's limits refuse that."""
    rate = max(SAMPLE_RATE, behaviour.min_sample_rate)
    seconds = min(SAMPLE_SECONDS, behaviour.max_duration_s, (behaviour.max_file_bytes - 44) / (2 * rate))
    return rate, seconds


def ensure_sample(storage: Storage, behaviour: Behaviour = REFERENCE) -> str:
    """The handle of the sample audio, uploaded now (through the fault-free service) if the space lacks it."""
    owner, handle = SAMPLE_SPACE
    space = storage.find_space(owner_handle=owner, handle=handle)
    assert space is not None
    existing = storage.audio_by_alias(space_id=space.id, alias=SAMPLE_ALIAS)
    if existing is not None:
        return existing.handle
    service = Service(Settings(db_path=storage.path, behaviour=behaviour))
    upload = {"file": base64.b64encode(sample_wav(*sample_shape(behaviour))).decode("ascii"), "alias": SAMPLE_ALIAS}
    _, view = service.create_audio(space, upload)
    return str(view["handle"])


def _toml_string(value: str) -> str:
    """A TOML basic string (a JSON string literal is one, escapes included)."""
    return json.dumps(value, ensure_ascii=False)


def render_config(base_url: str, provisioned: Provisioned, profile: Mapping[str, object] | None = None) -> str:
    """The suite configuration for this server, in the exact keys the suite reads; ``profile`` (the table of
    ``serve --profile``'s file) is written as ``[profile]``, its sub-tables as ``[profile.<name>]``."""
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
    sample_space = next(name for name, where in spaces.items() if where == SAMPLE_SPACE)
    lines += [
        "",
        "# An audio that was in the space before the run (provisioned once, never touched by the suite).",
        "[read_only]",
        f"audios = [{{ space = {_toml_string(sample_space)}, handle = {_toml_string(provisioned.sample_handle)} }}]",
    ]
    if profile is not None:
        lines += ["", "# The profile this server plays (serve --profile), so the suite judges it by the same choices."]
        lines += toml_writer.table("profile", profile)
    return "\n".join(lines) + "\n"


def write_config(path: Path, text: str) -> None:
    """Atomic write: readers polling for the file never see half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)  # it holds passwords and tokens
    os.replace(tmp, path)
