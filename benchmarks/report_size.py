"""report.html's size budget (issue "Listen and look", item 1): <= 5 MB with a WAV failure in every media family.

    .venv/bin/python benchmarks/report_size.py      # three whole runs against the embedded reference, ~3 minutes

Each run is a real ``conformance run`` (the whole quick budget, every check) against the embedded reference
server: the correct one (each media family's passing same-sound sample is heard and seen: 10 previews), then with
``silent-wav`` planted (every accepted corpus row's WAV is silence: every media family fails WAV-SAME-SOUND, and
every failure carries its players and picture) and with ``wav-stereo`` (every WAV fails WAV-FORMAT). For each:
the report's bytes, how many previews it holds (and how many rows link to an earlier row's, having the same
sounds), the bytes they take (their ``data:`` URIs as the report stores them), and whether it is within budget.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BUDGET_BYTES = 5 * 1024 * 1024
FAULTS = (None, "silent-wav", "wav-stereo")
# in a JSON string, so its quotes are \"
_PREVIEW = re.compile(r'<div class=\\?"cf-listen( cf-alone)?\\?" data-media=')
_SHARED = re.compile(r'<div class=\\?"cf-listen cf-shared\\?" data-media=')
_DATA_URI = re.compile(r"data:(audio|image)/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _run(reports: Path, fault: str | None) -> float:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    args = ["run", "--reports", str(reports), *(("--reference-fault", fault) if fault else ())]
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "from conformance.cli import main; raise SystemExit(main())", *args],
                   capture_output=True, text=True, env=clean, timeout=1800, check=False)
    return time.monotonic() - start


def figures(report: Path) -> dict[str, Any]:
    """Size of ``report`` and of the previews in it (pytest-html keeps rows in an escaped JSON blob)."""
    raw = report.read_text(encoding="utf-8")
    text = html.unescape(raw)
    uris = [m.group(0) for m in _DATA_URI.finditer(text)]
    audio = sum(len(u) for u in uris if u.startswith("data:audio"))
    image = sum(len(u) for u in uris if u.startswith("data:image"))
    previews = len(_PREVIEW.findall(text))
    return {"report_bytes": report.stat().st_size, "previews": previews,
            "linked_to_an_earlier_row": len(_SHARED.findall(text)), "audio_uri_bytes": audio,
            "picture_uri_bytes": image, "bytes_per_preview": round((audio + image) / previews) if previews else 0,
            "without_previews_bytes": report.stat().st_size - audio - image,
            "within_budget": report.stat().st_size <= BUDGET_BYTES}


def measure(tmp: Path) -> dict[str, Any]:
    """Run the suite against the embedded reference, correct and with each WAV fault; the report's figures."""
    runs: dict[str, Any] = {}
    for fault in FAULTS:
        reports = tmp / (fault or "correct")
        seconds = _run(reports, fault)
        summary = json.loads((reports / "certification.json").read_text())
        failed = sum(1 for t in summary["tests"] if t["kind"] == "fail"
                     and str(t.get("failed_requirement")).startswith("WAV-"))
        runs[fault or "correct"] = {**figures(reports / "report.html"), "failed_wav_rows": failed,
                                    "verdict": summary["verdict"], "run_s": round(seconds, 1)}
    return {"budget_bytes": BUDGET_BYTES, "runs": runs}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        print(json.dumps(measure(Path(directory)), indent=2))
