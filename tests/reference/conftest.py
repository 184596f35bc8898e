"""Fixtures for testing the reference server over real HTTP on loopback.

The server runs as a subprocess exactly as the suite starts it (``python -m conformance.reference serve
--port 0 ...``); the fixture waits for the configuration file and ``/health`` within a deadline. One correct
server per session; faulty variants are started on demand, once each, and stopped at the end.
"""

from __future__ import annotations

import base64
import io
import struct
import subprocess
import sys
import time
import tomllib
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
VARIANTS = REPO / "conformance" / "profiles" / "variants"
START_DEADLINE_S = 30.0
POLL_S = 0.05


@dataclass
class RefServer:
    """A running reference server: its base URL, the suite configuration it wrote, and its process."""

    base_url: str
    config: dict
    process: subprocess.Popen
    workdir: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def token(self, actor: str = "primary") -> str:
        return self.config["actors"][actor]["token"]

    def client(self, actor: str | None = "primary", timeout: float = 60.0) -> httpx.Client:
        """An httpx client on the base URL, authenticated as ``actor`` (None: no Authorization header)."""
        headers = {"Authorization": f"Bearer {self.token(actor)}"} if actor else {}
        client = httpx.Client(base_url=self.base_url + "/", headers=headers, timeout=timeout)
        self.clients.append(client)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def server_command(db: Path, config: Path, faults: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> list[str]:
    command = [sys.executable, "-m", "conformance.reference", "serve", "--port", "0", "--db", str(db)]
    command += ["--write-config", str(config)]
    for name in faults:
        command += ["--fault", name]
    return command + list(extra)


def launch_server(
    workdir: Path, faults: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, Path]:
    """Start the subprocess without waiting (several can start in parallel)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "target.toml"
    config_path.unlink(missing_ok=True)
    with (workdir / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            server_command(workdir / "ref.db", config_path, faults, extra),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    return process, workdir


def wait_ready(process: subprocess.Popen, workdir: Path) -> RefServer:
    """Wait (deadline, polling) until the server's config exists and /health answers."""
    config_path = workdir / "target.toml"
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (workdir / "stderr.log").read_text(errors="replace")
            raise RuntimeError(f"reference server exited with {process.returncode}: {log}")
        if config_path.exists():
            config = tomllib.loads(config_path.read_text())
            try:
                if httpx.get(config["base_url"] + "/health", timeout=2).status_code == 200:
                    return RefServer(config["base_url"], config, process, workdir)
            except httpx.TransportError:
                pass
        time.sleep(POLL_S)
    process.kill()
    raise RuntimeError("reference server did not become healthy in time")


def start_server(workdir: Path, faults: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> RefServer:
    return wait_ready(*launch_server(workdir, faults, extra))


def stop_all(servers: list[RefServer]) -> None:
    """Terminate every server first, then wait: shutdowns overlap instead of adding up."""
    for ref in servers:
        for client in ref.clients:
            client.close()
        if ref.process.poll() is None:
            ref.process.terminate()
    for ref in servers:
        ref.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RefServer]:
    """The correct reference server, shared by the whole session."""
    ref = start_server(tmp_path_factory.mktemp("ref"))
    yield ref
    ref.stop()
    log = (ref.workdir / "stderr.log").read_text(errors="replace")
    assert "Traceback" not in log, f"the correct server logged an unexpected error:\n{log[:4000]}"


class FaultServers:
    """Servers with planted faults, started on demand (``get``) or all at once in parallel (``prestart``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._started: dict[tuple[str, ...], RefServer] = {}

    def _workdir(self, faults: tuple[str, ...]) -> Path:
        return self._tmp.mktemp("fault-" + "-".join(faults))

    def prestart(self, *names: str) -> None:
        pending = [(name,) for name in names if (name,) not in self._started]
        launched = [(faults, launch_server(self._workdir(faults), faults)) for faults in pending]
        for faults, (process, workdir) in launched:
            self._started[faults] = wait_ready(process, workdir)

    def __call__(self, *faults: str) -> RefServer:
        if faults not in self._started:
            self._started[faults] = start_server(self._workdir(faults), faults)
        return self._started[faults]

    def stop(self) -> None:
        stop_all(list(self._started.values()))


@pytest.fixture(scope="session")
def fault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultServers]:
    """``fault_server("silent-wav")`` is a running server with that fault enabled (started once)."""
    servers = FaultServers(tmp_path_factory)
    yield servers
    servers.stop()


class ProfileServers:
    """Servers playing a profile (``serve --profile FILE``), started once each; ``prestart`` starts several in
    parallel. A profile is a shipped variant (by name) or a test's own TOML text (``text``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._started: dict[str, RefServer] = {}
        self.paths: dict[str, Path] = {}

    def _profile_path(self, name: str, text: str | None) -> Path:
        if text is None:
            return VARIANTS / f"{name}.toml"
        path = self._tmp.mktemp(f"profile-{name}") / "profile.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def prestart(self, profiles: dict[str, str | None]) -> None:
        launched = []
        for name, text in profiles.items():
            if name not in self._started:
                path = self._profile_path(name, text)
                self.paths[name] = path
                launched.append((name, launch_server(self._tmp.mktemp(f"play-{name}"), extra=("--profile", str(path)))))
        for name, (process, workdir) in launched:
            self._started[name] = wait_ready(process, workdir)

    def __call__(self, name: str, text: str | None = None) -> RefServer:
        self.prestart({name: text})
        return self._started[name]

    def stop(self) -> None:
        servers = list(self._started.values())
        stop_all(servers)
        for ref in servers:
            log = (ref.workdir / "stderr.log").read_text(errors="replace")
            assert "Traceback" not in log, f"a profile server logged an unexpected error:\n{log[:4000]}"


@pytest.fixture(scope="session")
def profile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServers]:
    """``profile_server("async")`` is a running server playing ``conformance/profiles/variants/async.toml``;
    ``profile_server("mine", text)`` one playing the TOML ``text`` (each started once per session)."""
    servers = ProfileServers(tmp_path_factory)
    yield servers
    servers.stop()


@pytest.fixture
def spawn() -> Iterator:
    """``spawn(workdir, *faults, extra=(...))`` starts a server for one test (``extra``: more ``serve``
    arguments); stopped when the test ends."""
    started: list[RefServer] = []

    def start(workdir: Path, *faults: str, extra: tuple[str, ...] = ()) -> RefServer:
        started.append(start_server(workdir, faults, extra))
        return started[-1]

    yield start
    stop_all(started)


@pytest.fixture(scope="session")
def alice(server: RefServer) -> httpx.Client:
    return server.client("primary")


@pytest.fixture(scope="session")
def bob(server: RefServer) -> httpx.Client:
    return server.client("outsider")


@pytest.fixture(scope="session")
def anonymous(server: RefServer) -> httpx.Client:
    return server.client(None)


class Media:
    """Small media files generated with PyAV/numpy in the test (no fixture files needed)."""

    @staticmethod
    def tone(rate: int, seconds: float, channels: int = 1, freq: float = 440.0) -> np.ndarray:
        """int16 samples, shape (channels, n), a sine with a slow envelope so it is not trivially periodic."""
        n = int(round(rate * seconds))
        t = np.arange(n) / rate
        signal = 0.4 * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
        return np.tile((signal * 32767).astype(np.int16), (channels, 1))

    @staticmethod
    def wav(rate: int = 16000, seconds: float = 1.0, channels: int = 1, samples: np.ndarray | None = None) -> bytes:
        data = Media.tone(rate, seconds, channels) if samples is None else samples
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(data.shape[0])
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(data.T.astype("<i2").tobytes())
        return buf.getvalue()

    @staticmethod
    def encode(fmt: str, codec: str, rate: int, seconds: float, channels: int = 1, silent: bool = False) -> bytes:
        """Encode a tone (or silence) with PyAV into container ``fmt`` with ``codec``."""
        layout = "stereo" if channels == 2 else "mono"
        data = Media.tone(rate, seconds, channels)
        if silent:
            data = np.zeros_like(data)
        buf = io.BytesIO()
        with av.open(buf, "w", format=fmt) as out:
            stream = out.add_stream(codec, rate=rate, layout=layout)
            step = 4096
            for start in range(0, data.shape[1], step):
                chunk = np.ascontiguousarray(data[:, start : start + step].T).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
                frame.sample_rate = rate
                frame.pts = start
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return buf.getvalue()

    @staticmethod
    def video_only() -> bytes:
        buf = io.BytesIO()
        with av.open(buf, "w", format="mp4") as out:
            stream = out.add_stream("mpeg4", rate=10)
            stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
            for i in range(3):
                frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
                frame.pts = i
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return buf.getvalue()

    @staticmethod
    def wav_with_junk(junk_bytes: int, rate: int = 16000, seconds: float = 0.5) -> bytes:
        """A valid WAV with a large unknown chunk before ``data`` (big file, tiny audio)."""
        plain = Media.wav(rate, seconds)
        fmt_chunk, data_chunk = plain[12:36], plain[36:]
        junk = b"junk" + struct.pack("<I", junk_bytes) + bytes(junk_bytes)
        body = b"WAVE" + fmt_chunk + junk + data_chunk
        return b"RIFF" + struct.pack("<I", len(body)) + body

    @staticmethod
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_width: int
    rate: int
    frames: int
    samples: np.ndarray


def parse_wav(data: bytes) -> WavInfo:
    """Strict reading of a served WAV: RIFF/WAVE, PCM, consistent sizes, only ``fmt `` and ``data``."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:16]
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8, "RIFF size"
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos < len(data):
        tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks[tag] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    assert set(chunks) == {b"fmt ", b"data"}, set(chunks)
    audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    assert audio_format == 1 and byte_rate == rate * block_align and block_align == channels * bits // 8
    samples = np.frombuffer(chunks[b"data"], dtype="<i2")
    return WavInfo(channels, bits // 8, rate, len(chunks[b"data"]) // block_align, samples)


def assert_problem(response: httpx.Response, status: int) -> dict:
    """An RFC 9457 problem with the expected status and no internals in it."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    for leak in ("Traceback", 'File "', ".py", "Error:"):
        assert leak not in body["detail"], body["detail"]
    return body


def wait_for(probe, what: str, timeout: float = 15.0, interval: float = 0.05):
    """Call ``probe`` until it returns something truthy (returned), failing after ``timeout`` seconds: the way
    to wait for an asynchronous state change (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def item_total(client: httpx.Client, space: str) -> int:
    response = client.get(f"spaces/{space}/audios")
    assert response.status_code == 200
    return int(response.headers["Item-Total"])


@pytest.fixture(scope="session")
def media() -> type[Media]:
    return Media


@pytest.fixture(scope="session")
def helpers() -> object:
    """parse_wav / assert_problem / item_total for test modules (conftest is not importable by name)."""

    class Helpers:
        parse_wav = staticmethod(parse_wav)
        assert_problem = staticmethod(assert_problem)
        item_total = staticmethod(item_total)
        wait_for = staticmethod(wait_for)

    return Helpers
