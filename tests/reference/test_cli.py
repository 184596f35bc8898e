"""The command line, provisioning on an existing database, and the import boundary of the server."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import httpx

from conformance.reference import faults

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "conformance" / "reference"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance.reference", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_faults_command_prints_the_catalogue():
    result = _cli("faults")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == list(faults.NAMES)
    for line in lines:
        name, requirements, description = line.split("\t")
        assert requirements and description


def test_unknown_fault_is_exit_2_with_the_valid_names(tmp_path):
    result = _cli("serve", "--db", str(tmp_path / "x.db"), "--fault", "no-such-fault")
    assert result.returncode == 2
    assert "no-such-fault" in result.stderr and "silent-wav" in result.stderr and "hang-file" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "x.db").exists()


def test_bad_db_path_is_one_line_exit_2(tmp_path):
    for db in (tmp_path / "missing-dir" / "x.db", tmp_path):
        result = _cli("serve", "--db", str(db))
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_restart_on_the_same_database_keeps_keys_and_audios(tmp_path, spawn, media):
    first = spawn(tmp_path)
    created = first.client().post("spaces/alice/main/audios", json={"file": media.b64(media.wav(8000, 0.1))})
    assert created.status_code == 201
    first.stop()
    second = spawn(tmp_path)
    assert second.token("primary") == first.token("primary")
    assert second.config["actors"]["primary"]["password"] != first.config["actors"]["primary"]["password"]
    assert second.client().get(f"spaces/alice/main/audios/{created.json()['handle']}").status_code == 200
    signin = httpx.post(
        second.base_url + "/auth/credentials",
        json={"handle": "bob", "password": second.config["actors"]["outsider"]["password"]},
    )
    assert signin.status_code == 200


def test_config_file_has_the_suite_keys(server):
    config = server.config
    assert config["base_url"] == server.base_url and server.base_url.startswith("http://127.0.0.1:")
    assert server.base_url.endswith("/v1")
    assert {config["actors"][a]["handle"] for a in ("primary", "outsider")} == {"alice", "bob"}
    assert config["spaces"] == {
        "primary": {"owner": "alice", "space": "main"},
        "org": {"owner": "acme", "space": "shared"},
        "foreign": {"owner": "bob", "space": "main"},
        "foreign_org": {"owner": "globex", "space": "lab"},
    }
    lines = (server.workdir / "target.toml").read_text().splitlines()
    assert lines[0].startswith("# ")
    assert server.process.stdout.readline().decode() == f"listening on {server.base_url}\n"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.append(node.module)
            elif node.level > 1:  # relative imports climbing out of conformance.reference
                names.append("." * node.level + (node.module or ""))
    return names


def test_server_imports_nothing_from_the_suite():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in _imported_modules(path):
            outside = name.startswith("..") or (
                (name == "conformance" or name.startswith("conformance."))
                and not (name == "conformance.reference" or name.startswith("conformance.reference."))
            )
            if outside:
                offenders.append(f"{path.relative_to(REPO)}: {name}")
    assert not offenders, offenders
