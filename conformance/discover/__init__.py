"""``conformance discover``: a target's profile inferred from its behaviour, with evidence, never a fault learned.

A new user should not have to know some thirty values the public docs leave open (403 or 404, synchronous or not,
the sort syntax, each refusal's status, ...) before a first certification: every wrong guess is a false failure.
Discovery sends a bounded sequence of requests (``conformance/discover/steps.py``; at most ``max_requests``,
within ``rate_limit``), deletes what it made, and decides every profile key with its provenance and evidence
(``conformance/discover/model.py``). It only ever picks among the values the contract allows
(``conformance/discover/rules.py``): what no allowed value explains is an early finding, and the key keeps the
reference value, so the run then fails it by its own requirement. A value the configuration names always wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from conformance.config import Settings
from conformance.discover import steps
from conformance.discover.model import Decision, Discovery, Evidence, Finding
from conformance.discover.prober import BudgetSpent, Prober
from conformance.http_stack import TargetError
from conformance.profile import SERVE_TABLE, Profile, build_profile
from conformance.redaction import Redactor

__all__ = ["DEFAULT_MAX_REQUESTS", "Decision", "Discovery", "Evidence", "Finding", "apply", "discover",
           "observable_keys", "profile_keys", "provenance"]

DEFAULT_MAX_REQUESTS = 200
LIMIT_KEYS = ("max_file_bytes", "max_duration_s", "min_sample_rate", "max_channels", "max_stored_sample_rate",
              "reject_statuses.too_large")
NOT_OBSERVABLE = {
    "duration_tolerance_s": "a tolerance of the suite's oracle, not a behaviour of the target",
    "same_sound_min_correlation": "a threshold of the suite's same-sound oracle",
    "same_sound_min_correlation_lossy": "a threshold of the suite's same-sound oracle",
    "same_sound_min_envelope_correlation": "a threshold of the suite's same-sound oracle",
    "clock_skew_s": "a tolerance of the suite",
    "strict_should": "how strictly the user wants SHOULD requirements judged",
    "session_ttl_s": "the lifetime a sign-in declares is what AUTH-CREDENTIALS judges (the contract says 24 h); "
                     "a deployment configured otherwise says so in [profile]",
    "poll_interval_s": "used only against an asynchronous target",
    "processing_timeout_s": "used only against an asynchronous target",
}


TOLERANCES = {
    "denied_statuses": "how wide the suite's acceptance of a denial is: discovery checks that the denials it sees "
                       "fall within it, and a target that denies with one status conforms under both",
    "strict_reject_statuses": "whether a target promises one status per refusal reason: each reason's status is "
                              "seen, the promise is not (two statuses for one reason make it conflicting)",
}
"""Keys whose value is not a behaviour but how strictly the suite judges one: discovery keeps them (defaulted),
looking only for what contradicts them."""


def observable_keys(profile: Profile, *, probe_limits: bool) -> list[str]:
    """The keys discovery decides from the target's behaviour (so a target playing a profile gets that profile's
    value back): every key but the suite's own tolerances, and the limits only with ``probe_limits``."""
    return [key for key in profile_keys(profile) if key not in NOT_OBSERVABLE and key not in TOLERANCES
            and (probe_limits or key not in LIMIT_KEYS)]


def profile_keys(profile: Profile) -> list[str]:
    """Every key of a profile, tables flattened (``capabilities.delete``), the unread ``[serve]`` table left out."""
    keys = []
    for item in fields(profile):
        value = getattr(profile, item.name)
        if item.name == SERVE_TABLE:
            continue
        keys += [f"{item.name}.{sub}" for sub in value] if isinstance(value, dict) else [item.name]
    return keys


def discover(settings: Settings, *, probe_limits: bool = False, max_requests: int = DEFAULT_MAX_REQUESTS,
             redactor: Redactor | None = None, say: Callable[[str], None] | None = None) -> Discovery:
    """Probe the configured target and decide every profile key. Raises ``TargetError`` only when the primary
    actor cannot sign in; a target that stops answering midway leaves the rest of the keys defaulted."""
    assert settings.base_url is not None
    reference = build_profile()
    discovery = Discovery(target=settings.base_url, max_requests=max_requests, probe_limits=probe_limits)
    prober = Prober(settings=settings, max_requests=max_requests, redactor=redactor or Redactor(settings.secrets()))
    step = steps.Step(prober=prober, discovery=discovery, reference=reference)
    stopped = None
    try:
        prober.client("primary")
        sequence = list(steps.STEPS)
        if probe_limits:
            from conformance.discover import limits

            sequence.append(limits.probe)
        for run in sequence:
            if say is not None:
                say(f"discover: {run.__name__.replace('_', ' ')}")
            run(step)
    except BudgetSpent as exc:
        stopped = str(exc)
    except TargetError as exc:
        if not prober.requests or prober.requests == 1 and not discovery.decisions:
            prober.close()
            raise
        stopped = f"the target stopped answering: {exc}"
    finally:
        can_delete = _can_delete(discovery, reference)
        try:
            discovery.leftovers = prober.clean_up(can_delete=can_delete)
        finally:
            discovery.requests = prober.requests
            prober.close()
    for key in profile_keys(reference):
        if key in discovery.decisions:
            continue
        if stopped is not None and key not in NOT_OBSERVABLE and not (key in LIMIT_KEYS and not probe_limits):
            why = f"not probed: {stopped}"
        elif key in LIMIT_KEYS and not probe_limits:
            why = "a limit: found only with --probe-limits"
        else:
            why = NOT_OBSERVABLE.get(key, "not observable")
        step.default(key, why)
    return discovery


def _can_delete(discovery: Discovery, reference: Profile) -> bool:
    decision = discovery.decisions.get("capabilities.delete")
    return reference.has("delete") if decision is None else bool(decision.value)


def apply(settings: Settings, discovered: dict[str, Any]) -> Settings:
    """``settings`` with ``discovered`` profile values (``Discovery.observed_overrides()``, or a discovered profile
    file's keys) under the configured ones: what the configuration names always wins."""
    configured = dict(settings.profile_overrides)
    merged: dict[str, Any] = {}
    for table in (_without(discovered, configured), configured):
        for key, value in table.items():
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return replace(settings, profile=build_profile(merged))


def _without(table: dict[str, Any], configured: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            rest = {sub: v for sub, v in value.items() if sub not in configured.get(key, {})}
            if rest:
                kept[key] = rest
        elif key not in configured:
            kept[key] = value
    return kept


def provenance(settings: Settings, discovered: dict[str, Any] | None = None) -> dict[str, str]:
    """Where each profile value of a run came from: ``configured`` (the configuration or a variant names it),
    ``discovered`` (observed on the target, or settled from conflicting observations) or ``default``."""
    configured = settings.profile_overrides
    found = discovered or {}
    result = {}
    for key in profile_keys(settings.profile):
        if _names(configured, key):
            result[key] = "configured"
        elif _names(found, key):
            result[key] = "discovered"
        else:
            result[key] = "default"
    return result


def _names(table: dict[str, Any], key: str) -> bool:
    head, _, sub = key.partition(".")
    return sub in table.get(head, {}) if sub else head in table
