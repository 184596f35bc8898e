"""The transport's rules, one hostile behaviour at a time, against loopback servers (no suite run).

The suite's client and the ``requests`` session the property runs hand to schemathesis (``ApiClient
.requests_session``) obey the same rules, since both send through ``conformance.transport.GuardedTransport``:
credentials go to the target's origin only, every body is bounded after decoding, every exchange ends on time.
"""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import requests

from conformance.checks.http import json_body
from conformance.checks.transport import TransportFailure
from conformance.client import ApiClient
from conformance.config import Space
from conformance.http_stack import TargetError
from conformance.profile import build_profile
from conformance.redaction import Redactor
from conformance.target import probe
from conformance.transcript import Transcript
from conformance.transport import RefusedToSend, ResponseLimits
from tests.hostile.kit import BEHAVIOURS, Behaviour, Canned, Catcher, Front, MiB, endless_body, gzip_bomb, run_suite

TOKEN = "hostile-kit-token-0123456789"
SPACE = Space(name="primary", owner="alice", space="main")
SMALL = ResponseLimits(json_bytes=1 * MiB, wav_bytes=4 * MiB)


@contextmanager
def hostile(behaviour: str | Behaviour, canned: Canned | None = None) -> Iterator[tuple[Front, Catcher]]:
    """A front misbehaving as ``behaviour`` before a canned target, and a catcher on another origin."""
    chosen = BEHAVIOURS[behaviour] if isinstance(behaviour, str) else behaviour
    with (canned or Canned()).running() as upstream, Catcher().running() as catcher, \
            Front(upstream=upstream.url + "/v1", behaviour=chosen, catcher=catcher).running() as front:
        yield front, catcher


def client(base_url: str, **options: object) -> ApiClient:
    return ApiClient(base_url=base_url, timeout=options.pop("timeout", 5.0), token=TOKEN,  # type: ignore[arg-type]
                     transcript=Transcript(), **options)  # type: ignore[arg-type]


def session_get(api: ApiClient, path: str) -> requests.Response:
    """A GET as schemathesis sends it in the property runs: through the client's ``requests`` session."""
    return api.requests_session().get(api.base_url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)


# --- credentials go to the configured origin only ---------------------------------------------------------------
def test_a_redirect_to_another_origin_is_not_followed_and_fails_its_own_requirement() -> None:
    with hostile("cross-origin-redirect") as (front, catcher):
        api = client(front.base_url)
        with pytest.raises(TransportFailure) as excinfo:
            api.get_audio(SPACE, "h-1")
    assert excinfo.value.requirement == "TRANSPORT-REDIRECT-ORIGIN"
    assert catcher.url in excinfo.value.received and "127.0.0.2" in excinfo.value.received
    assert catcher.requests == [] and catcher.authorizations == []
    shown = api.transcript.exchanges[-1]
    assert shown.status == 307 and "redirected to another origin" in shown.stopped
    assert TOKEN not in shown.render(Redactor([TOKEN]))


def test_the_property_runs_session_refuses_it_the_same_way() -> None:
    with hostile("cross-origin-redirect") as (front, catcher):
        with pytest.raises(TransportFailure, match="redirected to another origin"):
            session_get(client(front.base_url), "spaces/alice/main/audios/h-1")
    assert catcher.requests == []


def test_a_redirect_within_the_origin_is_followed_with_the_token() -> None:
    canned = Canned({"/v1/old": (307, [("Location", "/v1/new")], b""),
                     "/v1/moved": (303, [("Location", "http://127.0.0.1:1/elsewhere")], b"")})
    with canned.running():
        api = client(canned.url + "/v1")
        response = api.request("GET", "old")
        assert response.status_code == 200 and json_body(response) == Canned.DETAILS
        assert canned.received == [("GET /v1/old", f"Bearer {TOKEN}"), ("GET /v1/new", f"Bearer {TOKEN}")]
        assert api.transcript.exchanges[-1].redirects == (f"{canned.url}/v1/old",)
        assert session_get(api, "old").json() == Canned.DETAILS  # schemathesis' session follows it the same way


def test_another_port_of_the_same_host_is_another_origin() -> None:
    with Canned().running() as destination:
        source = Canned({"/v1/x": (302, [("Location", f"{destination.url}/v1/x")], b"")})
        with source.running():
            with pytest.raises(TransportFailure, match="another origin"):
                client(source.url + "/v1").request("GET", "x")
    assert destination.received == []


def test_a_request_for_another_origin_is_never_sent() -> None:
    """A check that builds an absolute URL from what the target said (a Location, a link) cannot make the client
    carry the token there."""
    with hostile("short-body") as (front, catcher):
        api = client(front.base_url)
        with pytest.raises(RefusedToSend, match="not sent"):
            api.request("GET", f"{catcher.url}/v1/user")
        with pytest.raises(RefusedToSend):
            api.requests_session().get(f"{catcher.url}/v1/user", headers={"Authorization": f"Bearer {TOKEN}"})
    assert catcher.requests == []


def test_a_token_is_never_sent_over_plain_http_outside_the_loopback_range() -> None:
    api = client("http://192.0.2.1/v1", timeout=0.3)  # TEST-NET-1: nothing is there, nothing may be sent
    with pytest.raises(RefusedToSend, match="plain http"):
        api.get_user()
    insecure = client("http://192.0.2.1/v1", timeout=0.3, allow_insecure_http=True)
    with pytest.raises(TargetError):  # the configuration accepted the risk: it is sent (and finds nobody)
        insecure.get_user()


# --- every response body is bounded ---------------------------------------------------------------------------
def _peak_during(call: object) -> tuple[BaseException | None, int, float]:
    tracemalloc.start()
    started = time.monotonic()
    try:
        call()  # type: ignore[operator]
        raised = None
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        raised = exc
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, peak, elapsed


def test_a_gzip_bomb_is_inflated_only_up_to_its_limit() -> None:
    gzip_bomb()  # built before measuring
    with hostile("gzip-bomb") as (front, _):
        api = client(front.base_url, limits=SMALL)
        raised, peak, elapsed = _peak_during(lambda: api.get_audio_file(SPACE, "h-1"))
    assert isinstance(raised, TransportFailure), raised
    assert raised.requirement == "TRANSPORT-RESPONSE-BOUNDED"
    assert raised.title.endswith(f"answer larger than {4 * MiB} bytes") and "Content-Encoding gzip" in raised.received
    assert peak < 24 * MiB and elapsed < 5, (peak / MiB, elapsed)


def test_a_bomb_inside_two_content_codings_is_bounded_at_every_layer() -> None:
    canned = Canned({"/v1/bomb": (200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip, gzip")],
                                  gzip.compress(gzip_bomb(), 9))})
    with canned.running():
        api = client(canned.url + "/v1", limits=SMALL)
        raised, peak, _ = _peak_during(lambda: api.request("GET", "bomb"))
        assert isinstance(raised, TransportFailure) and raised.requirement == "TRANSPORT-RESPONSE-BOUNDED"
        assert peak < 16 * MiB
        with pytest.raises(TransportFailure, match="answer larger than 1048576 bytes"):
            api.requests_session().get(f"{canned.url}/v1/bomb", timeout=5)


def test_a_gzip_answer_within_its_limit_is_decoded_once() -> None:
    body = json.dumps(Canned.DETAILS).encode()
    canned = Canned({"/v1/z": (200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                               gzip.compress(body))})
    with canned.running():
        api = client(canned.url + "/v1")
        response = api.request("GET", "z")
        assert response.content == body and "content-encoding" not in response.headers
        assert session_get(api, "z").content == body


def test_an_endless_body_stops_at_the_limit() -> None:
    with hostile("endless-body") as (front, _):
        api = client(front.base_url, limits=SMALL)
        raised, peak, elapsed = _peak_during(lambda: api.get_audio_file(SPACE, "h-1"))
        assert isinstance(raised, TransportFailure) and raised.requirement == "TRANSPORT-RESPONSE-BOUNDED"
        assert peak < 24 * MiB and elapsed < 5
        with pytest.raises(TransportFailure, match="answer larger than"):
            session_get(client(front.base_url, limits=SMALL), "spaces/alice/main/audios/h-1/file")


def test_a_50_mib_json_answer_stops_at_the_json_limit() -> None:
    with hostile("huge-json") as (front, _):
        with pytest.raises(TransportFailure) as excinfo:
            client(front.base_url).get_audio(SPACE, "h-1")
    assert excinfo.value.title.endswith(f"answer larger than {4 * MiB} bytes")
    assert "a JSON answer of this API" in excinfo.value.expected


def test_max_response_bytes_overrides_the_derived_limits() -> None:
    with hostile("huge-json") as (front, _):
        limits = ResponseLimits.for_profile(build_profile(), max_response_bytes=64 * MiB)
        response = client(front.base_url, limits=limits).get_audio(SPACE, "h-1")
    assert len(response.content) > 50 * MiB


# --- malformed JSON is the target's, never a crash of the suite ------------------------------------------------
def test_json_nested_100000_deep_is_no_json_the_checks_accept() -> None:
    with hostile("deep-json") as (front, _):
        response = client(front.base_url).get_audio(SPACE, "h-1")
    assert len(response.content) == 200_000 and json_body(response) is None


def test_invalid_utf8_in_json_strings_is_no_json() -> None:
    with hostile("invalid-utf8") as (front, _):
        response = client(front.base_url).get_audio(SPACE, "h-1")
    assert json_body(response) is None


def test_lone_surrogates_parse_but_are_written_as_escapes() -> None:
    with hostile("lone-surrogates") as (front, _):
        response = client(front.base_url).get_audio(SPACE, "h-1")
    details = json_body(response)
    assert details["alias"] == "lone \ud800 high and \udfff low"
    written = Redactor([TOKEN])(f"alias {details['alias']} state {details['state']}")
    assert written == "alias lone \\ud800 high and \\udfff low state \\udc80"
    written.encode("utf-8")  # what every writer does with it


# --- every exchange ends on time ---------------------------------------------------------------------------------
def test_a_body_shorter_than_its_content_length_leaves_the_check_undecided() -> None:
    with hostile("short-body") as (front, _):
        with pytest.raises(TargetError, match="failed"):
            client(front.base_url).get_audio(SPACE, "h-1")
        with pytest.raises(requests.exceptions.ConnectionError):
            session_get(client(front.base_url), "spaces/alice/main/audios/h-1")


def test_headers_trickled_a_byte_a_second_end_at_the_total_deadline() -> None:
    """Every byte comes within the 1.2 s timeout; only the exchange's total deadline (6 × 1.2 s) ends it."""
    with hostile("trickled-headers") as (front, _):
        started = time.monotonic()
        with pytest.raises(TargetError, match="did not finish answering within 7.2 s"):
            client(front.base_url, timeout=1.2).get_audio_file(SPACE, "h-1")
    assert 7.0 < time.monotonic() - started < 9.5


def test_the_probe_reads_no_body_and_follows_no_redirect() -> None:
    endless_root = Behaviour("endless-root", "GET", r"^/v1/$", endless_body, "the base URL streams without end")
    with hostile(endless_root) as (front, _):
        started = time.monotonic()
        probe(front.base_url, 2.0)
        assert time.monotonic() - started < 2 and front.hits == 1
    canned = Canned({"/v1/": (301, [("Location", "https://docs.example/")], b"")})
    with canned.running():
        probe(canned.url + "/v1", 2.0)  # a root that redirects to documentation still answers: not followed


def test_the_transport_raises_httpx_errors_for_transport_failures() -> None:
    with pytest.raises(httpx.ConnectError):
        with httpx.Client(transport=client("http://127.0.0.1:1/v1")._transport) as raw:
            raw.get("http://127.0.0.1:1/v1/user")


def test_the_end_of_run_sweep_reports_a_delete_redirected_elsewhere_as_a_leak() -> None:
    """The sweep runs after the last check: a finding there is a leak in the report, not a crash of the summary."""
    from conformance.resources import Resources

    delete_elsewhere = Behaviour("delete-elsewhere", "DELETE", r"/audios/", BEHAVIOURS["cross-origin-redirect"].act,
                                 "DELETE …/audios/{audio} answers 307 to another origin")
    with hostile(delete_elsewhere) as (front, catcher):
        resources = Resources()
        resources.record("primary", SPACE, "h-1")
        api = client(front.base_url)
        leaks = resources.sweep(lambda actor: api, can_delete=True)
    assert [leak.audio.handle for leak in leaks] == ["h-1"]
    assert "redirected to another origin" in leaks[0].reason
    assert catcher.requests == []


def test_the_cli_refuses_plain_http_outside_the_loopback_range_before_any_request(tmp_path: Path) -> None:
    """One sentence, exit 2, and no probe: were the target probed first, the unresolvable host would be reported
    as unreachable instead. With ``CONFORMANCE_ALLOW_INSECURE_HTTP=true`` the run goes as far as the probe."""
    refused = run_suite("run", "--target", "http://staging.invalid/v1", "--reports", str(tmp_path / "a"))
    assert refused.returncode == 2
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("conformance: configuration error: 'base_url'")
    assert "allow_insecure_http = true" in lines[0]
    accepted = run_suite("run", "--target", "http://staging.invalid/v1", "--reports", str(tmp_path / "b"),
                         env={"CONFORMANCE_ALLOW_INSECURE_HTTP": "true"})
    assert accepted.returncode == 2 and "unreachable" in accepted.stderr and "configuration" not in accepted.stderr


def test_a_targets_own_definition_is_read_bounded_too() -> None:
    """`openapi = URL`: the target's definition is read through the same transport (no token, but bounded)."""
    from conformance.config import load_settings
    from conformance.properties.schema import DefinitionError, read_definition

    huge = b"paths: {}\n" + b"#" * (8 * 1024 * 1024)
    with Canned({"/openapi.yaml": (200, [("Content-Type", "application/yaml")], huge)}).running() as target:
        settings = load_settings(env={"CONFORMANCE_OPENAPI": f"{target.url}/openapi.yaml"})
        with pytest.raises(DefinitionError, match="cannot be read"):
            read_definition(settings)


def test_an_idle_connection_is_not_reused_past_the_keepalive_expiry() -> None:
    """Servers drop idle keep-alive connections after their own timeout (uvicorn: 5 s); reusing one races the
    server's close and a POST then fails with "Server disconnected". Within the expiry the connection is reused;
    after it, a new one is opened (``transport.KEEPALIVE_EXPIRY_S``)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from conformance.transport import KEEPALIVE_EXPIRY_S, GuardedTransport

    assert KEEPALIVE_EXPIRY_S < 5.0, "at or above the shortest common server keep-alive (uvicorn, Node: 5 s)"
    opened: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            opened.append(1)
            super().setup()

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with httpx.Client(transport=GuardedTransport(origin=base, total_s=10), timeout=5) as client:
            client.get(base + "/a")
            client.get(base + "/b")
            assert len(opened) == 1  # kept alive and reused
            time.sleep(KEEPALIVE_EXPIRY_S + 0.5)  # idle past the expiry (a wait that is the point, not a hope)
            client.get(base + "/c")
            assert len(opened) == 2
    finally:
        server.shutdown()
        server.server_close()
