"""The README's two commands follow each other in one checkout, in either order.

The test command (``python3 -m tox``) must leave nothing in the checkout that stops the install command
(``python3 -m venv .venv && ...``). tox 4.64 and later write a PEP 832 redirect *file* named ``.venv`` at the
project root, pointing at ``.tox/py311`` (tox's ``tox/util/venv_redirect.py``: "Point the project's PEP 832 ``.venv``
redirect file at a tox environment"), unless ``[tox] venv_redirect`` is off. After ``tox``, ``python3 -m venv .venv``
then stopped with "Unable to create directory '.venv'" (seen on a clean clone after ``.ci/run``, tox 4.67.17).
"""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tox_writes_no_venv_redirect_over_the_readme_s_virtual_environment() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    assert tox.getboolean("tox", "venv_redirect", fallback=True) is False


def test_git_ignores_a_venv_file_as_well_as_a_directory() -> None:
    patterns = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".venv" in patterns
