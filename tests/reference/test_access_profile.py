"""The access matrix follows the profile, not the reference server's choice of 404.

A reference server started with ``--denied-status 403`` answers 403 where the default one answers 404 (for both
forbidden and unknown spaces, so existence stays hidden). The matrix must pass against it by changing only the
profile (``denied_statuses = [403]``), and must fail the default server under that same profile: proof that the
statuses really come from the profile. The new faults' server side is proven by the kill matrix
(``tests/selftest``); the paths and revoked keys the matrix relies on are pinned here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
MATRIX_TESTS = "test_access"


def _serve(workdir: Path, *extra: str) -> tuple[subprocess.Popen, dict]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "target.toml"
    command = [sys.executable, "-m", "conformance.reference", "serve", "--port", "0", "--db", str(workdir / "ref.db"),
               "--write-config", str(config), *extra]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not config.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the reference server did not start"
        time.sleep(0.05)
    return process, tomllib.loads(config.read_text())


def _run_matrix(config: Path, reports: Path, denied: str) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    env["CONFORMANCE_PROFILE_DENIED_STATUSES"] = denied
    args = [sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", "run", "--config",
            str(config), "--reports", str(reports), "-q", "-p", "no:randomly", "-k", MATRIX_TESTS]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    return result.returncode, json.loads((reports / "certification.json").read_text())


@pytest.mark.slow
def test_matrix_follows_the_profile(tmp_path: Path) -> None:
    """403 server + profile [403] conforms; 404 server + profile [403] fails ACCESS-FOREIGN-DENIED (run in parallel)."""
    servers = {status: _serve(tmp_path / status, "--denied-status", status)[0] for status in ("403", "404")}
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = dict(zip(servers, pool.map(
                lambda status: _run_matrix(tmp_path / status / "target.toml", tmp_path / status / "reports", "[403]"),
                servers), strict=True))
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(timeout=15)
    code, summary = runs["403"]
    assert code == 0, summary["failed_requirements"]
    code, summary = runs["404"]
    assert code == 1 and "ACCESS-FOREIGN-DENIED" in summary["failed_requirements"]


def test_forbidden_and_unknown_spaces_answer_alike_with_403(tmp_path: Path) -> None:
    process, config = _serve(tmp_path, "--denied-status", "403")
    try:
        auth = {"Authorization": f"Bearer {config['actors']['primary']['token']}"}
        answers = [httpx.get(f"{config['base_url']}/spaces/{space}/audios", headers=auth) for space in
                   ("bob/main", "globex/lab", "nobody/main", "alice/nope")]
        assert {r.status_code for r in answers} == {403}
        assert len({json.dumps(r.json(), sort_keys=True) for r in answers}) == 1
        assert httpx.get(f"{config['base_url']}/spaces/alice/main/audios", headers=auth).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_trailing_slash_redirects_to_the_canonical_path_before_authentication(server) -> None:
    """Starlette's slash redirect: harmless (the canonical path then applies every rule), and the suite follows it."""
    response = httpx.get(f"{server.base_url}/spaces/bob/main/audios/abc/")
    assert response.status_code == 307
    assert response.headers["location"].endswith("/spaces/bob/main/audios/abc")


def test_deleted_key_stops_working_at_once(server, alice) -> None:
    created = alice.post("user/keys", json={"handle": "access-revoked-probe", "alias": None})
    assert created.status_code == 201
    token = created.json()["token"]
    assert httpx.get(f"{server.base_url}/user", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert alice.delete("user/keys/access-revoked-probe").status_code == 204
    refused = httpx.get(f"{server.base_url}/spaces/alice/main/audios", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
