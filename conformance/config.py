"""One validated configuration: where the target is, who acts, in which spaces, with which profile.

Sources, in order (later wins): the reference profile → a TOML file → ``CONFORMANCE_*`` environment variables.
Everything is checked here, before the first request, and any problem becomes one ``ConfigError`` sentence that
names the key, so a user fixes a typo from the message alone. The result is immutable and passed explicitly;
nothing reads globals.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.profile import Profile, ProfileError, build_profile

BUDGETS = ("quick", "nightly")
ACTORS = ("primary", "outsider")
SPACES = ("primary", "org", "foreign", "foreign_org")
TOP_LEVEL_KEYS = ("base_url", "timeout", "budget", "seed", "actors", "spaces", "profile", "openapi", "retries",
                  "retry_after_cap", "rate_limit", "read_only", "deadline", "allow_insecure_http",
                  "max_response_bytes", "media", "previews")
ENV_PREFIX = "CONFORMANCE_"
MIN_RESPONSE_BYTES, MAX_RESPONSE_BYTES = 1024, 1 << 40  # max_response_bytes: an error body must fit; a sane cap
PREVIEWS = ("samples", "failures", "none")
"""What report.html lets a person hear and see (``conformance/report_listen.py``): every failed WAV verdict and one
passing sample per media family (``samples``, the default), the failures only, or nothing (a self-test reads
verdicts, not reports: ``conformance/selftest.py`` runs with ``none``)."""
DEFAULT_DEADLINES = {"quick": 600.0, "nightly": 4 * 3600.0}
"""How long a run may take unless ``deadline`` says otherwise: a quick run is for pull requests (10 minutes), a
nightly one digs (4 hours). At the deadline every check not yet run is reported as undecided."""


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one sentence meant for the user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Someone the suite acts as: a bearer token, or a handle/password pair exchanged for one."""

    name: str
    token: str | None = None
    handle: str | None = None
    password: str | None = None

    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a report or the console."""
        return tuple(v for v in (self.token, self.password) if v)


@dataclass(frozen=True, slots=True, kw_only=True)
class Space:
    """A space addressed as ``/spaces/{owner}/{space}``."""

    name: str
    owner: str
    space: str

    @property
    def label(self) -> str:
        """``owner/space``, for messages."""
        return f"{self.owner}/{self.space}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistingAudio:
    """An audio already on the target, named in ``[read_only]``: ``--read-only`` checks it without writing.
    ``media`` is the fixture id it was uploaded from, when known (then the served WAV must be the same sound)."""

    space: str
    handle: str
    media: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The whole configuration of one run. ``base_url`` None means: start the embedded reference server."""

    base_url: str | None
    timeout: float = 10.0
    budget: str = "quick"
    seed: int = 20241202
    actors: Mapping[str, Actor] = field(default_factory=dict)
    spaces: Mapping[str, Space] = field(default_factory=dict)
    profile: Profile = field(default_factory=build_profile)
    profile_overrides: Mapping[str, Any] = field(default_factory=dict)  # the [profile] keys the configuration names
    source: str = "defaults"
    openapi: str | None = None  # the target's own OpenAPI definition (URL or path); None: the packaged one
    retries: int = 2  # extra attempts of an idempotent read after a dropped connection or a 429/503
    retry_after_cap: float = 30.0  # the longest Retry-After the suite waits for; a longer one is not waited out
    deadline: float = 600.0  # seconds the whole run may take; what is left then is reported as undecided
    rate_limit: float = 0.0  # requests per second to the target across the run (0: unlimited)
    existing_audios: tuple[ExistingAudio, ...] = ()  # [read_only] audios: what --read-only checks
    allow_insecure_http: bool = False  # a token may travel over plain http to a host outside the loopback range
    max_response_bytes: int | None = None  # the largest answer accepted; None: derived per answer (transport.py)
    media_dirs: tuple[Path, ...] = ()  # [media] dirs and --media: the user's recordings (conformance/user_media.py)
    previews: str = "samples"  # what report.html plays and pictures: samples, failures or none (PREVIEWS)


    def secrets(self) -> tuple[str, ...]:
        """Every secret this configuration holds (for the redactor)."""
        return tuple(s for actor in self.actors.values() for s in actor.secrets())

    def with_target(self, other: Settings) -> Settings:
        """This run's settings pointed at ``other``'s target, actors and spaces (used for the embedded server)."""
        return replace(self, base_url=other.base_url, actors=other.actors, spaces=other.spaces,
                       existing_audios=self.existing_audios or other.existing_audios)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    discover_in: Path | None = None,
    media: Sequence[str | os.PathLike[str]] = (),
) -> Settings:
    """Build settings from a TOML file, the environment and explicit overrides (CLI options), in that order.
    With no file named (argument or ``CONFORMANCE_CONFIG``) and ``discover_in`` given, the file is found there:
    ``conformance.toml``, else the ``[tool.conformance]`` table of ``pyproject.toml`` (as pytest finds its own
    settings), so a repository that certifies its staging keeps the configuration next to its code.
    ``media`` (``--media DIR``, relative to the working directory) adds to the file's ``[media] dirs`` (relative
    to the file)."""
    env = os.environ if env is None else env
    path = path or env.get(ENV_PREFIX + "CONFIG") or None
    data: dict[str, Any] = {}
    source = "defaults"
    if path:
        data = _anchored(_read_toml(Path(path)), Path(path).parent)
        source = str(path)
    elif discover_in is not None and (discover_in / "conformance.toml").is_file():
        data = _anchored(_read_toml(discover_in / "conformance.toml"), discover_in)
        source = str(discover_in / "conformance.toml")
    elif discover_in is not None and (discover_in / "pyproject.toml").is_file():
        table = _read_toml(discover_in / "pyproject.toml").get("tool", {}).get("conformance")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"[tool.conformance] in {discover_in / 'pyproject.toml'} is not a table")
            data, source = _anchored(table, discover_in), f"{discover_in / 'pyproject.toml'} [tool.conformance]"
    _merge(data, _from_env(env))
    _merge(data, {k: v for k, v in (overrides or {}).items() if v is not None})
    if media:
        table = data.setdefault("media", {})
        if isinstance(table, dict) and isinstance(table.get("dirs", []), list):
            table["dirs"] = [*table.get("dirs", []), *(os.fspath(d) for d in media)]
    return _validated(data, source)


def _anchored(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A configuration file's ``[media] dirs`` taken relative to the file's own directory, as a user reads them
    (a malformed value is left for validation to name)."""
    table = data.get("media")
    if isinstance(table, dict) and isinstance(table.get("dirs"), list):
        table["dirs"] = [str(base / d) if isinstance(d, str) and d else d for d in table["dirs"]]
    return data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Translate ``CONFORMANCE_*`` variables into the TOML shape."""
    data: dict[str, Any] = {}
    simple = {"BASE_URL": "base_url", "TIMEOUT": "timeout", "BUDGET": "budget", "SEED": "seed", "OPENAPI": "openapi",
              "RETRIES": "retries", "RETRY_AFTER_CAP": "retry_after_cap", "RATE_LIMIT": "rate_limit",
              "DEADLINE": "deadline", "ALLOW_INSECURE_HTTP": "allow_insecure_http",
              "MAX_RESPONSE_BYTES": "max_response_bytes", "PREVIEWS": "previews"}
    if (value := env.get(ENV_PREFIX + "MEDIA_DIRS")) is not None:  # a TOML array, or one directory
        dirs = _env_scalar(value) if value.lstrip().startswith("[") else [value]
        data["media"] = {"dirs": dirs}
    numeric = ("timeout", "seed", "retries", "retry_after_cap", "rate_limit", "deadline", "allow_insecure_http",
               "max_response_bytes")
    for suffix, key in simple.items():
        if (value := env.get(ENV_PREFIX + suffix)) is not None:
            data[key] = _env_scalar(value) if key in numeric else value
    for actor in ACTORS:
        for part in ("token", "handle", "password"):
            if value := env.get(f"{ENV_PREFIX}{actor.upper()}_{part.upper()}"):
                data.setdefault("actors", {}).setdefault(actor, {})[part] = value
    for space in SPACES:
        if value := env.get(f"{ENV_PREFIX}SPACE_{space.upper()}"):
            owner, _, name = value.partition("/")
            data.setdefault("spaces", {})[space] = {"owner": owner, "space": name}
    profile_prefix = ENV_PREFIX + "PROFILE_"
    for name, value in env.items():
        if name.startswith(profile_prefix):
            key, _, sub = name[len(profile_prefix) :].lower().partition("__")
            table = data.setdefault("profile", {})
            if sub:
                table.setdefault(key, {})[sub] = _env_scalar(value)
            else:
                table[key] = _env_scalar(value)
    return data


def _env_scalar(text: str) -> Any:
    """Parse an environment value as a TOML value (``120``, ``[403, 404]``, ``true``), else keep the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value


def _validated(data: dict[str, Any], source: str) -> Settings:
    _no_unknown(data, TOP_LEVEL_KEYS, "")
    allow_insecure_http = data.get("allow_insecure_http", False)
    if not isinstance(allow_insecure_http, bool):
        raise ConfigError(f"'allow_insecure_http' must be true or false, got {allow_insecure_http!r}")
    base_url = data.get("base_url")
    if base_url is not None:
        base_url = _valid_url(base_url, allow_insecure_http=allow_insecure_http)
    max_response_bytes = data.get("max_response_bytes")
    if max_response_bytes is not None and (isinstance(max_response_bytes, bool)
                                           or not isinstance(max_response_bytes, int)
                                           or not MIN_RESPONSE_BYTES <= max_response_bytes <= MAX_RESPONSE_BYTES):
        raise ConfigError(f"'max_response_bytes' must be a whole number of bytes in [{MIN_RESPONSE_BYTES}, "
                          f"{MAX_RESPONSE_BYTES}], got {max_response_bytes!r}")
    timeout = data.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise ConfigError(f"'timeout' must be a number of seconds in (0, 600], got {timeout!r}")
    budget = data.get("budget", "quick")
    if budget not in BUDGETS:
        raise ConfigError(f"'budget' must be one of {', '.join(BUDGETS)}, got {budget!r}")
    seed = data.get("seed", 20241202)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"'seed' must be an integer, got {seed!r}")
    openapi = data.get("openapi")
    if openapi is not None and (not isinstance(openapi, str) or not openapi.strip()):
        raise ConfigError(f"'openapi' must be a URL or a file path of an OpenAPI definition, got {openapi!r}")
    retries = data.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise ConfigError(f"'retries' must be an integer in [0, 10], got {retries!r}")
    retry_after_cap = _bounded(data, "retry_after_cap", 30.0, upper=600)
    deadline = _bounded(data, "deadline", DEFAULT_DEADLINES[budget], upper=7 * 24 * 3600)
    if deadline <= 0:
        raise ConfigError(f"'deadline' must be a positive number of seconds, got {deadline:g}")
    rate_limit = _bounded(data, "rate_limit", 0.0, upper=10_000)
    previews = data.get("previews", "samples")
    if previews not in PREVIEWS:
        raise ConfigError(f"'previews' must be one of {', '.join(PREVIEWS)}, got {previews!r}")
    actors = {name: _actor(name, value) for name, value in _table(data, "actors", ACTORS).items()}
    spaces = {name: _space(name, value) for name, value in _table(data, "spaces", SPACES).items()}
    existing = _existing_audios(_table(data, "read_only", ("audios",)), spaces)
    media_dirs = _media_dirs(_table(data, "media", ("dirs",)))
    overrides = _table(data, "profile", None)
    try:
        profile = build_profile(overrides)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None
    return Settings(
        base_url=base_url, timeout=float(timeout), budget=budget, seed=seed,
        actors=actors, spaces=spaces, profile=profile, profile_overrides=dict(overrides), source=source,
        openapi=openapi, retries=retries,
        retry_after_cap=retry_after_cap, rate_limit=rate_limit, existing_audios=existing, deadline=deadline,
        allow_insecure_http=allow_insecure_http, max_response_bytes=max_response_bytes, media_dirs=media_dirs,
        previews=previews,
    )


def _bounded(data: Mapping[str, Any], key: str, default: float, *, upper: float) -> float:
    """A non-negative number (seconds, or requests per second) no larger than ``upper``."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= upper:
        raise ConfigError(f"'{key}' must be a number in [0, {upper:g}], got {value!r}")
    return float(value)


def _existing_audios(table: Mapping[str, Any], spaces: Mapping[str, Space]) -> tuple[ExistingAudio, ...]:
    """``[read_only] audios = [{space = "primary", handle = "...", media = "speech-wav"}]``."""
    rows = table.get("audios", [])
    if not isinstance(rows, list):
        raise ConfigError("read_only.audios must be an array of tables {space, handle[, media]}")
    audios = []
    for index, row in enumerate(rows):
        where = f"read_only.audios[{index}]"
        if not isinstance(row, Mapping):
            raise ConfigError(f"{where} must be a table {{space, handle[, media]}}")
        _no_unknown(row, ("space", "handle", "media"), f"{where}.")
        space, handle, media = row.get("space", "primary"), row.get("handle"), row.get("media")
        if not isinstance(handle, str) or not handle:
            raise ConfigError(f"{where}.handle must be a non-empty string")
        if not isinstance(space, str) or (spaces and space not in spaces):
            raise ConfigError(f"{where}.space must name a configured space ({', '.join(spaces) or 'none'}), "
                              f"got {space!r}")
        if media is not None and (not isinstance(media, str) or not media):
            raise ConfigError(f"{where}.media must be a fixture id (a non-empty string)")
        audios.append(ExistingAudio(space=space, handle=handle, media=media))
    return tuple(audios)


def _media_dirs(table: Mapping[str, Any]) -> tuple[Path, ...]:
    """``[media] dirs = ["recordings", ...]``: existing directories (each named once, in the order given)."""
    dirs = table.get("dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) and d for d in dirs):
        raise ConfigError("media.dirs must be an array of directory paths (relative to the configuration file)")
    found: dict[Path, None] = {}
    for name in dirs:
        path = Path(name).expanduser().absolute()
        if not path.exists():
            raise ConfigError(f"media directory {name} does not exist")
        if not path.is_dir():
            raise ConfigError(f"media directory {name} is not a directory (--media and [media] dirs name folders)")
        found.setdefault(path)
    return tuple(found)


def require_identity(settings: Settings) -> None:
    """A configured target needs the primary actor and space; checked once the target is known to answer, so
    that a wrong address is reported as such first."""
    if "primary" not in settings.actors:
        raise ConfigError("[actors.primary] is missing: give a token, or a handle and password")
    if "primary" not in settings.spaces:
        raise ConfigError("[spaces.primary] is missing: give the owner and space the suite creates audios in")


def require_existing_audios(settings: Settings) -> None:
    """A read-only run needs audios that already exist on the target (it creates none), in configured spaces."""
    if not settings.existing_audios:
        raise ConfigError("--read-only needs the audios to check: [read_only] audios = [{space = \"primary\", "
                          "handle = \"...\"}]")
    for audio in settings.existing_audios:
        if audio.space not in settings.spaces:
            raise ConfigError(f"[read_only] audio {audio.handle!r} is in space {audio.space!r}, which is not "
                              "configured in [spaces]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost``, 127.0.0.0/8 or ::1 (nothing else is trusted with a token
    over plain http)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_url(value: object, *, allow_insecure_http: bool) -> str:
    """An http(s) URL; plain http only to this machine, unless the configuration accepts the risk: the suite
    sends bearer tokens, which must not cross a network unencrypted (RFC 6750 §5.3)."""
    if not isinstance(value, str):
        raise ConfigError(f"'base_url' must be a string, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"'base_url' must be an http(s) URL such as https://staging.example/v1, got {value!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"'base_url' has an invalid port: {value!r}") from None
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigError(f"'base_url' {value!r} is plain http to {parts.hostname}, outside the loopback range, so the "
                          "tokens would cross the network unencrypted: use https, or set allow_insecure_http = true "
                          "(CONFORMANCE_ALLOW_INSECURE_HTTP) for a network you trust")
    return value.rstrip("/")


def _table(data: Mapping[str, Any], key: str, allowed: tuple[str, ...] | None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{key}' must be a table")
    if allowed is not None:
        _no_unknown(value, allowed, f"{key}.")
    return dict(value)


def _actor(name: str, value: object) -> Actor:
    if not isinstance(value, Mapping):
        raise ConfigError(f"[actors.{name}] must be a table")
    _no_unknown(value, ("token", "handle", "password"), f"actors.{name}.")
    for key, item in value.items():
        if not isinstance(item, str) or not item:
            raise ConfigError(f"actors.{name}.{key} must be a non-empty string")
    actor = Actor(name=name, token=value.get("token"), handle=value.get("handle"), password=value.get("password"))
    if not actor.token and not (actor.handle and actor.password):
        raise ConfigError(f"[actors.{name}] needs a token, or both a handle and a password")
    return actor


def _space(name: str, value: object) -> Space:
    if not isinstance(value, Mapping):
        raise ConfigError(f"[spaces.{name}] must be a table with owner and space")
    _no_unknown(value, ("owner", "space"), f"spaces.{name}.")
    owner, space = value.get("owner"), value.get("space")
    if not isinstance(owner, str) or not owner or not isinstance(space, str) or not space:
        raise ConfigError(f"[spaces.{name}] needs non-empty 'owner' and 'space' strings")
    return Space(name=name, owner=owner, space=space)


def _no_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {prefix}{close[0]!r}?)" if close else f" (known: {', '.join(allowed)})"
            raise ConfigError(f"unknown configuration key {prefix}{key!r}{hint}")
