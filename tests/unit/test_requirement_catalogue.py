"""The requirement catalogue is the one list of ids: every id is checked somewhere, every id used is defined."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import tomllib
from pathlib import Path

import httpx
import pytest

import conformance.checks
import conformance.properties.checks  # noqa: F401 - the property runs' checks register too
from conformance import requirements
from conformance.checks import REGISTRY, ConformanceFailure, UnboundFailure, check, fail
from conformance.requirements import CATALOGUE, Level, Tier

for _module in pkgutil.iter_modules(conformance.checks.__path__):  # every check module, without a hand list
    importlib.import_module(f"conformance.checks.{_module.name}")

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "conformance" / "scenarios").glob("*.py"))
CHECK_MODULES = sorted((ROOT / "conformance" / "checks").glob("*.py")) + [ROOT / "conformance/properties/checks.py"]
MANIFEST = ROOT / "conformance" / "corpus" / "manifest.toml"
UNIT_TESTS = [*sorted((ROOT / "tests" / "unit").glob("test_checks_*.py")), ROOT / "tests/properties/test_checks.py"]
ID_RE = re.compile(r"^[A-Z]+(-[A-Z0-9]+)+$")

MARKER_RE = re.compile(r"""pytest\.mark\.requirement\(\s*["']([^"']+)["']""")
MANIFEST_RE = re.compile(r"""^\s*requirement\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def _found(pattern: re.Pattern[str], paths: list[Path]) -> dict[str, list[str]]:
    """id -> the files that use it."""
    used: dict[str, list[str]] = {}
    for path in paths:
        for rid in pattern.findall(path.read_text(encoding="utf-8")):
            used.setdefault(rid, []).append(path.name)
    return used


SCENARIO_MARKERS = _found(MARKER_RE, SCENARIOS)
MANIFEST_IDS = _found(MANIFEST_RE, [MANIFEST])
CHECK_IDS = {r.requirement: [r.location] for r in REGISTRY.values()}



def test_the_scan_found_the_sources() -> None:
    assert SCENARIOS and CHECK_MODULES and MANIFEST.is_file()
    assert "AUD-CREATE-201" in SCENARIO_MARKERS
    assert "MEDIA-REJECT-UNDECODABLE" in MANIFEST_IDS
    assert "WAV-SAME-SOUND" in CHECK_IDS


def test_the_manifest_regex_agrees_with_the_toml() -> None:
    rows = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["fixture"]
    assert {row["requirement"] for row in rows} == set(MANIFEST_IDS)


@pytest.mark.parametrize("requirement_id", list(CATALOGUE))
def test_every_catalogue_id_is_checked_by_a_collected_test(requirement_id: str, plan: list[dict[str, object]]) -> None:
    declared = {rid for item in plan for rid in item["requirements"]}  # type: ignore[attr-defined]
    assert requirement_id in declared, f"{requirement_id} is in the catalogue but no collected check declares it"


def test_every_collected_test_declares_a_known_requirement(plan: list[dict[str, object]]) -> None:
    assert len(plan) > 50
    for item in plan:
        assert item["requirements"], item["nodeid"]
        assert all(rid in CATALOGUE for rid in item["requirements"]), item  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("where", "used"),
    [("scenario markers", SCENARIO_MARKERS), ("manifest rows", MANIFEST_IDS), ("@check()", CHECK_IDS)],
)
def test_every_id_used_is_in_the_catalogue(where: str, used: dict[str, list[str]]) -> None:
    unknown = {rid: files for rid, files in used.items() if rid not in CATALOGUE}
    assert not unknown, f"ids used in {where} but not defined in conformance/requirements.py: {unknown}"


@pytest.mark.parametrize("requirement_id", list(CATALOGUE))
def test_ids_follow_the_grammar(requirement_id: str) -> None:
    assert ID_RE.match(requirement_id)


def test_catalogue_entries_are_complete() -> None:
    for rid, requirement in CATALOGUE.items():
        assert requirement.id == rid
        assert isinstance(requirement.level, Level)
        assert requirement.title.strip()
        assert requirement.source.strip()


def test_get_unknown_id_raises_key_error() -> None:
    assert requirements.get("WAV-RATE").id == "WAV-RATE"
    with pytest.raises(KeyError):
        requirements.get("WAV-RATES")


def test_every_registered_check_names_a_known_requirement() -> None:
    assert len(REGISTRY) >= 20
    for name, registered in REGISTRY.items():
        assert registered.name == name == registered.function.__name__
        assert registered.requirement in CATALOGUE, f"check {name} names unknown {registered.requirement}"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)]


def test_a_requirement_id_is_written_once_in_the_checks() -> None:
    """The id lives on ``@check("ID")`` only: no other string in a check module is a requirement id (docstrings
    may name one), so no ``fail()`` can name a requirement its check is not bound to."""
    for path in CHECK_MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        decorators = {id(arg) for call in _calls(tree, "check") for arg in call.args}
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        stray = [(node.lineno, node.value) for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and node.value in CATALOGUE
                 and id(node) not in decorators | docstrings]
        assert not stray, f"{path.name}: requirement ids outside @check(): {stray}"


@pytest.mark.parametrize("path", SCENARIOS + [ROOT / "conformance" / "workflow.py"], ids=lambda p: p.name)
def test_scenarios_drive_and_never_judge(path: Path) -> None:
    """Only checks call ``fail()``; a scenario calls registered checks (``pytest.fail`` for a suite problem is
    fine: it is not a verdict about the target)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = [call.lineno for call in _calls(tree, "fail") if getattr(call.func, "id", None) == "fail"]
    assert not own, f"{path.name} judges by itself at lines {own}"


def test_every_check_decorator_is_in_the_registry() -> None:
    registered = {(r.requirement, r.name) for r in REGISTRY.values()}
    for path in CHECK_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for call in [d for d in node.decorator_list if isinstance(d, ast.Call)
                             and getattr(d.func, "id", None) == "check"]:
                    rid = call.args[0].value  # type: ignore[attr-defined]
                    assert (rid, node.name) in registered, f"{path.name}: {node.name} is not registered for {rid}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_check_has_unit_tests(name: str) -> None:
    """House rule: each check is tested (both directions live beside each other in tests/unit/test_checks_*.py)."""
    assert any(re.search(rf"\b{name}\b", path.read_text(encoding="utf-8")) for path in UNIT_TESTS)


def test_check_refuses_an_unknown_requirement() -> None:
    with pytest.raises(KeyError):
        check("NOT-A-REQUIREMENT")


def test_fail_inside_a_check_raises_a_typed_failure_of_its_requirement() -> None:
    def unit_test_rate_check(rate: int) -> None:
        """Fails when the rate is not 16 kHz."""
        if rate != 16000:
            fail("rate differs", received=rate, expected=16000)

    try:
        bound = check("WAV-RATE")(unit_test_rate_check)
        bound(16000)
        with pytest.raises(ConformanceFailure) as excinfo:
            bound(8000)
    finally:
        REGISTRY.pop("unit_test_rate_check", None)
    failure = excinfo.value
    assert isinstance(failure, AssertionError)
    assert (failure.requirement, failure.title, failure.received, failure.expected, failure.check) == (
        "WAV-RATE", "rate differs", "8000", "16000", "unit_test_rate_check")
    assert failure.location is not None and failure.location.startswith("test_requirement_catalogue.py:")
    assert str(failure) == "[WAV-RATE] rate differs\nReceived: 8000\nExpected: 16000"
    with pytest.raises(UnboundFailure):
        unit_test_rate_check(8000)  # the same function, not bound: a suite error


def test_a_check_calling_another_keeps_the_inner_requirement() -> None:
    from conformance.checks.audio import created_with_201

    def unit_test_outer_check(response: httpx.Response) -> None:
        """Bound to WAV-RATE, delegates to the AUD-CREATE-201 check."""
        created_with_201(response)

    try:
        outer = check("WAV-RATE")(unit_test_outer_check)
        with pytest.raises(ConformanceFailure) as excinfo:
            outer(httpx.Response(500))
    finally:
        REGISTRY.pop("unit_test_outer_check", None)
    assert (excinfo.value.requirement, excinfo.value.check) == ("AUD-CREATE-201", "created_with_201")


def test_every_requirement_has_a_tier() -> None:
    assert all(isinstance(r.tier, Tier) for r in CATALOGUE.values())


def test_a_same_named_check_from_another_module_is_refused() -> None:
    def unit_test_probe_check() -> None:
        """Registered under this name for the duration of the test."""

    try:
        check("WAV-RATE")(unit_test_probe_check)
        check("WAV-RATE")(unit_test_probe_check)  # the same function again is fine
        assert REGISTRY["unit_test_probe_check"].requirement == "WAV-RATE"

        def impostor() -> None:
            """Same name, other module."""

        impostor.__name__ = "unit_test_probe_check"
        impostor.__module__ = "somewhere.else"
        with pytest.raises(RuntimeError, match="already registered"):
            check("WAV-RATE")(impostor)
    finally:
        REGISTRY.pop("unit_test_probe_check", None)
