"""Configuration discovery: with no --config and no CONFORMANCE_CONFIG, ``conformance.toml`` in the working
directory is used, else the ``[tool.conformance]`` table of its ``pyproject.toml``; the verdict names the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SELECT = ("-q", "-k", "WAV-SAME-SOUND")


def conformance(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                          capture_output=True, text=True, env=clean, timeout=900, cwd=cwd)


def test_conformance_toml_in_the_working_directory_is_found_and_named(tmp_path: Path) -> None:
    (tmp_path / "conformance.toml").write_text("seed = 4242\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.conformance]\nseed = 1\n", encoding="utf-8")  # loses
    result = conformance(tmp_path, "run", "--reports", "r", *SELECT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"(configuration {tmp_path / 'conformance.toml'})" in result.stdout.strip().splitlines()[-1]
    summary = json.loads((tmp_path / "r" / "certification.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 4242 and summary["configuration"] == str(tmp_path / "conformance.toml")


def test_the_tool_conformance_table_of_pyproject_is_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.conformance]\nseed = 77\n',
                                             encoding="utf-8")
    result = conformance(tmp_path, "run", "--reports", "r", *SELECT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "pyproject.toml [tool.conformance])" in result.stdout.strip().splitlines()[-1]
    assert json.loads((tmp_path / "r" / "certification.json").read_text(encoding="utf-8"))["seed"] == 77


def test_a_broken_discovered_configuration_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nconformance = "yes"\n', encoding="utf-8")
    result = conformance(tmp_path, "run", "--reports", "r", *SELECT)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "[tool.conformance]" in lines[0] and "Traceback" not in result.stderr
