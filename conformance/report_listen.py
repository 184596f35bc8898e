"""Hear and see a WAV verdict in report.html: for each failed WAV check, and for the passing same-sound sample of
each media family, two players (the uploaded media, the WAV the target returned) and the picture comparing them.

Rendered where the test ran (an xdist worker holds the bytes; only the finished HTML travels with the report),
from what the test's audio heard (``conformance/listening.py``) and, for WAV-SAME-SOUND, the oracle's own
reading (``SameSoundReading``: the lag the picture aligns at, the numbers and thresholds written on it). The
media work is ``conformance/media/preview.py``; this module decides which rows get it and writes their HTML.
A preview that cannot be made is said so on its row: a suite problem, never the target's, and the verdict stands.
"""

from __future__ import annotations

import hashlib
from html import escape
from typing import TYPE_CHECKING

import pytest

from conformance.checks.wav import SameSoundFailure, SameSoundReading
from conformance.listening import LISTENING_KEY, Listening

if TYPE_CHECKING:
    from conformance.run_state import RunState

SAME_SOUND = "WAV-SAME-SOUND"
HEARD = "Hear and see"


def wanted(listening: Listening, kind: str, failed_requirement: str | None, declared: list[str]) -> str | None:
    """Why this row shows a preview ("failed" or "sample"), or None: a WAV check that failed, or the passing
    same-sound verdict of its family's sample."""
    if kind == "fail" and failed_requirement is not None and failed_requirement.startswith("WAV-"):
        return "failed"
    if kind == "pass" and listening.sample and SAME_SOUND in declared and listening.reading is not None:
        return "sample"
    return None


def attach(state: RunState, item: pytest.Item, report: pytest.TestReport, failure: BaseException | None) -> None:
    """Give a WAV row its players and picture (an html extra of ``report.extras``, which pytest-html shows), if it
    is one that shows them."""
    listening = item.stash.get(LISTENING_KEY, None)
    previews = state.settings.previews
    if listening is None or report.when != "call" or previews == "none":
        return
    why = wanted(listening, str(getattr(report, "kind", "")), getattr(report, "failed_requirement", None),
                 list(getattr(report, "requirements", [])))
    if why is None or (why == "sample" and previews == "failures"):
        return
    reading = failure.reading if isinstance(failure, SameSoundFailure) else listening.reading
    caption = [state.redactor(line) for line in _caption(listening, why, failure, reading)]
    try:
        html = listen_html(listening, caption, reading)
    except Exception as exc:  # noqa: BLE001 - any failure to draw is the suite's, said on the row, never a verdict
        html = (f'<div class="cf-listen cf-listen-broken"><p>Hear and see: the preview of {escape(listening.label)} '
                f"could not be made (a problem of the suite; the verdict stands): "
                f"{escape(state.redactor(f'{type(exc).__name__}: {exc}'))}</p></div>")
    # an "html" extra, as pytest_html.extras.html() builds it (its details open with it, above the log)
    report.extras = [*getattr(report, "extras", []),  # type: ignore[attr-defined]
                     {"name": HEARD, "format_type": "html", "content": html, "mime_type": None, "extension": None}]
    returned = hashlib.sha256(listening.returned or b"").hexdigest()[:16]
    report.heard = {"key": f"{listening.label}:{returned}", "lines": caption}  # type: ignore[attr-defined]


def share_repeats(seen: dict[str, str], report: pytest.TestReport) -> None:
    """On the controller, before pytest-html reads the row: a row whose sounds an earlier row already shows (the
    same media and the same returned WAV: its WAV-FORMAT failure and its same-sound sample, say) keeps its own
    caption and links to that row's players and picture instead of embedding them again."""
    heard = getattr(report, "heard", None)
    if not heard:
        return
    first = seen.setdefault(heard["key"], report.nodeid)
    if first == report.nodeid:
        return
    lines = "".join(f"<li>{escape(line)}</li>" for line in heard["lines"][1:])
    short = (f'<div class="cf-listen cf-shared" data-media="{escape(heard["key"].rsplit(":", 1)[0])}">'
             f"<h4>Hear and see: {escape(heard['lines'][0])}</h4>{f'<ul>{lines}</ul>' if lines else ''}"
             f'<p>The same sounds are played and drawn at <a href="#{escape(first)}">{escape(first)}</a>.</p></div>')
    report.extras = [dict(extra, content=short) if extra.get("name") == HEARD else extra  # type: ignore[attr-defined]
                     for extra in getattr(report, "extras", [])]


def _caption(listening: Listening, why: str, failure: BaseException | None,
             reading: SameSoundReading | None) -> list[str]:
    if why == "sample":
        head = f"{listening.label}: {SAME_SOUND} passed (the sample of its media family)"
    else:
        title = getattr(failure, "title", "failed")
        head = f"{listening.label}: [{getattr(failure, 'requirement', '?')}] {title}"
    lines = [head]
    if reading is not None:
        lines += reading.lines()
    elif failure is not None and getattr(failure, "received", None):
        lines.append(f"received: {str(failure.received).splitlines()[0][:160]}"
                     f"; expected: {str(getattr(failure, 'expected', '')).splitlines()[0][:80]}")
    return lines


def listen_html(listening: Listening, caption: list[str], reading: SameSoundReading | None) -> str:
    """The players and the picture of one audio, as report.html shows them."""
    from conformance.media.preview import render  # matplotlib loads only when a row shows a preview

    media = listening.media()
    if media is None:
        return _returned_alone(listening, caption)
    preview = render(media.read(), listening.returned, lag_s=reading.similarity.lag_s if reading else None,
                     caption=caption)
    stretch = (f", {preview.start_s:.1f}–{preview.stop_s:.1f} s of {preview.uploaded_s:.1f} s"
               if preview.trimmed else f", {preview.uploaded_s:.2f} s")
    players = [_player(f"uploaded: {media.id} ({media.container}/{media.codec}{stretch})", preview.uploaded_audio)]
    if preview.returned_audio is not None:
        players.append(_player(f"returned WAV ({preview.returned_s:.2f} s, aligned at "
                               f"{preview.lag_s * 1000:+.0f} ms{'; same stretch' if preview.trimmed else ''})",
                               preview.returned_audio))
    note = f"<p class=\"cf-note\">{escape(preview.note)}</p>" if preview.note else ""
    return (f'<div class="cf-listen" data-media="{escape(media.id)}"><h4>Hear and see: {escape(caption[0])}</h4>'
            f'<div class="cf-players">{"".join(players)}</div>{note}'
            f'<img class="cf-picture" src="{preview.picture}" width="900" '
            f'alt="{escape(" / ".join(caption))}"></div>')


def _returned_alone(listening: Listening, caption: list[str]) -> str:
    """An audio whose fixture is unknown (a named audio of ``[read_only]`` without ``media``): its WAV alone."""
    from conformance.media.preview import render

    if listening.returned is None:
        raise ValueError("no fixture is named for this audio and its WAV was not read: nothing to show")
    lines = [*caption, "no fixture is named for this audio ([read_only] media): its returned WAV alone"]
    preview = render(listening.returned, None, caption=lines, names=("returned", "uploaded"))
    return (f'<div class="cf-listen cf-alone" data-media="{escape(listening.label)}">'
            f"<h4>Hear and see: {escape(caption[0])}</h4>"
            f'<div class="cf-players">{_player(f"returned WAV ({preview.uploaded_s:.2f} s)", preview.uploaded_audio)}'
            f'</div><img class="cf-picture" src="{preview.picture}" width="900" alt="{escape(" / ".join(lines))}">'
            "</div>")


def _player(label: str, source: str) -> str:
    return (f'<figure class="cf-player"><figcaption>{escape(label)}</figcaption>'
            f'<audio controls preload="metadata" src="{source}"></audio></figure>')
