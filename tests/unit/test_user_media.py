"""The user's own recordings (``--media DIR``, ``[media] dirs``): listed in a fixed order, probed with PyAV, judged
by the profile as fixtures are, and every bad directory or file refused with one sentence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from conformance import user_media
from conformance.config import ConfigError, load_settings
from conformance.manifest import expected_verdict, load_manifest
from conformance.media.encode import encode
from conformance.profile import build_profile
from conformance.user_media import MediaDirError, case_of, find_files, is_lossless
from conformance.workflow import alias_part, upload

RATE = 16000


def tone(rate: int = RATE, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def wav(rate: int = RATE) -> bytes:
    return encode(tone(rate), rate, container="wav", codec="pcm_s16le")


def write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def refusal(dirs: list[Path], limit: int = 1 << 20) -> str:
    with pytest.raises(MediaDirError) as excinfo:
        find_files(dirs, limit=limit)
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# --- listing ----------------------------------------------------------------------------------------------------


def test_files_are_named_by_their_path_in_the_directory_and_sorted(tmp_path: Path) -> None:
    for name in ("b.wav", "a/z.mp3", "a/b/c.flac", "A.opus", "c d é.wav"):
        write(tmp_path / name)
    names = [found.name for found in find_files([tmp_path], limit=10)]
    assert names == sorted(names) == ["A.opus", "a/b/c.flac", "a/z.mp3", "b.wav", "c d é.wav"]


def test_symbolic_links_are_followed_and_a_file_reached_twice_is_listed_once(tmp_path: Path) -> None:
    write(tmp_path / "real" / "x.wav")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert [found.name for found in find_files([tmp_path], limit=10)] == ["link/x.wav"]


def test_a_symbolic_link_loop_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "x.wav")
    (tmp_path / "sub" / "back").symlink_to(tmp_path)
    assert "symbolic link loop" in refusal([tmp_path])


def test_a_link_to_itself_is_refused(tmp_path: Path) -> None:
    (tmp_path / "self").symlink_to(tmp_path / "self")
    assert "self cannot be read" in refusal([tmp_path])


def test_a_dangling_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gone.wav").symlink_to(tmp_path / "nowhere.wav")
    assert "gone.wav is a symbolic link to nothing" in refusal([tmp_path])


def test_a_pipe_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.wav")
    assert "pipe.wav is not a regular file" in refusal([tmp_path])


def test_a_file_over_the_read_limit_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "big.wav", b"x" * 101)
    assert "big.wav is 101 bytes, more than the 100" in refusal([tmp_path], limit=100)
    assert find_files([tmp_path], limit=101)


def test_the_read_limit_follows_the_profile() -> None:
    assert user_media.read_limit(build_profile()) == 64 << 20
    assert user_media.read_limit(build_profile({"max_file_bytes": 100 << 20})) == 200 << 20


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "secret.wav").chmod(0)
    assert "secret.wav cannot be read" in refusal([tmp_path])


def test_too_many_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(user_media, "MAX_FILES", 2)
    for name in ("a", "b", "c"):
        write(tmp_path / name)
    assert "more than 2 files" in refusal([tmp_path])


def test_two_files_of_one_name_or_a_fixture_s_name_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "one" / "x.wav", b"1")
    write(tmp_path / "two" / "x.wav", b"2")
    assert "have the same name 'x.wav'" in refusal([tmp_path / "one", tmp_path / "two"])
    fixture = load_manifest()[0].id
    write(tmp_path / "three" / fixture)
    with pytest.raises(MediaDirError, match="as a fixture of the corpus"):
        find_files([tmp_path / "three"], limit=10, reserved=[fixture])


# --- probing and verdicts ---------------------------------------------------------------------------------------


def test_a_recording_is_probed_and_judged_by_the_profile_as_a_fixture_is(tmp_path: Path) -> None:
    path = write(tmp_path / "low.wav", wav(7000))
    case = case_of("low.wav", path, path.read_bytes())
    assert (case.container, case.codec, case.sample_rate, case.channels) == ("wav", "pcm_s16le", 7000, 1)
    assert case.duration_s == pytest.approx(0.5) and case.size_bytes == path.stat().st_size and case.lossless
    assert case.user and case.undecodable is None and case.read() == path.read_bytes()
    assert (case.verdict, case.requirement, case.reject_reason) == ("reject", "MEDIA-REJECT-RATE", "invalid_audio")
    assert expected_verdict(case, build_profile()).requirement == "MEDIA-REJECT-RATE"
    assert expected_verdict(case, build_profile({"min_sample_rate": 6000})).accepted  # the profile decides


def test_a_file_the_suite_cannot_decode_says_why(tmp_path: Path) -> None:
    for name, data in (("noise.bin", bytes(range(256)) * 8), ("empty.wav", b""),
                       ("header-only.wav", wav()[:44])):
        path = write(tmp_path / name, data)
        case = case_of(name, path, data)
        assert case.undecodable, name
        assert not case.accepted and case.sha256 is not None


def test_an_undecodable_file_is_never_sent(tmp_path: Path) -> None:
    path = write(tmp_path / "noise.bin", b"\x00" * 64)
    case = case_of("noise.bin", path, path.read_bytes())
    with pytest.raises(ValueError, match="it is not sent"):  # before the client is ever touched
        upload(None, "primary", None, case, "alias", profile=build_profile(), resources=None)  # type: ignore[arg-type]


def test_a_recording_that_changed_since_it_was_read_is_not_sent_as_it_was(tmp_path: Path) -> None:
    path = write(tmp_path / "a.wav", wav())
    case = case_of("a.wav", path, path.read_bytes())
    path.write_bytes(wav(8000))
    with pytest.raises(ValueError, match="changed since the run read it"):
        case.read()


def test_load_reads_every_file_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "b.flac", encode(tone(), RATE, container="flac", codec="flac"))
    write(tmp_path / "a" / "x.wav", wav())
    write(tmp_path / "c.txt", b"not audio")
    cases = user_media.load([tmp_path], build_profile())
    assert [(c.id, c.codec, bool(c.undecodable)) for c in cases] == [("a/x.wav", "pcm_s16le", False),
                                                                    ("b.flac", "flac", False), ("c.txt", "", True)]
    assert user_media.load([], build_profile()) == ()


@pytest.mark.parametrize(("codec", "lossless"), [("pcm_s16le", True), ("pcm_f32le", True), ("flac", True),
                                                 ("alac", True), ("pcm_mulaw", False), ("mp3", False),
                                                 ("opus", False), ("adpcm_ima_wav", False)])
def test_lossless_codecs(codec: str, lossless: bool) -> None:
    assert is_lossless(codec) is lossless


def test_aliases_stay_short_and_plain_whatever_the_file_name() -> None:
    fixture = load_manifest()[0].id
    assert alias_part(fixture) == fixture
    odd = alias_part("calls/2024 03 01 — very long name of a recording " * 3 + ".wav")
    assert odd.startswith("media-") and len(odd) <= 30 and odd == alias_part(
        "calls/2024 03 01 — very long name of a recording " * 3 + ".wav")


# --- configuration ----------------------------------------------------------------------------------------------


def test_media_dirs_are_relative_to_the_configuration_file_and_media_adds_to_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf" / "recordings").mkdir(parents=True)
    (tmp_path / "extra").mkdir()
    config = tmp_path / "conf" / "conformance.toml"
    config.write_text('[media]\ndirs = ["recordings"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(config, env={}, media=["extra", "conf/recordings"])
    assert settings.media_dirs == (tmp_path / "conf" / "recordings", tmp_path / "extra")
    assert load_settings(env={}).media_dirs == ()


def test_media_dirs_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert load_settings(env={"CONFORMANCE_MEDIA_DIRS": "a"}).media_dirs == (tmp_path / "a",)
    assert load_settings(env={"CONFORMANCE_MEDIA_DIRS": '["a", "b"]'}).media_dirs == (tmp_path / "a", tmp_path / "b")


@pytest.mark.parametrize(("text", "media", "message"), [
    ('[media]\ndirs = ["nowhere"]\n', [], "media directory {tmp}/nowhere does not exist"),
    ("", ["nowhere"], "media directory nowhere does not exist"),
    ("", ["file.wav"], "media directory file.wav is not a directory"),
    ('[media]\ndirs = "recordings"\n', [], "media.dirs must be an array of directory paths"),
    ('[media]\ndirs = [""]\n', [], "media.dirs must be an array of directory paths"),
    ('[media]\nfolders = ["x"]\n', [], "unknown configuration key media.'folders' (known: dirs)"),
])
def test_bad_media_dirs_are_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                         media: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "file.wav")
    config = tmp_path / "conformance.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(config, env={}, media=media)
    assert str(excinfo.value).startswith(message.format(tmp=tmp_path))
