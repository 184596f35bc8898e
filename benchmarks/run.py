"""Speed, scale and memory figures of the suite and the reference server (issues #8 and #14), measured in one run.

    .venv/bin/python benchmarks/run.py            # a few minutes; writes results.json, RESULTS.md, README table
    .venv/bin/python benchmarks/run.py --only b,c # some figures only; prints them, writes nothing

Everything goes over real HTTP to reference servers started as subprocesses (``python -m conformance.reference
serve ... --timing-log``), which are always terminated before the script ends. What each figure means and how it
is measured: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import av
import httpx
import numpy as np

from conformance.media.wav import wav_bytes
from conformance.reference import media
from conformance.reference.settings import Limits
from conformance.target import embedded_reference

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the hostile-target kit lives with the project's tests (tests/hostile/kit.py)
CONFORMANCE = Path(sys.executable).parent / "conformance"
RESULTS_JSON, RESULTS_MD, README = HERE / "results.json", HERE / "RESULTS.md", HERE / "README.md"
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"
#: (label, container, codec, sample rate, channels) of the conversion figure's inputs, 30 s each
CONVERSION_INPUTS = (
    ("wav", "wav", "pcm_s16le", 48000, 2),
    ("mp3", "mp3", "libmp3lame", 44100, 2),
    ("flac", "flac", "flac", 96000, 1),
    ("ogg/opus", "ogg", "libopus", 48000, 2),
    ("m4a/aac", "ipod", "aac", 44100, 2),
)
CONVERSION_SECONDS = 30.0
CONVERSION_REPEATS = 7


@dataclass
class Figure:
    key: str
    figure: str
    value: float | None
    unit: str
    goal: str = ""
    met: bool | None = None
    detail: dict = field(default_factory=dict)

    def cell(self) -> str:
        if self.value is None:
            return "n/a"
        number = f"{self.value:.2f}" if isinstance(self.value, float) else str(self.value)
        return f"{number} {self.unit}".strip()


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# -- reference servers ------------------------------------------------------------------------------------------
@dataclass
class Server:
    pid: int
    config: Path
    timing_log: Path
    base_url: str
    token: str

    def records(self) -> list[dict]:
        lines = self.timing_log.read_text(encoding="utf-8").split("\n")[:-1]  # JSON lines end in \n only
        return [json.loads(line) for line in lines if line]


@contextlib.contextmanager
def server(workdir: Path) -> Iterator[Server]:
    """A reference server on a free port with a fresh database and a timing log, started and stopped as the suite
    starts its embedded one (``conformance.target.embedded_reference``)."""
    log = workdir / "timing.jsonl"
    with embedded_reference(workdir, server_args=["--timing-log", str(log)]) as running:
        settings = tomllib.loads(running.config_path.read_text(encoding="utf-8"))
        token = settings["actors"]["primary"]["token"]
        yield Server(running.pid, running.config_path, log, settings["base_url"], token)


def run_suite(reports: Path, *args: str) -> tuple[float, str]:
    """Wall time and verdict of ``conformance run --budget quick --reports DIR ARGS``; fails unless it conforms."""
    wall, verdict, _ = run_suite_output(reports, *args)
    return wall, verdict


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children (a ``conformance run`` once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def failed_checks(reports: Path) -> str:
    """The failed rows of a run's certification.json (why a benchmark run did not conform)."""
    try:
        rows = [t for t in certification(reports)["tests"] if t.get("outcome") == "failed"]
    except (OSError, ValueError, KeyError):
        return ""
    return "".join(f"\n      {t['nodeid']}: {str(t.get('reason', ''))[:600]}" for t in rows)


def certification(reports: Path) -> dict:
    return json.loads((reports / "certification.json").read_text(encoding="utf-8"))


# -- a. quick certification run ---------------------------------------------------------------------------------
def figure_run(tmp: Path) -> list[Figure]:
    say("a. quick run against the embedded reference server ...")
    embedded_wall, verdict = run_suite(tmp / "a-embedded")
    say(f"   {embedded_wall:.1f} s: {verdict}")
    figures = [Figure("a.embedded_wall", "Quick run, embedded server: wall time", embedded_wall, "s", "≤ 60 s",
                      embedded_wall <= 60)]

    say("a. quick run against a hand-started server with a timing log ...")
    with server(tmp / "a-server") as ref:
        before = len(ref.records())  # readiness: nothing yet, the script does not probe
        cpu_before = children_cpu_s()  # the server is a child too, but still running: not counted
        wall, _ = run_suite(tmp / "a-run", "--config", str(ref.config))
        suite_cpu_s = children_cpu_s() - cpu_before
        records = ref.records()[before:]
    server_s = sum(r["duration_ms"] for r in records) / 1000
    cert = certification(tmp / "a-run")
    calls_s = sum(t.get("duration_s", 0.0) for t in cert["tests"])
    say(f"   {wall:.1f} s wall, {len(records)} requests, {server_s:.2f} s in the server")
    plan_started = time.perf_counter()
    subprocess.run([str(CONFORMANCE), "run", "--plan", "--reports", str(tmp / "a-plan")], cwd=REPO,
                   capture_output=True, check=True, timeout=300)
    plan_s = time.perf_counter() - plan_started
    overhead = wall / server_s
    breakdown = {
        "wall_s": round(wall, 2),
        "startup_and_collection_s": round(plan_s, 2),
        "test_calls_s": round(calls_s, 2),
        "client_request_s": cert.get("requests", {}).get("client_s"),
        "server_s": round(server_s, 2),
        "setup_teardown_reports_s": round(wall - plan_s - calls_s, 2),
    }
    say(f"   breakdown: {breakdown}")
    figures += [
        Figure("a.config_wall", "Quick run, hand-started server: wall time", wall, "s", "≤ 60 s", wall <= 60,
               breakdown),
        Figure("a.requests", "Quick run: requests (timing log)", len(records), ""),
        Figure("a.server_s", "Quick run: sum of server-side durations", server_s, "s"),
        Figure("a.overhead", "Quick run: suite overhead (wall / server time)", overhead, "×", "≤ 1.5×",
               overhead <= 1.5),
        Figure("a.startup", "Quick run: pytest startup + collection (`run --plan`)", plan_s, "s"),
        Figure("a.cpu_per_request", f"Quick run: suite CPU per request ({suite_cpu_s:.1f} s user+sys / "
               f"{len(records)} requests)", suite_cpu_s / len(records) * 1000, "ms",
               detail={"suite_cpu_s": round(suite_cpu_s, 2), "requests": len(records)}),
    ]
    if importlib.util.find_spec("xdist") is None:
        say("a. pytest-xdist not installed: no -n 2 figure")
        return figures
    say("a. quick run with -n 2 against a hand-started server ...")
    with server(tmp / "a-xdist-server") as ref:
        try:
            xdist_wall, _ = run_suite(tmp / "a-xdist", "--config", str(ref.config), "-n", "2")
        except RuntimeError as exc:
            say(f"   -n 2 does not work yet, left out: {exc}")
            return figures
        xdist_server_s = sum(r["duration_ms"] for r in ref.records()) / 1000
    say(f"   {xdist_wall:.1f} s wall")
    figures.append(Figure("a.xdist_wall", "Quick run, hand-started server, `-n 2`: wall time", xdist_wall, "s",
                          "≤ 60 s", xdist_wall <= 60, {"server_s": round(xdist_server_s, 2)}))
    return figures


# -- b. upload -> WAV conversion vs plain PyAV --------------------------------------------------------------------
def encode(container: str, codec: str, rate: int, channels: int, seconds: float) -> bytes:
    """A sweeping tone (not a pure sine: codecs work normally) encoded with PyAV."""
    layout = "stereo" if channels == 2 else "mono"
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t * (1 + 0.1 * np.sin(2 * np.pi * 0.5 * t)))
    samples = np.tile((tone * 32767).astype(np.int16), (channels, 1))
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        for start in range(0, samples.shape[1], 4096):
            chunk = np.ascontiguousarray(samples[:, start : start + 4096].T).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def plain_pyav(data: bytes, max_rate: int = 48000) -> bytes:
    """The yardstick: open, decode, resample to s16 mono at min(rate, cap), a 44-byte WAV header. Nothing else."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        rate = min(stream.codec_context.sample_rate, max_rate)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        pcm = bytearray()
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                pcm += memoryview(out.planes[0])[: out.samples * 2]
        for out in resampler.resample(None):
            pcm += memoryview(out.planes[0])[: out.samples * 2]
    return media.wav_bytes(bytes(pcm), rate)


def best_of(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` runs of each function, runs interleaved (load changes hit both alike)."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}


def figure_conversion(tmp: Path) -> list[Figure]:
    figures = []
    limits = Limits()
    for label, container, codec, rate, channels in CONVERSION_INPUTS:
        data = encode(container, codec, rate, channels, CONVERSION_SECONDS)
        server_wav = media.convert_to_wav(data, limits).wav
        same = server_wav == plain_pyav(data)
        functions = {"server": lambda d=data: media.convert_to_wav(d, limits), "plain": lambda d=data: plain_pyav(d)}
        times = best_of(functions, CONVERSION_REPEATS)
        ratio = times["server"] / times["plain"]
        detail = {"input_bytes": len(data), "input": f"{CONVERSION_SECONDS:g} s {codec} {rate} Hz {channels} ch",
                  "server_ms": round(times["server"] * 1000, 1), "plain_ms": round(times["plain"] * 1000, 1),
                  "same_output": same}
        say(f"b. {label}: server {detail['server_ms']} ms, plain PyAV {detail['plain_ms']} ms, ratio {ratio:.2f},"
            f" same output: {same}")
        name = f"Conversion {label}: server / plain PyAV ({detail['server_ms']:g} vs {detail['plain_ms']:g} ms)"
        figures.append(Figure(f"b.{label}", name, ratio, "×", "≤ 1.2×", ratio <= 1.2 and same, detail))
    return figures


# -- c. peak memory of a 20 MiB upload ----------------------------------------------------------------------------
def memory_of(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def wav_file(rate: int, channels: int, frames: int) -> bytes:
    t = np.arange(frames) / rate
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    return wav_bytes(np.repeat(tone, channels).tobytes(), rate=rate, channels=channels)


def figure_memory(tmp: Path) -> list[Figure]:
    limits = Limits()
    rate, channels = 48000, 2
    frames = (limits.max_file_bytes - 44 - 4096) // (2 * channels)  # just under the limit
    data = wav_file(rate, channels, frames)
    assert len(data) <= limits.max_file_bytes and frames / rate <= limits.max_duration_s
    body = json.dumps({"file": base64.b64encode(data).decode("ascii"), "alias": "benchmark-20-mib"}).encode()
    with server(tmp / "c-server") as ref:
        headers = {"Authorization": f"Bearer {ref.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=ref.base_url + "/", headers=headers, timeout=300) as client:
            warm = client.post("spaces/alice/main/audios", json={"file": base64.b64encode(wav_file(rate, 2, rate))
                                                                 .decode("ascii")})
            assert warm.status_code == 201, warm.text  # first-use allocations are not the upload's
            before = memory_of(ref.pid)
            try:
                Path(f"/proc/{ref.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
                reset = True
            except OSError:
                reset = False
            started = time.perf_counter()
            response = client.post("spaces/alice/main/audios", content=body)
            client_wall = time.perf_counter() - started
        after = memory_of(ref.pid)
    assert response.status_code == 201, response.text[:300]
    server_ms = float(response.headers["Server-Timing"].split("dur=")[1])
    growth = after["VmHWM"] - before["VmRSS"]
    ratio = growth / len(data)
    detail = {"file_bytes": len(data), "body_bytes": len(body), "duration_s": round(frames / rate, 3),
              "rss_before": before["VmRSS"], "hwm_after": after["VmHWM"], "hwm_reset": reset,
              "server_ms": server_ms, "client_wall_s": round(client_wall, 3)}
    say(f"c. {len(data) / 2**20:.2f} MiB WAV ({frames / rate:.1f} s): peak growth {growth / 2**20:.1f} MiB"
        f" = {ratio:.2f}× the file; server {server_ms:.0f} ms (HWM reset: {reset})")
    return [
        Figure("c.peak_ratio", f"20 MiB upload: peak RSS growth ({growth / 2**20:.1f} MiB) / file size", ratio, "×",
               "≤ 4×", ratio <= 4, detail),
        Figure("c.server_ms", "20 MiB upload: server time (Server-Timing)", server_ms, "ms"),
    ]


# -- d. requests per second of the property-based phase -----------------------------------------------------------
def figure_properties(tmp: Path) -> list[Figure]:
    say("d. property-based phase (-k properties) against a hand-started server ...")
    with server(tmp / "d-server") as ref:
        wall, _ = run_suite(tmp / "d-run", "--config", str(ref.config), "-k", "properties")
        records = ref.records()
    tests = [t for t in certification(tmp / "d-run")["tests"] if "properties" in t["nodeid"]]
    tests_s = sum(t.get("duration_s", 0.0) for t in tests)
    rps = len(records) / tests_s
    server_s = sum(r["duration_ms"] for r in records) / 1000
    detail = {"requests": len(records), "property_tests": len(tests), "tests_s": round(tests_s, 2),
              "wall_s": round(wall, 2), "server_s": round(server_s, 2), "rps_wall": round(len(records) / wall, 1)}
    say(f"   {len(records)} requests in {tests_s:.2f} s of property tests: {rps:.0f} requests/s ({detail})")
    return [Figure("d.rps", f"Property-based phase: requests/s ({len(records)} requests)", rps, "req/s",
                   detail=detail)]


# -- e. the suite against hostile targets (issue #14) -------------------------------------------------------------
HOSTILE_TIMEOUT_S = 2.0  # per wait; a whole exchange may take 6 of them (so a trickling answer costs 12 s)
HOSTILE_RSS_GOAL = 1 << 30


def figure_hostile(tmp: Path) -> list[Figure]:
    """A whole quick run per behaviour of the kit, against a front for one reference server: wall time and the
    suite's peak RSS (``wait4``), with a catcher on another origin counting the tokens it receives."""
    from tests.hostile.kit import BEHAVIOURS, FORWARD_ONLY, Catcher, Front, front_config, run_suite

    figures = []
    with server(tmp / "e-server") as ref:
        for behaviour in (FORWARD_ONLY, *BEHAVIOURS.values()):
            name = behaviour.name
            workdir = tmp / f"e-{name}"
            workdir.mkdir()
            front = Front(upstream=ref.base_url, behaviour=behaviour)
            with Catcher().running() as catcher, front.running():
                front.catcher = catcher
                config = front_config(ref.config, front, workdir / "front.toml", timeout=HOSTILE_TIMEOUT_S)
                run = run_suite("run", "--budget", "quick", "--config", str(config), "--reports",
                                str(workdir / "reports"), timeout=1200, kill_rss=4 << 30, cwd=REPO)
            rss_mib = run.peak_rss / 2**20
            verdict = run.verdict.split(" (report:")[0]
            detail = {"behaviour": behaviour.summary,
                      "wall_s": round(run.wall_s, 1), "peak_rss_mib": round(rss_mib), "exit": run.returncode,
                      "killed": run.killed, "tokens_caught": len(catcher.authorizations), "misbehaved": front.hits,
                      "verdict": verdict[:300]}
            say(f"e. {name}: {run.wall_s:.1f} s, peak RSS {rss_mib:.0f} MiB, exit {run.returncode}, "
                f"{len(catcher.authorizations)} tokens caught, {front.hits} answers misbehaved; {verdict[:120]}")
            met = run.peak_rss <= HOSTILE_RSS_GOAL and not run.killed and not catcher.authorizations
            figures.append(Figure(f"e.{name}", f"Hostile `{name}`: quick run {run.wall_s:.0f} s, "
                                  f"{len(catcher.authorizations)} tokens caught; suite peak RSS", rss_mib, "MiB",
                                  "≤ 1 GiB, 0 tokens", met, detail))
    return figures


# -- f. at a distance (issue 19): the quick run through a latency front -----------------------------------------
ROUND_TRIPS_MS = (0, 25, 50, 100)


@contextlib.contextmanager
def fronted(ref: Server, workdir: Path, rtt_ms: float, upload_mbit: float | None = None) -> Iterator[Path]:
    """``ref``'s suite configuration pointed at a :class:`benchmarks.latency.LatencyFront` adding ``rtt_ms``."""
    from benchmarks.latency import LatencyFront

    upstream = int(ref.base_url.split(":")[2].split("/")[0])
    with LatencyFront(upstream, rtt_ms=rtt_ms, upload_mbit=upload_mbit).running() as front:
        text = ref.config.read_text(encoding="utf-8").replace(f":{upstream}/", f":{front.port}/")
        config = workdir / f"front-{rtt_ms:g}ms.toml"
        config.write_text(text, encoding="utf-8")
        yield config


def chosen_concurrency(output: str) -> str:
    line = next((line for line in output.splitlines() if line.startswith("concurrency: ")), "")
    return line.removeprefix("concurrency: ")


def figure_distance(tmp: Path) -> list[Figure]:
    """The quick run through the latency front at each round trip, with the concurrency the run chooses; and at
    50 ms one check at a time (what the run did before it chose) and with a 20 Mbit/s uplink."""
    figures: list[Figure] = []
    walls: dict[str, float] = {}
    with server(tmp / "f-server") as ref:
        cases = [(f"{rtt}ms", rtt, None, ()) for rtt in ROUND_TRIPS_MS]
        cases += [("50ms-serial", 50, None, ("--concurrency", "1")), ("50ms-20mbit", 50, 20.0, ())]
        for name, rtt, mbit, args in cases:
            say(f"f. quick run through the latency front: {name} ...")
            with fronted(ref, tmp, rtt, mbit) as config:
                wall, verdict, output = run_suite_output(tmp / f"f-{name}", "--config", str(config), *args)
            walls[name] = wall
            chosen = chosen_concurrency(output)
            say(f"   {wall:.1f} s ({chosen}): {verdict[:80]}")
            ratio = wall / walls["0ms"]
            goal, met = ("", None)
            if name == "50ms":
                goal, met = "≤ 60 s and ≤ 2× the 0 ms run", wall <= 60 and ratio <= 2
            figures.append(Figure(f"f.{name}", f"Quick run at {name.replace('ms', ' ms')} round trip: wall time "
                                  f"({ratio:.2f}× the 0 ms run; {chosen.split(' (')[0]})", wall, "s", goal, met,
                                  {"concurrency": chosen, "ratio_to_0ms": round(ratio, 2)}))
    return figures


def run_suite_output(reports: Path, *args: str, budget: str = "quick") -> tuple[float, str, str]:
    """Wall time, verdict and whole output (the concurrency line) of ``conformance run --budget BUDGET --reports
    DIR ARGS``; fails unless it conforms (``PARTIAL``, all passed, for a ``-k`` selection)."""
    command = [str(CONFORMANCE), "run", "--budget", budget, "--reports", str(reports), *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    verdict = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or not verdict.startswith(("CONFORMS", "PARTIAL")):  # PARTIAL: a -k selection
        raise RuntimeError(f"{' '.join(command[1:])} exited {done.returncode}: {verdict} {done.stderr[-2000:]}"
                           f"{failed_checks(reports)}")
    return wall, verdict, done.stdout


# -- g. the nightly budget at 50 ms -------------------------------------------------------------------------------
def figure_nightly(tmp: Path) -> list[Figure]:
    with server(tmp / "g-server") as ref, fronted(ref, tmp, 50) as config:
        say("g. nightly run through the latency front at 50 ms ...")
        wall, verdict, output = run_suite_output(tmp / "g-run", "--config", str(config), budget="nightly")
        requests = len(ref.records())
    chosen = chosen_concurrency(output)
    say(f"   {wall:.0f} s, {requests} requests ({chosen}): {verdict[:80]}")
    return [Figure("g.nightly_50ms", f"Nightly run at 50 ms round trip: wall time ({requests} requests; "
                   f"{chosen.split(' (')[0]})", wall / 60, "min", "≤ 15 min", wall <= 900,
                   {"wall_s": round(wall, 1), "requests": requests, "concurrency": chosen})]


# -- h. the property phase against schemathesis' own CLI ----------------------------------------------------------
ST_CONFIG = """# the pinned space, as the suite pins it (conformance/properties/schema.py)
[parameters]
"path.owner" = "{owner}"
"path.space" = "{space}"
"""


def request_rate(records: list[dict]) -> tuple[int, float, float]:
    """Requests, the span from the first to the last at the server, and their rate over it. Reachability probes
    are left out (the run's ``GET /`` before pytest starts, schemathesis' own probe): they precede start-up."""
    stamps = sorted(float(r["ts"]) for r in records
                    if r["path"].rstrip("/") not in ("", "/v1") and "schemathesis-probe" not in r["path"])
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    return len(stamps), span, len(stamps) / span if span else 0.0


def figure_versus_st(tmp: Path) -> list[Figure]:
    """The stateless property tests (examples and fuzzing, 3 examples per operation: the quick budget) against
    ``st run`` on the same definition and a fresh server, same phases and examples; each rate is requests at the
    server over the span from the first to the last."""
    definition = REPO / "conformance" / "spec" / "audio-api.openapi.yaml"
    with server(tmp / "h-ours") as ref:
        say("h. the suite's stateless property tests ...")
        run_suite(tmp / "h-run", "--config", str(ref.config), "-k", "test_properties and test_stateless")
        tests = [t for t in certification(tmp / "h-run")["tests"] if "test_stateless" in t["nodeid"]]
        ours = request_rate(ref.records())
    with server(tmp / "h-st") as ref:
        settings = tomllib.loads(ref.config.read_text(encoding="utf-8"))
        primary = settings["spaces"]["primary"]
        st_config = tmp / "st.toml"
        st_config.write_text(ST_CONFIG.format(owner=primary["owner"], space=primary["space"]), encoding="utf-8")
        st = Path(sys.executable).parent / "st"
        say("h. st run on the same definition ...")
        started = time.perf_counter()
        done = subprocess.run([str(st), "--config-file", str(st_config), "run", str(definition), "--url",
                               ref.base_url, "-H", f"Authorization: Bearer {ref.token}", "--max-examples", "3",
                               "--seed", "1", "--phases", "examples,fuzzing"], cwd=tmp, capture_output=True,
                              text=True, timeout=1800)
        st_wall = time.perf_counter() - started
        theirs = request_rate(ref.records())
    cases = next((line.strip() for line in done.stdout.splitlines() if " generated" in line), "?")
    ratio = ours[2] / theirs[2] if theirs[2] else 0.0
    detail = {"ours": {"requests": ours[0], "span_s": round(ours[1], 2), "rps": round(ours[2], 1),
                       "operations": len(tests)},
              "st_run": {"requests": theirs[0], "span_s": round(theirs[1], 2), "rps": round(theirs[2], 1),
                         "wall_s": round(st_wall, 1), "cases": cases, "exit": done.returncode}}
    say(f"   ours {ours[2]:.0f} req/s ({ours[0]} requests), st run {theirs[2]:.0f} req/s ({theirs[0]}; {cases})")
    return [Figure("h.vs_st", f"Property phase vs `st run` (requests/s: {ours[2]:.0f} vs {theirs[2]:.0f})", ratio,
                   "×", "≥ 1×", ratio >= 1, detail)]


# -- i. report.html's size with its players and pictures (issue 18) ----------------------------------------------
def figure_report_size(tmp: Path) -> list[Figure]:
    """``benchmarks/report_size.py``: whole runs, correct and with a WAV fault in every media family."""
    from benchmarks.report_size import BUDGET_BYTES, measure

    say("i. report.html size: correct, silent-wav, wav-stereo (whole runs) ...")
    measured = measure(tmp / "i")
    figures = []
    for name, run in measured["runs"].items():
        mib = run["report_bytes"] / 2**20
        say(f"   {name}: {mib:.2f} MiB, {run['previews']} previews (+{run['linked_to_an_earlier_row']} linked), "
            f"{run['failed_wav_rows']} failed WAV rows, {run['run_s']} s")
        figures.append(Figure(f"i.{name}", f"report.html, {name} ({run['previews']} previews, "
                              f"{run['failed_wav_rows']} failed WAV rows)", mib, "MiB", "≤ 5 MiB",
                              run["report_bytes"] <= BUDGET_BYTES, run))
    return figures


# -- output -------------------------------------------------------------------------------------------------------
def table(figures: list[Figure]) -> str:
    rows = ["| Figure | Value | Goal | Met? |", "|---|---|---|---|"]
    for f in figures:
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        rows.append(f"| {f.figure} | {f.cell()} | {f.goal or '—'} | {met} |")
    return "\n".join(rows)


def write_outputs(figures: list[Figure], started: datetime, seconds: float, partial: list[str] | None = None) -> None:
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "pyav": av.__version__, "load_average_at_end": os.getloadavg()}
    RESULTS_JSON.write_text(json.dumps({"generated": started.isoformat(timespec="seconds"), "run_s": round(seconds, 1),
                                        "machine": machine, "figures": [asdict(f) for f in figures]}, indent=1) + "\n")
    heading = (f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine['cpus']} CPUs, Python {machine['python']}, "
               f"PyAV {machine['pyav']} (`benchmarks/run.py`, {seconds:.0f} s).")
    if partial:
        heading = (f"Figures {', '.join(partial)} measured {started:%Y-%m-%d %H:%M} UTC (`benchmarks/run.py --only "
                   f"{','.join(partial)} --update`, {seconds:.0f} s); the others as dated in `results.json`. "
                   f"{machine['cpus']} CPUs, Python {machine['python']}, PyAV {machine['pyav']}.")
    text = f"{heading}\n\n{table(figures)}\n"
    RESULTS_MD.write_text("# Benchmark results\n\n" + text)
    readme = README.read_text(encoding="utf-8")
    if TABLE_START in readme and TABLE_END in readme:
        head, rest = readme.split(TABLE_START, 1)
        _, tail = rest.split(TABLE_END, 1)
        README.write_text(f"{head}{TABLE_START}\n{text}{TABLE_END}{tail}", encoding="utf-8")
    say(f"wrote {RESULTS_JSON.relative_to(REPO)}, {RESULTS_MD.relative_to(REPO)} and the table in "
        f"{README.relative_to(REPO)}")


FIGURES = {"a": figure_run, "b": figure_conversion, "c": figure_memory, "d": figure_properties, "e": figure_hostile,
           "f": figure_distance, "g": figure_nightly, "h": figure_versus_st, "i": figure_report_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", metavar="a,b", help="only these figures (a to i); writes nothing")
    parser.add_argument("--update", action="store_true",
                        help="with --only: replace those figures' rows in results.json and the tables, keeping the "
                             "others' (each row keeps the date it was measured)")
    args = parser.parse_args(argv)
    chosen = [key for key in args.only.split(",") if key] or list(FIGURES)
    unknown = set(chosen) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; choose from {', '.join(FIGURES)}")
    if args.update and not args.only:
        parser.error("--update goes with --only (a whole run rewrites everything)")
    started, clock = datetime.now(UTC), time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="conformance-bench-") as tmp:
        for key in chosen:
            figures += FIGURES[key](Path(tmp))
    for figure in figures:
        figure.detail.setdefault("measured", started.isoformat(timespec="minutes"))
    print("\n" + table(figures), flush=True)
    if not args.only:
        write_outputs(figures, started, time.perf_counter() - clock)
    elif args.update:
        write_outputs(merged(figures, chosen), started, time.perf_counter() - clock, partial=chosen)
    return 0


def merged(figures: list[Figure], chosen: list[str]) -> list[Figure]:
    """The figures of results.json with those of ``chosen`` letters replaced by ``figures``, in letter order."""
    kept = []
    if RESULTS_JSON.exists():
        for row in json.loads(RESULTS_JSON.read_text(encoding="utf-8"))["figures"]:
            if row["key"].split(".", 1)[0] not in chosen:
                kept.append(Figure(**row))
    return sorted(kept + figures, key=lambda f: f.key.split(".", 1)[0])


if __name__ == "__main__":
    sys.exit(main())
