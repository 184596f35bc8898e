"""``serve --timing-log FILE``: one JSON line per request, with the duration its Server-Timing header reports."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
FIELDS = {"ts", "method", "path", "status", "duration_ms"}


def _records(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]  # JSON lines end in \n only
    records = [json.loads(line) for line in lines]
    assert all(set(record) == FIELDS for record in records), records
    return records


def _server_timing(response: httpx.Response) -> float:
    name, duration = response.headers["Server-Timing"].split(";")
    assert name == "app" and duration.startswith("dur=")
    return float(duration[4:])


def test_every_request_is_one_line_with_its_server_timing(tmp_path, spawn, media):
    log = tmp_path / "timing.jsonl"
    ref = spawn(tmp_path, extra=("--timing-log", str(log)))
    already = len(_records(log))  # the readiness probes (GET /health)
    alice, anonymous = ref.client(), ref.client(None)
    created = alice.post("spaces/alice/main/audios", json={"file": media.b64(media.wav(8000, 0.2)), "alias": "t"})
    handle = created.json()["handle"]
    responses = [
        ("POST", "/v1/spaces/alice/main/audios", created),
        ("GET", f"/v1/spaces/alice/main/audios/{handle}/file", alice.get(f"spaces/alice/main/audios/{handle}/file")),
        ("GET", "/v1/user", anonymous.get("user")),
        ("GET", "/v1/spaces/bob/main/audios", alice.get("spaces/bob/main/audios", params={"page": "2"})),
        ("DELETE", "/v1/user", alice.delete("user")),
        ("GET", "/v1/health", anonymous.get("health")),
    ]
    records = _records(log)[already:]
    assert len(records) == len(responses)
    for record, (method, path, response) in zip(records, responses, strict=True):
        assert (record["method"], record["path"], record["status"]) == (method, path, response.status_code)
        assert record["duration_ms"] == _server_timing(response) and record["duration_ms"] >= 0
    assert [r["status"] for r in records] == [201, 200, 401, 404, 405, 200]
    assert all(a["ts"] <= b["ts"] for a, b in zip(records, records[1:], strict=False))


def test_parallel_requests_give_whole_lines(tmp_path, spawn):
    log = tmp_path / "timing.jsonl"
    ref = spawn(tmp_path, extra=("--timing-log", str(log)))
    already = len(_records(log))
    limits = httpx.Limits(max_connections=16)
    headers = {"Authorization": f"Bearer {ref.token()}"}
    with httpx.Client(base_url=ref.base_url + "/", headers=headers, limits=limits, timeout=30) as client:
        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(lambda i: client.get("spaces/alice/main/audios", params={"n": i}), range(64)))
    assert {r.status_code for r in responses} == {200}
    records = _records(log)[already:]
    assert len(records) == 64
    assert sorted(r["duration_ms"] for r in records) == sorted(_server_timing(r) for r in responses)


def test_a_restart_appends_to_the_log(tmp_path, spawn):
    log = tmp_path / "timing.jsonl"
    first = spawn(tmp_path, extra=("--timing-log", str(log)))
    first.client().get("user")
    first.stop()
    before = _records(log)
    second = spawn(tmp_path, extra=("--timing-log", str(log)))
    second.client().get("user")
    after = _records(log)
    assert after[: len(before)] == before and len(after) > len(before)


def test_unwritable_timing_log_is_one_line_exit_2(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.reference",
            "serve",
            "--db",
            str(tmp_path / "x.db"),
            "--timing-log",
            str(tmp_path / "no-such-dir" / "timing.jsonl"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "timing log" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_odd_characters_in_a_path_stay_on_one_line(tmp_path, spawn):
    """A fuzzer's handle may hold NEL, U+2028 or a lone surrogate: still one ASCII JSON line per request."""
    log = tmp_path / "timing.jsonl"
    ref = spawn(tmp_path, extra=("--timing-log", str(log)))
    already = len(_records(log))
    odd = "a%C2%85b%E2%80%A8c%ED%A0%80d%1Ce"  # NEL, LINE SEPARATOR, an encoded lone surrogate, FS
    response = ref.client().get(f"spaces/alice/main/audios/{odd}")
    assert response.status_code < 500
    raw = log.read_bytes()
    assert raw.isascii()
    records = _records(log)[already:]
    assert len(records) == 1 and records[0]["path"].startswith("/v1/spaces/alice/main/audios/a")
