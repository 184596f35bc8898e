"""The pytest11 entry point: inert for every other suite in the environment, and the same certification as the
CLI when asked for (``pytest --pyargs conformance.scenarios --conformance-config FILE``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conformance.target import EmbeddedServer, embedded_reference
from tests.cli.test_cli import QUIET

FOREIGN = '''
import pytest


@pytest.fixture
def settings():
    return {"mine": True}  # a fixture name the suite also uses: the foreign one must win


@pytest.mark.parametrize("n", [1, 2])
def test_plain(n, settings):
    assert settings == {"mine": True} and n in (1, 2)


def test_without_requirement_marker():
    assert True
'''


def _env() -> dict[str, str]:
    """A clean environment, without report previews: these runs judge verdicts (``test_cli.QUIET``)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}, **QUIET}


def test_the_entry_point_is_installed() -> None:
    assert [e.value for e in entry_points(group="pytest11") if e.name == "conformance"] == ["conformance.plugin"]


def test_a_foreign_suite_runs_untouched_with_the_plugin_installed(tmp_path: Path) -> None:
    (tmp_path / "test_foreign.py").write_text(FOREIGN, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout
    assert not (tmp_path / "reports").exists()  # nothing of a certification was written
    plugins = subprocess.run([sys.executable, "-m", "pytest", "--version", "--version"], cwd=tmp_path, env=_env(),
                             capture_output=True, text=True, timeout=120)
    assert "voice-api-conformance" in plugins.stdout + plugins.stderr  # it was loaded, and stayed out of the way


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with embedded_reference(tmp_path_factory.mktemp("target")) as server:
        yield server


@pytest.mark.slow
def test_pytest_pyargs_gives_the_same_certification_as_conformance_run(target: EmbeddedServer,
                                                                       tmp_path: Path) -> None:
    select = ["-q", "-k", "WAV-SAME-SOUND or AUTH-MISSING-401"]
    plain = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.scenarios",
                            "--conformance-config", str(target.config_path), "--reports-dir",
                            str(tmp_path / "pytest"), "-p", "no:cacheprovider", *select],
                           cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=900)
    cli = subprocess.run([sys.executable, "-m", "conformance", "run", "--config", str(target.config_path),
                          "--reports", str(tmp_path / "cli"), *select],
                         cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=900)
    assert plain.returncode == cli.returncode == 0, plain.stdout[-3000:] + cli.stdout[-2000:]
    a = json.loads((tmp_path / "pytest" / "certification.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "cli" / "certification.json").read_text(encoding="utf-8"))
    assert (a["verdict"], a["level"], a["partial"]) == (b["verdict"], b["level"], b["partial"]) == (
        "conforms", None, True)
    assert {k: v["outcome"] for k, v in a["requirements"].items()} == {
        k: v["outcome"] for k, v in b["requirements"].items()}
    assert sorted(t["nodeid"].split("::", 1)[1] for t in a["tests"]) == sorted(
        t["nodeid"].split("::", 1)[1] for t in b["tests"])


def test_the_cli_takes_the_plugins_option_names(tmp_path: Path) -> None:
    """``--conformance-config`` and ``--reports-dir`` mean in ``conformance run`` what they mean to the plugin."""
    result = subprocess.run([sys.executable, "-m", "conformance", "run", "--conformance-config",
                             str(tmp_path / "missing.toml"), "--reports-dir", str(tmp_path / "r")],
                            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and f"configuration file {tmp_path / 'missing.toml'} does not exist" in result.stderr
