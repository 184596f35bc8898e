"""The client against a flaky target: bounded retries of reads only, ``Retry-After`` up to a cap, timeouts never
retried, a target that stops answering, headers or a body trickled forever, redirects within the origin, the
read-only guard and the rate limit.

The flaky target is a scripted HTTP server on loopback (each path answers from a script: a status, a dropped
connection, or a hang released at teardown), so every case is a real exchange over a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conformance.client import ApiClient, ReadOnlyViolation
from conformance.http_stack import HangGuard, RequestStats, TargetError, Throttle, retry_after_s, server_time_s
from conformance.transcript import Transcript

Action = tuple  # ("status", code, {headers}) | ("drop",) | ("hang",) | ("trickle",) | ("trickle_headers",)


class ScriptedTarget:
    """Answers each ``METHOD path`` from its script, then 200 ``{}``; counts what it received."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Action]] = defaultdict(deque)
        self.received: Counter[str] = Counter()
        self.bodies: dict[str, list[bytes]] = defaultdict(list)
        self.release = threading.Event()
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                key = f"{self.command} {self.path.split('?')[0]}"
                target.bodies[key].append(self.rfile.read(length))
                target.received[key] += 1
                script = target.scripts[key]
                action = script.popleft() if script else ("status", 200, {})
                if action[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if action[0] == "hang":
                    target.release.wait(30)
                    self.close_connection = True
                    return
                if action[0] == "trickle_headers":  # the status line and headers a byte at a time, never ending
                    self.close_connection = True
                    try:
                        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
                            if target.release.wait(0.02):
                                break
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                    except OSError:
                        pass
                    return
                if action[0] == "trickle":  # a byte at a time: every wait short, the whole endless
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    while not target.release.wait(0.02):
                        try:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                        except OSError:
                            break
                    self.close_connection = True
                    return
                body = json.dumps({"received": key}).encode()
                self.send_response(action[1])
                for name, value in {"Content-Type": "application/json", "Server-Timing": "app;dur=2.5",
                                    **action[2]}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PATCH = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    scripted = ScriptedTarget()
    yield scripted
    scripted.close()


def client(target: ScriptedTarget, **options: object) -> ApiClient:
    return ApiClient(base_url=target.url, timeout=options.pop("timeout", 5.0), token="t",  # type: ignore[arg-type]
                     transcript=Transcript(), **options)  # type: ignore[arg-type]


def test_a_read_answered_429_is_retried_after_what_retry_after_asks(target: ScriptedTarget) -> None:
    target.scripts["GET /v1/user"].extend([("status", 429, {"Retry-After": "0"})] * 2)
    stats = RequestStats()
    response = client(target, retries=2, stats=stats).get_user()
    assert response.status_code == 200
    assert target.received["GET /v1/user"] == 3
    assert stats.as_dict()["retries"] == 2 and stats.as_dict()["requests"] == 3


def test_a_retry_after_beyond_the_cap_is_not_waited_out(target: ScriptedTarget) -> None:
    target.scripts["GET /v1/user"].append(("status", 429, {"Retry-After": "3600"}))
    with pytest.raises(TargetError, match="wait 3600 s, more than the 30 s cap"):
        client(target, retries=2, retry_after_cap=30.0).get_user()
    assert target.received["GET /v1/user"] == 1


def test_a_target_still_rate_limiting_after_the_retries_leaves_the_check_undecided(target: ScriptedTarget) -> None:
    target.scripts["GET /v1/user"].extend([("status", 429, {"Retry-After": "0"})] * 3)
    with pytest.raises(TargetError, match="still answered 429 after 2 retries"):
        client(target, retries=2).get_user()
    assert target.received["GET /v1/user"] == 3


def test_a_create_refused_with_429_is_sent_again_since_nothing_was_processed(target: ScriptedTarget) -> None:
    path = "POST /v1/spaces/alice/main/audios"
    target.scripts[path].append(("status", 429, {"Retry-After": "0"}))
    from conformance.config import Space

    response = client(target, retries=2).create_audio(Space(name="p", owner="alice", space="main"), {"file": "x"})
    assert response.status_code == 200 and target.received[path] == 2


def test_a_read_whose_connection_drops_is_sent_again(target: ScriptedTarget) -> None:
    target.scripts["GET /v1/user"].append(("drop",))
    stats = RequestStats()
    assert client(target, retries=2, stats=stats).get_user().status_code == 200
    assert target.received["GET /v1/user"] == 2 and stats.as_dict()["retries"] == 1


def test_a_create_whose_connection_drops_is_never_sent_again(target: ScriptedTarget) -> None:
    """The create may have been processed before the connection dropped: sending it again could duplicate it."""
    from conformance.config import Space

    path = "POST /v1/spaces/alice/main/audios"
    target.scripts[path].append(("drop",))
    with pytest.raises(TargetError, match="failed"):
        client(target, retries=2).create_audio(Space(name="p", owner="alice", space="main"), {"file": "x"})
    assert target.received[path] == 1


def test_a_create_answered_503_is_returned_not_retried(target: ScriptedTarget) -> None:
    from conformance.config import Space

    path = "POST /v1/spaces/alice/main/audios"
    target.scripts[path].append(("status", 503, {"Retry-After": "0"}))
    response = client(target, retries=2).create_audio(Space(name="p", owner="alice", space="main"), {"file": "x"})
    assert response.status_code == 503 and target.received[path] == 1


def test_a_timeout_is_never_retried(target: ScriptedTarget) -> None:
    """A hanging endpoint costs one timeout per call; retrying would double it."""
    target.scripts["GET /v1/user"].append(("hang",))
    stats = RequestStats()
    with pytest.raises(TargetError, match="did not answer within 0.3 s"):
        client(target, retries=2, timeout=0.3, stats=stats).get_user()
    assert target.received["GET /v1/user"] == 1 and stats.as_dict()["timeouts"] == 1


def test_an_answer_trickling_forever_ends_at_the_total_deadline(target: ScriptedTarget) -> None:
    """Each byte comes well within the timeout, so only the exchange's total deadline (6 timeouts) ends it."""
    target.scripts["GET /v1/user"].append(("trickle",))
    stats = RequestStats()
    with pytest.raises(TargetError, match="did not finish answering within 1.2 s"):
        client(target, timeout=0.2, stats=stats).get_user()
    assert stats.as_dict()["timeouts"] == 1 and target.received["GET /v1/user"] == 1


def test_a_target_that_stops_answering_fails_every_later_call_at_once(target: ScriptedTarget) -> None:
    """After four timeouts in a row (of any operations) nothing more is sent: the run ends instead of waiting."""
    guard = HangGuard(limit=2, down_after=4)
    api = client(target, timeout=0.3, hang_guard=guard)
    for path in ("user", "user/keys/a", "auth/credentials", "spaces/a/b/audios"):
        target.scripts[f"GET /v1/{path}"].append(("hang",))
        with pytest.raises(TargetError, match="did not answer"):
            api.request("GET", path)
    sent = sum(target.received.values())
    with pytest.raises(TargetError, match="stopped answering"):
        api.get_user()
    assert sum(target.received.values()) == sent


def test_an_answer_between_timeouts_means_the_target_is_still_up(target: ScriptedTarget) -> None:
    guard = HangGuard(limit=2, down_after=2)
    api = client(target, timeout=0.3, hang_guard=guard)
    target.scripts["GET /v1/spaces/a/b/audios"].append(("hang",))
    with pytest.raises(TargetError):
        api.request("GET", "spaces/a/b/audios")
    assert api.get_user().status_code == 200
    target.scripts["GET /v1/user/keys/k"].append(("hang",))
    with pytest.raises(TargetError, match="did not answer within"):
        api.request("GET", "user/keys/k")
    assert api.get_user().status_code == 200


def test_read_only_refuses_writes_before_they_leave(target: ScriptedTarget) -> None:
    from conformance.config import Space

    api = client(target, read_only=True)
    with pytest.raises(ReadOnlyViolation):
        api.create_audio(Space(name="p", owner="alice", space="main"), {"file": "x"})
    with pytest.raises(ReadOnlyViolation):
        api.delete_key("k")
    assert not any(key.startswith(("POST", "DELETE")) for key in target.received)
    assert api.sign_in("alice", "pw").status_code == 200  # the one write a read-only run makes
    assert api.get_user().status_code == 200


def test_the_throttle_spaces_requests_evenly() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    throttle = Throttle(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        throttle.wait()
    assert slept == [0.25, 0.5]  # the first goes at once, then one slot each
    now[0] += 10  # idle for a while: no burst credit is kept, the next goes at once
    throttle.wait()
    assert slept == [0.25, 0.5]


def test_no_throttle_without_a_rate() -> None:
    slept: list[float] = []
    throttle = Throttle(0.0, sleep=slept.append)
    for _ in range(5):
        throttle.wait()
    assert slept == []


def test_the_rate_limit_reaches_the_wire(target: ScriptedTarget) -> None:
    """Every request of a throttled client passes through the throttle (its schedule is the test above)."""
    slots: list[float] = []
    throttle = Throttle(1000.0, clock=lambda: 0.0, sleep=slots.append)
    api = client(target, throttle=throttle)
    for _ in range(3):
        api.get_user()
    assert len(slots) == 2 and target.received["GET /v1/user"] == 3


@pytest.mark.parametrize(("value", "expected"), [("7", 7.0), (None, 1.5), ("soon", 1.5), ("", 1.5)])
def test_retry_after_seconds(value: str | None, expected: float) -> None:
    assert retry_after_s(value, default=1.5) == expected


def test_retry_after_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 < retry_after_s(when, default=0) <= 120


@pytest.mark.parametrize(("header", "expected"), [("app;dur=2.5", 0.0025), ("db;dur=1, app;desc=x;dur=3", 0.004),
                                                  ("cache;desc=hit", None)])
def test_server_time_from_server_timing(header: str, expected: float | None) -> None:
    assert server_time_s({"server-timing": header}) == (pytest.approx(expected) if expected is not None else None)


def test_statistics_count_answers_and_server_time(target: ScriptedTarget) -> None:
    stats = RequestStats()
    api = client(target, stats=stats)
    api.get_user()
    api.get_user()
    figures = stats.as_dict()
    assert figures["requests"] == 2 and figures["timed"] == 2 and figures["server_s"] == pytest.approx(0.005)


def test_headers_trickling_forever_end_at_the_total_deadline(target: ScriptedTarget) -> None:
    """The status line and headers come a byte every 20 ms, each well within the 0.2 s timeout: before the
    transport's deadline covered the headers too, this waited for ever (tests/hostile/kit.py)."""
    target.scripts["GET /v1/user"].append(("trickle_headers",))
    stats = RequestStats()
    started = time.monotonic()
    with pytest.raises(TargetError, match="did not finish answering within 1.2 s"):
        client(target, timeout=0.2, stats=stats).get_user()
    assert time.monotonic() - started < 3 and stats.as_dict()["timeouts"] == 1


def test_the_property_runs_session_ends_trickled_headers_too(target: ScriptedTarget) -> None:
    target.scripts["GET /v1/user"].append(("trickle_headers",))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client(target, timeout=0.2).requests_session().get(target.url + "/user", timeout=0.2)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(("status", "method", "body"), [(307, "POST", b'{"file": "x"}'), (308, "PATCH", b'{"a": 1}'),
                                                        (303, "GET", b""), (302, "GET", b"")])
def test_a_redirect_within_the_origin_is_followed_as_rfc_9110_says(target: ScriptedTarget, status: int, method: str,
                                                                   body: bytes) -> None:
    """307/308 repeat the method and body; 303 (and 301/302 after a POST) become a GET without a body."""
    sent = "PATCH" if status == 308 else "POST"
    target.scripts[f"{sent} /v1/old"].append(("status", status, {"Location": "/v1/new"}))
    response = client(target).request(sent, "old", content=b'{"file": "x"}' if status != 308 else b'{"a": 1}',
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert target.received[f"{method} /v1/new"] == 1 and target.bodies[f"{method} /v1/new"] == [body]


def test_schemathesis_calls_are_counted_by_the_clients_observer(target: ScriptedTarget) -> None:
    """The property runner's calls go through the run's one ``CallObserver``, as the client's own: a timeout counts
    for the hang guard and the statistics (the operation is then not sent again), an answer is counted with its
    server time and tells the hang guard the target is up."""
    from types import SimpleNamespace

    from schemathesis import Response

    from conformance.config import Space
    from conformance.profile import build_profile
    from conformance.properties.checks import PropertyChecks
    from conformance.properties.runner import PropertyRun
    from conformance.properties.schema import BUDGETS
    from conformance.resources import Resources

    guard, stats = HangGuard(limit=1, down_after=2), RequestStats()
    api = client(target, timeout=0.3, hang_guard=guard, stats=stats)
    checks = PropertyChecks(http=api, space=Space(name="p", owner="alice", space="main"), profile=build_profile(),
                            resources=Resources(), stats=stats)
    run = PropertyRun(schema=None, checks=checks, seed=0, budget=BUDGETS["quick"], transcript=api.transcript,
                      headers={})
    session = api.requests_session()

    def get(path: str) -> Response:
        return Response.from_requests(session.get(f"{target.url}{path}", timeout=0.3), verify=True)

    target.scripts["GET /v1/user/keys/k"].append(("hang",))
    keys = SimpleNamespace(method="get", formatted_path="/user/keys/k")
    with pytest.raises(TargetError, match="GET /user/keys/k did not answer within 0.3 s"):
        run.send(keys, lambda: get("/user/keys/k"))
    assert run.undecided is not None and stats.as_dict()["timeouts"] == 1
    with pytest.raises(TargetError, match="not sent again"):
        run.before(keys)
    run.send(SimpleNamespace(method="get", formatted_path="/user"), lambda: get("/user"))
    assert (stats.requests, stats.timed, stats.server_s) == (1, 1, pytest.approx(0.0025))
    target.scripts["GET /v1/spaces/a/b/audios"].append(("hang",))
    with pytest.raises(TargetError):
        api.request("GET", "spaces/a/b/audios")
    assert api.get_user().status_code == 200, "one timeout since the last answer: the target is not down"


def test_the_hang_guard_names_an_operation_alike_for_the_client_and_schemathesis() -> None:
    """The client sends relative paths, schemathesis absolute ones: one operation must count its timeouts once."""
    assert HangGuard.operation("GET", "/user/keys/k1") == HangGuard.operation("GET", "user/keys/k2") == (
        "GET user/keys/{key}")
    assert HangGuard.operation("GET", "/spaces/a/b/audios/x/file?y=1") == HangGuard.operation(
        "GET", "spaces/c/d/audios/z/file") == "GET spaces/{owner}/{space}/audios/{audio}/file"
