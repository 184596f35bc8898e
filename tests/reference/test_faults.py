"""Each planted fault really changes the behaviour it names (one tiny probe per fault).

Every probe asserts the *faulty* behaviour on a server started with that fault alone; the other modules
assert the correct behaviour on the correct server.
"""

from __future__ import annotations

import httpx
import pytest

from conformance.reference import faults

SPACE = "spaces/alice/main/audios"


def _upload(client, media, data: bytes | None = None, **extra) -> httpx.Response:
    payload = media.wav(16000, 1.0) if data is None else data
    return client.post(SPACE, json={"file": media.b64(payload), **extra})


def probe_silent_wav(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    wav = helpers.parse_wav(alice.get(f"{SPACE}/{audio['handle']}/file").content)
    assert (wav.rate, wav.frames) == (16000, 16000) and not wav.samples.any()


def probe_foreign_space_readable(ref, media, helpers):
    audio = _upload(ref.client(), media).json()
    bob = ref.client("outsider")
    assert bob.get(SPACE).status_code == 200
    assert bob.get(f"{SPACE}/{audio['handle']}").status_code == 200
    assert bob.get(f"{SPACE}/{audio['handle']}/file").status_code == 200
    assert bob.post(SPACE, json={}).status_code == 404  # reading only


def probe_corrupt_upload_accepted(ref, media, helpers):
    response = _upload(ref.client(), media, b"definitely not audio" * 20)
    assert response.status_code == 201 and response.json()["duration"] == "PT1.000S"


def probe_create_200(ref, media, helpers):
    assert _upload(ref.client(), media).status_code == 200


def probe_alias_dropped(ref, media, helpers):
    assert _upload(ref.client(), media, alias="kept?").json()["alias"] is None


def probe_wrong_duration(ref, media, helpers):
    assert _upload(ref.client(), media).json()["duration"] == "PT1.500S"


def probe_wav_original_bytes(ref, media, helpers):
    alice = ref.client()
    flac = media.encode("flac", "flac", 16000, 0.5)
    audio = _upload(alice, media, flac).json()
    served = alice.get(f"{SPACE}/{audio['handle']}/file")
    assert served.content == flac and served.headers["content-type"].startswith("audio/wav")


def probe_wav_stereo(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert helpers.parse_wav(alice.get(f"{SPACE}/{audio['handle']}/file").content).channels == 2


def probe_wav_wrong_rate_header(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert helpers.parse_wav(alice.get(f"{SPACE}/{audio['handle']}/file").content).rate == audio["sampleRate"] // 2


def probe_auth_missing_accepted(ref, media, helpers):
    response = ref.client(None).get("user")
    assert response.status_code == 200 and response.json()["handle"] == "alice"
    assert ref.client(None).get("user", headers={"Authorization": "Bearer nope"}).status_code == 401


def probe_no_www_authenticate(ref, media, helpers):
    response = ref.client(None).get("user")
    assert response.status_code == 401 and "WWW-Authenticate" not in response.headers


def probe_bad_base64_tolerated(ref, media, helpers):
    text = media.b64(media.wav(16000, 0.3))
    response = ref.client().post(SPACE, json={"file": text[:60] + "\n" + text[60:]})
    assert response.status_code == 201


def probe_oversize_accepted(ref, media, helpers):
    response = _upload(ref.client(), media, media.wav_with_junk(21 * 1024 * 1024))
    assert response.status_code == 201


def probe_client_error_500(ref, media, helpers):
    assert ref.client().post(SPACE, json={"file": "not base64!"}).status_code == 500


def probe_stack_trace_errors(ref, media, helpers):
    response = ref.client().post(SPACE, json={"file": "not base64!"})
    assert response.status_code == 400 and "Traceback" in response.json()["detail"]


def probe_details_mismatch(ref, media, helpers):
    alice = ref.client()
    created = _upload(alice, media).json()
    assert alice.get(f"{SPACE}/{created['handle']}").json()["sampleRate"] == created["sampleRate"] + 1000


def probe_bad_timestamp(ref, media, helpers):
    created_at = _upload(ref.client(), media).json()["createdAt"]
    assert "T" not in created_at and not created_at.endswith("Z") and len(created_at) == 19


def probe_org_member_denied(ref, media, helpers):
    alice = ref.client()
    helpers.assert_problem(alice.get("spaces/acme/shared/audios"), 404)
    assert alice.get(SPACE).status_code == 200


def probe_hang_file(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{ref.base_url}/{SPACE}/{audio['handle']}/file", headers=alice.headers, timeout=1.0)
    assert alice.get("health").status_code == 200  # the hang does not block the server


PROBES = {name: globals()["probe_" + name.replace("-", "_")] for name in faults.NAMES}


def test_every_fault_has_a_probe_and_requirements():
    assert len(faults.NAMES) == len(set(faults.NAMES)) >= 19
    for fault in faults.CATALOGUE:
        assert fault.requirements and all(r.isupper() for r in fault.requirements) and fault.description


@pytest.fixture(scope="module", autouse=True)
def _all_fault_servers(fault_server):
    """Start every faulty variant in parallel once: much faster than one after the other."""
    fault_server.prestart(*faults.NAMES)


@pytest.mark.parametrize("name", faults.NAMES)
def test_fault_changes_behaviour(fault_server, media, helpers, name):
    PROBES[name](fault_server(name), media, helpers)
