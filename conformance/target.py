"""Resolving the target: check that a configured URL answers, or start the embedded reference server.

The reference server is started as a subprocess (``python -m conformance.reference serve``) and read back through
the configuration file it writes, exactly as any other tool would be pointed at it: the suite never imports it.
Every wait here has a deadline; a target that cannot be reached gives one sentence, quickly.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from conformance.client import USER_AGENT
from conformance.http_stack import TOTAL_TIMEOUT_FACTOR, TargetError
from conformance.transport import GuardedTransport

STARTUP_TIMEOUT_S = 60.0
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """A running reference server: its configuration file (URL, actors, spaces) and its log."""

    config_path: Path
    log_path: Path
    pid: int


def probe(base_url: str, timeout: float) -> None:
    """Raise ``TargetError`` unless something answers HTTP at ``base_url`` within ``timeout`` (any status will do:
    the checks judge the answers, this only tells a dead or wrong address from a live one). Only the status line
    and headers are read, within a total deadline, and a redirect is not followed: a front that trickles or
    streams without end (tests/hostile/kit.py) must not hold the run before it starts."""
    transport = GuardedTransport(origin=base_url, total_s=timeout * TOTAL_TIMEOUT_FACTOR, max_redirects=0)
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT},
                          transport=transport) as client, client.stream("GET", base_url.rstrip("/") + "/"):
            pass
    except httpx.TimeoutException:
        raise TargetError(f"target {base_url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise TargetError(f"target {base_url} is unreachable: {reason}") from None


@contextmanager
def embedded_reference(workdir: Path, *, faults: Sequence[str] = (),
                       server_args: Sequence[str] = ()) -> Iterator[EmbeddedServer]:
    """Start the reference server on a free loopback port for the duration of the ``with`` block (``server_args``:
    more of its command-line options, e.g. ``--timing-log FILE`` for benchmarks and tests)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "target.toml"
    log_path = workdir / "reference.log"
    config_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "conformance.reference", "serve", "--host", "127.0.0.1", "--port", "0",
               "--db", str(workdir / "reference.db"), "--write-config", str(config_path)]
    for fault in faults:
        command += ["--fault", fault]
    command += list(server_args)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_serving(process, config_path, log_path)
        yield EmbeddedServer(config_path=config_path, log_path=log_path, pid=process.pid)
    finally:
        _stop(process)


def _wait_until_serving(process: subprocess.Popen[bytes], config_path: Path, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not config_path.exists():
        if process.poll() is not None:
            raise TargetError(f"the reference server exited with code {process.returncode}: {_tail(log_path)}")
        if time.monotonic() > deadline:
            raise TargetError(f"the reference server did not start within {STARTUP_TIMEOUT_S:g} s: {_tail(log_path)}")
        time.sleep(_POLL_S)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(log_path: Path, lines: int = 5) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
