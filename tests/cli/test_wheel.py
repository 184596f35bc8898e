"""The wheel works anywhere: built from this checkout and installed on its own into a fresh virtual environment
(no checkout, no editable install), it certifies its embedded reference server from an empty directory. Everything
a run reads (the corpus and its manifest, the definition, the profiles and variants, the access table, the schema)
must be package data for that to hold; a file left outside the package turns into a false verdict for every user
who installs from PyPI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.nightly  # a fresh environment installing every dependency: ~60 s, in the full tier (tox -e selftest)
@pytest.mark.slow
def test_the_installed_wheel_certifies_the_embedded_reference_from_an_empty_directory(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and egg-info behind
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", ".tox", "build", "dist", "reports",
                                                                "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next(dist.glob("voice_api_conformance-*.whl"))
    venv = tmp_path / "venv"  # a fresh environment: the wheel and what it declares, nothing of this checkout
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], capture_output=True,
                               text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFORMANCE_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = subprocess.run([str(python), "-c", "import conformance; print(conformance.__file__)"], cwd=empty,
                           env=env, capture_output=True, text=True, timeout=60).stdout.strip()
    assert where.startswith(str(venv)), where  # the wheel's copy, not this checkout
    result = subprocess.run([str(venv / "bin" / "conformance"), "run", "-q"], cwd=empty, env=env,
                            capture_output=True, text=True, timeout=900)
    verdict = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0 and verdict.startswith("CONFORMS, level Full"), verdict
    summary = json.loads((empty / "reports" / "certification.json").read_text(encoding="utf-8"))
    assert summary["failed_requirements"] == [] and summary["undecided_requirements"] == []
    assert len(summary["tests"]) > 700
