"""Each planted fault really changes the behaviour it names (one tiny probe per fault).

Every probe asserts the *faulty* behaviour on a server started with that fault alone; the other modules
assert the correct behaviour on the correct server.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


def probe_too_long_accepted(ref, media, helpers):
    response = _upload(ref.client(), media, media.wav(8000, 301.0))
    assert response.status_code == 201 and response.json()["duration"] == "PT301.000S"
    assert _upload(ref.client(), media, media.wav(8000, 601.0)).status_code == 422


def probe_low_rate_accepted(ref, media, helpers):
    response = _upload(ref.client(), media, media.wav(7999, 0.5))
    assert response.status_code == 201 and response.json()["sampleRate"] == 7999


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



# --- lifecycle faults: list, update, delete, raw upload, sign-in, current user -------------------------------
def _search(client, term, **params) -> httpx.Response:
    return client.get(SPACE, params={"search": term, **params})


def probe_list_ignores_search(ref, media, helpers):
    _upload(ref.client(), media, alias="probe-anything")
    assert len(_search(ref.client(), "no-audio-has-this-term").json()) >= 1


def probe_item_total_off_by_one(ref, media, helpers):
    response = _search(ref.client(), "no-audio-has-this-term")
    assert response.json() == [] and response.headers["Item-Total"] == "1"


def probe_pages_overlap(ref, media, helpers):
    alice = ref.client()
    for i in range(3):
        _upload(alice, media, media.wav(16000, 0.2), alias=f"overlap-{i}")
    first = _search(alice, "overlap-", **{"page-size": 2}).json()
    second = _search(alice, "overlap-", page=2, **{"page-size": 2}).json()
    assert first[-1]["handle"] == second[0]["handle"]


def probe_page_size_limit_ignored(ref, media, helpers):
    assert ref.client().get(SPACE, params={"page-size": 51}).status_code == 200


def probe_sort_ignored(ref, media, helpers):
    alice = ref.client()
    for i in range(2):
        _upload(alice, media, media.wav(16000, 0.2), alias=f"sorted-{i}")
    ascending = [a["handle"] for a in _search(alice, "sorted-").json()]
    assert [a["handle"] for a in _search(alice, "sorted-", sort="-createdAt").json()] == ascending


def probe_date_filter_exclusive(ref, media, helpers):
    alice = ref.client()
    created_at = _upload(alice, media, alias="bounded").json()["createdAt"]
    assert _search(alice, "bounded", after=created_at).json() == []
    assert _search(alice, "bounded", before=created_at).json() == []


def probe_patch_not_stored(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media, alias="old").json()
    assert alice.patch(f"{SPACE}/{audio['handle']}", json={"alias": "new"}).json()["alias"] == "new"
    assert alice.get(f"{SPACE}/{audio['handle']}").json()["alias"] == "old"


def probe_patch_handle_accepted(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert alice.patch(f"{SPACE}/{audio['handle']}", json={"handle": "renamed"}).json()["handle"] == "renamed"
    assert alice.get(f"{SPACE}/renamed").json()["id"] == audio["id"]
    helpers.assert_problem(alice.get(f"{SPACE}/{audio['handle']}"), 404)


def probe_delete_noop(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert alice.delete(f"{SPACE}/{audio['handle']}").status_code == 204
    assert alice.get(f"{SPACE}/{audio['handle']}").status_code == 200


def probe_raw_upload_twice_allowed(ref, media, helpers):
    alice = ref.client()
    path = f"{SPACE}/{alice.post(SPACE, json={}).json()['handle']}/file"
    octets = {"Content-Type": "application/octet-stream"}
    assert alice.post(path, content=media.wav(16000, 0.3), headers=octets).status_code == 200
    second = alice.post(path, content=media.wav(22050, 0.3), headers=octets)
    assert second.status_code == 200 and second.json()["sampleRate"] == 22050


def probe_sign_in_reveals_handle(ref, media, helpers):
    anonymous = ref.client(None)
    helpers.assert_problem(anonymous.post("auth/credentials", json={"handle": "nobody", "password": "wrong-pw"}), 404)
    helpers.assert_problem(anonymous.post("auth/credentials", json={"handle": "alice", "password": "wrong-pw"}), 401)


def probe_session_expiry_wrong(ref, media, helpers):
    actor = ref.config["actors"]["primary"]
    body = ref.client(None).post("auth/credentials", json={"handle": actor["handle"], "password": actor["password"]})
    issued, expires = (datetime.fromisoformat(body.json()[k]) for k in ("issuedAt", "expiresAt"))
    assert expires - issued == timedelta(hours=1)


def probe_user_returns_other(ref, media, helpers):
    assert ref.client().get("user").json()["handle"] == "bob"
    assert ref.client("outsider").get("user").json()["handle"] == "alice"


def probe_revoked_key_accepted(ref, media, helpers):
    alice = ref.client()
    token = alice.post("user/keys", json={"handle": "probe-revoked", "alias": None}).json()["token"]
    assert alice.delete("user/keys/probe-revoked").status_code == 204
    assert httpx.get(f"{ref.base_url}/user", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def probe_non_member_org_access(ref, media, helpers):
    assert ref.client().get("spaces/globex/lab/audios").status_code == 200  # alice is not a member of globex
    assert ref.client().get("spaces/bob/main/audios").status_code == 404  # user spaces stay private


def probe_foreign_audio_writable(ref, media, helpers):
    bob = ref.client("outsider")
    audio = _upload(ref.client(), media, alias="mine").json()
    assert bob.get(f"{SPACE}/{audio['handle']}").status_code == 404  # reads stay denied
    assert bob.patch(f"{SPACE}/{audio['handle']}", json={"alias": "stolen"}).status_code == 200
    assert bob.delete(f"{SPACE}/{audio['handle']}").status_code == 204


def probe_list_leaks_other_spaces(ref, media, helpers):
    bob_audio = ref.client("outsider").post("spaces/bob/main/audios", json={"alias": "bobs"}).json()
    listed = [a["handle"] for a in ref.client().get(SPACE, params={"page-size": 50}).json()]
    assert bob_audio["handle"] in listed


def probe_cross_space_audio(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert alice.get(f"spaces/acme/shared/audios/{audio['handle']}").status_code == 200


def probe_odd_alias_500(ref, media, helpers):
    alice = ref.client()
    assert _upload(alice, media, alias="mic \U0001f3a4").status_code == 500
    audio = _upload(alice, media, alias="plain").json()
    assert alice.patch(f"{SPACE}/{audio['handle']}", json={"alias": "bell\u0007"}).status_code == 500
    assert alice.patch(f"{SPACE}/{audio['handle']}", json={"alias": "ñandú"}).status_code == 200  # BMP is fine


def probe_undocumented_field_type(ref, media, helpers):
    assert _upload(ref.client(), media).json()["voiceprints"] == "0"


def probe_use_after_delete(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert alice.delete(f"{SPACE}/{audio['handle']}").status_code == 204
    assert audio["handle"] not in [a["handle"] for a in alice.get(SPACE, params={"page-size": 50}).json()]
    assert alice.get(f"{SPACE}/{audio['handle']}").status_code == 200

def probe_undocumented_state(ref, media, helpers):
    alice = ref.client()
    audio = _upload(alice, media).json()
    assert audio["state"] == "ready"
    assert alice.get(f"{SPACE}/{audio['handle']}").json()["state"] == "ready"


def probe_bearer_scheme_lenient(ref, media, helpers):
    token = ref.token()
    for header in (token, f"Token {token}", f"Basic {token}"):
        assert httpx.get(f"{ref.base_url}/user", headers={"Authorization": header}).status_code == 200, header
    assert httpx.get(f"{ref.base_url}/user", headers={"Authorization": "Basic eDp5"}).status_code == 401


pytestmark = pytest.mark.xdist_group("fault-servers")  # the module's servers start once, on one worker
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
