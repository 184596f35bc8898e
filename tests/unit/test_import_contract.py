"""The import contracts (pyproject.toml, checked by ``lint-imports`` in tox's lint env) hold by wildcard, so a module
added tomorrow is covered without editing a list. Proven here on a copy of the package with a planted import each
way: a new server module that imports the suite, and a new suite module that imports the server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> str:
    result = subprocess.run([str(LINT), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    return result.stdout + result.stderr


def test_a_new_module_on_either_side_is_held_to_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "conformance", tmp_path / "conformance",
                    ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.toml"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert "2 kept, 0 broken" in _lint(tmp_path)
    (tmp_path / "conformance" / "reference" / "brand_new.py").write_text("import conformance.brand_new_suite\n")
    (tmp_path / "conformance" / "brand_new_suite.py").write_text("X = 1\n")
    assert "The reference server never imports the suite BROKEN" in _lint(tmp_path)
    (tmp_path / "conformance" / "reference" / "brand_new.py").unlink()
    (tmp_path / "conformance" / "brand_new_suite.py").write_text("import conformance.reference.clock\n")
    out = _lint(tmp_path)
    assert "The suite never imports the reference server (they meet over HTTP) BROKEN" in out
    assert "The reference server never imports the suite KEPT" in out
