"""The user's own recordings as corpus rows: ``conformance run --media DIR`` and ``[media] dirs = [...]``.

Every file under each directory becomes a :class:`~conformance.manifest.MediaCase`, a row of the same kind as a
fixture's: the suite reads it (bounded), hashes it, and decodes its first audio stream to the end with PyAV
(``conformance.media.decode.probe``) for its container, codec, rate, channels, duration and size. Its expected
verdict is then derived from the run's profile exactly as a fixture's is (``manifest.expected_verdict``): accepted,
or refused for a broken limit. So a recording joins the same row sources as the fixtures (the upload, details, WAV
and same-sound checks if accepted, the refusal checks if not), under its own name: its path relative to the
directory given, e.g. ``calls/2024-03-01.flac``.

A file the suite cannot decode (no audio stream, a decoder error, no sample) is a row too, marked ``undecodable``
with the reason: its checks end as ``disabled`` ("the suite cannot decode this file") and nothing is sent. Not
``undecided``, which says the *target* left a check open and blocks a verdict; not ``unsupported``, which says the
target's profile lacks a capability: the input the user configured is what the check lacks, exactly what
``disabled`` means for a missing actor or space. Such a row never counts for or against the target.

Everything else wrong with the directories is one :class:`MediaDirError` sentence before the first request: a
missing directory (``config.py``), a file that cannot be read or is not a regular file, a dangling or looping
symbolic link, a file larger than :func:`read_limit`, more than :data:`MAX_FILES` files, or two files (or a file
and a fixture) with one name. The walk is sorted, so that pytest-xdist's controller and workers, and every shard,
collect the same rows in the same order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.manifest import ACCEPT_REQUIREMENT, ManifestError, MediaCase, expected_verdict, load_manifest
from conformance.media.decode import MediaDecodeError, probe
from conformance.profile import Profile, build_profile

MAX_FILES = 1000
"""More files than this under the directories is a mistake (``--media /``), not a folder of recordings."""
MIN_READ_LIMIT = 64 << 20
"""The suite reads a file of at most max(this, twice the profile's ``max_file_bytes``): enough to send a recording
the profile refuses as too large, never so much that its Base64 body exhausts memory."""
LOSSY_PCM = ("pcm_mulaw", "pcm_alaw", "pcm_vidc")
LOSSLESS_CODECS = ("flac", "alac", "wavpack", "tta", "ape", "mlp", "truehd", "shorten")


class MediaDirError(ValueError):
    """A media directory or a file in it cannot be used; the message is one sentence naming it."""


@dataclass(frozen=True, slots=True)
class Found:
    """A file under a media directory: its name in reports (relative to the directory) and where it is."""

    name: str
    path: Path
    size: int


def read_limit(profile: Profile) -> int:
    """The largest file the suite reads for ``profile``."""
    return max(MIN_READ_LIMIT, 2 * profile.max_file_bytes)


def load(dirs: Sequence[Path], profile: Profile) -> tuple[MediaCase, ...]:
    """Every file under ``dirs`` as a corpus row, sorted by name (raises :class:`MediaDirError`)."""
    if not dirs:
        return ()
    limit = read_limit(profile)
    return tuple(case_of(found.name, found.path, _read(found, limit))
                 for found in find_files(dirs, limit=limit, reserved=_fixture_ids()))


def check_dirs(dirs: Sequence[Path], profile: Profile) -> None:
    """List the files under ``dirs`` as :func:`load` does, without reading them (the CLI's early refusal of a bad
    directory, before pytest starts; raises :class:`MediaDirError`)."""
    if dirs:
        find_files(dirs, limit=read_limit(profile), reserved=_fixture_ids())


def _fixture_ids() -> list[str]:
    """The corpus' fixture ids, which no user file may take as its name (a broken corpus is reported by the
    ``corpus`` fixture, not here)."""
    try:
        return [case.id for case in load_manifest()]
    except ManifestError:
        return []


def find_files(dirs: Sequence[Path], *, limit: int, reserved: Iterable[str] = ()) -> list[Found]:
    """The regular files under ``dirs`` (symbolic links followed), each at most ``limit`` bytes, sorted by name.
    A file reached twice (overlapping directories, two links to it) is listed once, under its first name."""
    taken = set(reserved)
    by_name: dict[str, Found] = {}
    seen: set[tuple[int, int]] = set()
    for top in dirs:
        for path, info in _walk(top):
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            name = path.relative_to(top).as_posix()
            if name in taken:
                raise MediaDirError(f"media file {path} is named {name!r}, as a fixture of the corpus: rename it")
            if name in by_name:
                raise MediaDirError(f"media files {by_name[name].path} and {path} have the same name {name!r}: "
                                    "rename one")
            if info.st_size > limit:
                raise MediaDirError(f"media file {path} is {info.st_size} bytes, more than the {limit} the suite "
                                    "reads (twice the profile's max_file_bytes, at least 64 MiB): leave it out")
            if not os.access(path, os.R_OK):
                raise MediaDirError(f"media file {path} cannot be read (permission denied)")
            by_name[name] = Found(name, path, info.st_size)
            if len(by_name) > MAX_FILES:
                where = ", ".join(map(str, dirs))
                raise MediaDirError(f"more than {MAX_FILES} files under the media directories ({where}): name a "
                                    "folder of recordings")
    return [by_name[name] for name in sorted(by_name)]


def _walk(top: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under ``top``, depth first in name order, following symbolic links; a link to nothing, a
    link that leads back to a directory it is in, and anything but files and directories are errors."""
    try:
        root = top.stat()
    except OSError as exc:
        raise MediaDirError(f"media directory {top} cannot be read: {exc.strerror}") from None
    stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(top, ((root.st_dev, root.st_ino),))]
    while stack:
        directory, ancestors = stack.pop()
        try:
            with os.scandir(directory) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            raise MediaDirError(f"media directory {directory} cannot be listed: {exc.strerror}") from None
        below = []
        for name in names:
            path = directory / name
            try:
                info = path.stat()  # follows links
            except FileNotFoundError:
                raise MediaDirError(f"media file {path} is a symbolic link to nothing") from None
            except OSError as exc:  # ELOOP: a link to itself, or a cycle of links
                raise MediaDirError(f"media file {path} cannot be read: {exc.strerror}") from None
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    raise MediaDirError(f"media directory {path} is a symbolic link loop (it leads back to a "
                                        "directory it is in)")
                below.append((path, (*ancestors, key)))
            elif stat.S_ISREG(info.st_mode):
                yield path, info
            else:
                raise MediaDirError(f"media file {path} is not a regular file (a device, socket or pipe)")
        stack.extend(reversed(below))


def _read(found: Found, limit: int) -> bytes:
    """The file's bytes, never more than ``limit`` (it may have grown since it was listed)."""
    try:
        with found.path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise MediaDirError(f"media file {found.path} cannot be read: {exc.strerror}") from None
    if len(data) > limit:
        raise MediaDirError(f"media file {found.path} grew past the {limit} bytes the suite reads")
    return data


def is_lossless(codec: str) -> bool:
    """Whether a codec keeps the waveform (the same-sound check then holds the stored WAV to the lossless
    threshold): PCM other than companded, and the lossless compressors."""
    return (codec.startswith("pcm_") and codec not in LOSSY_PCM) or codec in LOSSLESS_CODECS


def case_of(name: str, path: Path, data: bytes) -> MediaCase:
    """A user file as a corpus row. ``verdict`` and ``requirement`` are the reference profile's (for people, as in
    the manifest); a run judges the row against its own profile with ``manifest.expected_verdict``."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        found = probe(data)
    except MediaDecodeError as exc:
        return MediaCase(id=name, path=path, made_with="your recording; the suite cannot decode it", container="",
                         codec="", sample_rate=0, channels=0, duration_s=0.0, size_bytes=len(data), lossless=False,
                         sha256=sha256, verdict="unknown", requirement=ACCEPT_REQUIREMENT, user=True,
                         undecodable=exc.reason)
    case = MediaCase(id=name, path=path, made_with=f"your recording ({found.container}, {found.codec})",
                     container=found.container, codec=found.codec, sample_rate=found.sample_rate,
                     channels=found.channels, duration_s=found.duration_s, size_bytes=len(data),
                     lossless=is_lossless(found.codec), sha256=sha256, verdict="accept",
                     requirement=ACCEPT_REQUIREMENT, user=True)
    reference = build_profile()
    verdict = expected_verdict(case, reference)
    return dataclasses.replace(
        case, verdict="accept" if verdict.accepted else "reject", requirement=verdict.requirement,
        reject_reason=None if verdict.accepted else verdict.reasons[0],
        expected_stored_rate=min(found.sample_rate, reference.max_stored_sample_rate))
