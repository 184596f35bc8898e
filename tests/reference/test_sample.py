"""The pre-existing sample audio: provisioned once through the upload path, named in the suite configuration."""

from __future__ import annotations

from conformance.reference import provision

SPACE = "spaces/alice/main/audios"


def test_config_names_the_sample_as_read_only(server, alice):
    (audio,) = server.config["read_only"]["audios"]
    assert set(audio) == {"space", "handle"} and audio["space"] == "primary"
    assert alice.get(f"{SPACE}/{audio['handle']}").status_code == 200


def test_sample_is_an_available_processed_audio(server, alice, helpers):
    handle = server.config["read_only"]["audios"][0]["handle"]
    details = alice.get(f"{SPACE}/{handle}")
    assert details.status_code == 200
    view = details.json()
    assert view["handle"] == handle and view["alias"] == provision.SAMPLE_ALIAS
    assert view["state"] == "available" and view["uploadedAt"] is not None
    assert view["sampleRate"] == provision.SAMPLE_RATE and view["duration"] == "PT3.000S"
    served = alice.get(f"{SPACE}/{handle}/file")
    assert served.status_code == 200 and served.headers["content-type"].startswith("audio/wav")
    wav = helpers.parse_wav(served.content)
    assert (wav.channels, wav.rate, wav.frames) == (1, 16000, 48000)
    assert served.content == provision.sample_wav()  # 16 kHz mono PCM16 in, the same WAV stored
    listed = alice.get(SPACE, params={"search": provision.SAMPLE_ALIAS})
    assert [a["handle"] for a in listed.json()] == [handle]


def test_restart_reuses_the_sample(tmp_path, spawn):
    first = spawn(tmp_path)
    handle = first.config["read_only"]["audios"][0]["handle"]
    first.stop()
    second = spawn(tmp_path)
    assert second.config["read_only"]["audios"][0]["handle"] == handle
    listed = second.client().get(SPACE, params={"search": provision.SAMPLE_ALIAS})
    assert [a["handle"] for a in listed.json()] == [handle] and listed.headers["Item-Total"] == "1"


def test_sample_is_created_without_the_servers_faults(tmp_path, spawn):
    """A planted fault changes what the API answers, never the seed data."""
    ref = spawn(tmp_path, "alias-dropped")
    handle = ref.config["read_only"]["audios"][0]["handle"]
    listed = ref.client().get(SPACE, params={"search": provision.SAMPLE_ALIAS})
    assert [(a["handle"], a["alias"]) for a in listed.json()] == [(handle, provision.SAMPLE_ALIAS)]
