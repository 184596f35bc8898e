"""report.html at a glance: a bar per area split by outcome, the time-to-available distribution, the ten slowest
checks, and the filters of the result rows (by outcome, area and requirement id).

Pure functions of the run's result rows (``RunState.results``) and ``certification.json``'s content, so that the
HTML is testable without a run. Each result row of the table carries its outcome, area and requirement ids as
``data-`` attributes of its Area cell (:func:`area_cell`); the bars link to their rows by setting the filters.
The filters' script re-applies itself whenever pytest-html redraws its table (it replaces the table on every sort
or filter of its own). Nothing here is a picture: bars and histograms are HTML boxes, so the report stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from conformance import requirements

#: The areas, in the order the bars show them; a requirement's area is decided by its id's prefix.
AREAS = ("auth", "access", "upload", "details", "wav", "list", "lifecycle", "properties", "transport")
_AREA_OF_PREFIX = (("AUTH-", "auth"), ("KEYS-", "auth"), ("ACCESS-", "access"), ("AUD-CREATE", "upload"),
                   ("MEDIA-", "upload"), ("AUD-", "details"), ("WAV-", "wav"), ("LIST-", "list"),
                   ("PATCH-", "lifecycle"), ("DELETE-", "lifecycle"), ("RAW-", "lifecycle"),
                   ("PROP-", "properties"), ("ERR-", "properties"), ("TRANSPORT-", "transport"))
#: The outcomes a bar splits into, in this order (the first six always get a legend; the rest only when seen).
OUTCOMES = ("pass", "warn", "fail", "undecided", "disabled", "unsupported", "waived", "error", "skip")
COLOURS = {"pass": "#1a7f37", "warn": "#d4a72c", "waived": "#8250df", "fail": "#cf222e", "error": "#6e7781",
           "undecided": "#bc4c00", "unsupported": "#8c959f", "disabled": "#afb8c1", "skip": "#d0d7de"}
SLOWEST = 10


def area_of(requirement_ids: Iterable[str]) -> str:
    """The area of a row: that of its first requirement id ("other" for none or an unknown prefix)."""
    for rid in requirement_ids:
        for prefix, area in _AREA_OF_PREFIX:
            if rid.startswith(prefix):
                return area
        return "other"
    return "other"


def glance_outcome(kind: str, failed_requirement: str | None, *, strict_should: bool,
                   waived: Iterable[str] = ()) -> str:
    """The outcome a row counts as: its typed ``kind``, with a failure of a SHOULD written as ``warn`` (unless the
    profile's ``strict_should``) and a failure of a waived requirement as ``waived``, as the certification says."""
    if kind != "fail" or failed_requirement is None:
        return kind
    if failed_requirement in set(waived):
        return "waived"
    known = requirements.CATALOGUE.get(failed_requirement)
    if known is not None and known.level is requirements.Level.SHOULD and not strict_should:
        return "warn"
    return kind


def area_cell(requirement_ids: list[str], outcome: str) -> str:
    """The Area cell of a result row; its data attributes are what the filters read."""
    area = area_of(requirement_ids)
    return (f'<td class="col-area" data-outcome="{escape(outcome)}" data-area="{escape(area)}" '
            f'data-requirements="{escape(" ".join(requirement_ids))}">{escape(area)}</td>')


def _counts(results: Iterable[Mapping[str, Any]], *, strict_should: bool,
            waived: Iterable[str]) -> dict[str, dict[str, int]]:
    waived = list(waived)
    counts: dict[str, dict[str, int]] = {}
    for row in results:
        outcome = glance_outcome(str(row.get("kind", "error")), row.get("failed_requirement"),
                                 strict_should=strict_should, waived=waived)
        by = counts.setdefault(area_of(row.get("requirements") or []), {})
        by[outcome] = by.get(outcome, 0) + 1
    return counts


def area_bars_html(results: Iterable[Mapping[str, Any]], *, strict_should: bool, waived: Iterable[str] = ()) -> str:
    """A bar per area, one segment per outcome (width: its share of the area's rows), each linking to its rows."""
    counts = _counts(results, strict_should=strict_should, waived=waived)
    areas = [a for a in AREAS if a in counts or a != "transport"] + [a for a in counts if a not in AREAS]
    widest = max((sum(by.values()) for by in counts.values()), default=1)
    rows = []
    for area in areas:
        by = counts.get(area, {})
        total = sum(by.values())
        segments = "".join(
            f'<a class="cf-seg" href="#results-table" data-area="{escape(area)}" data-outcome="{o}" '
            f'title="{escape(area)}: {by[o]} {o}" style="width:{100 * by[o] / widest:.2f}%;background:{COLOURS[o]}">'
            f"{by[o] if by[o] * 30 >= widest else ''}</a>"
            for o in OUTCOMES if by.get(o))
        told = ", ".join(f"{by[o]} {o}" for o in OUTCOMES if by.get(o)) or "no checks run"
        rows.append(f'<div class="cf-bar-row" data-area="{escape(area)}"><a class="cf-area" href="#results-table" '
                    f'data-area="{escape(area)}">{escape(area)}</a><div class="cf-bar">{segments}</div>'
                    f'<span class="cf-told">{total} rows: {escape(told)}</span></div>')
    seen = {o for by in counts.values() for o in by}
    legend = "".join(f'<span class="cf-key"><i style="background:{COLOURS[o]}"></i>{o}</span>'
                     for o in OUTCOMES if o in OUTCOMES[:6] or o in seen)
    return (f'<section id="areas"><h3>Checks by area</h3><div class="cf-legend">{legend}</div>{"".join(rows)}'
            "</section>")


def time_to_available_html(summary: Mapping[str, Any], *, processing: str, bins: int = 12) -> str:
    """The distribution of the seconds from create to `available` (an asynchronous target), as a histogram."""
    figures = summary.get("time_to_available") or {}
    samples = [float(s) for s in figures.get("samples") or []]
    if processing != "async":
        return ('<section id="time-to-available"><h3>Time to available</h3><p>Synchronous target: every upload is '
                "available in create's answer.</p></section>")
    if not samples:
        return ('<section id="time-to-available"><h3>Time to available</h3><p>Asynchronous target; no upload of '
                "this run became available.</p></section>")
    low, high = min(samples), max(samples)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for sample in samples:
        counts[min(bins - 1, int((sample - low) / width))] += 1
    tallest = max(counts)
    columns = "".join(
        f'<div class="cf-col" title="{low + i * width:.3f}–{low + (i + 1) * width:.3f} s: {n} uploads">'
        f'<i style="height:{100 * n / tallest:.1f}%"></i></div>' for i, n in enumerate(counts))
    p50, p95 = figures.get("p50_s"), figures.get("p95_s")
    places = 3 if high - low < 0.1 else 2
    return ('<section id="time-to-available"><h3>Time to available</h3>'
            f"<p>{len(samples)} uploads; p50 {_seconds(p50, places)}, p95 {_seconds(p95, places)}, max "
            f"{_seconds(high, places)}.</p>"
            f'<div class="cf-hist">{columns}</div><div class="cf-axis"><span>{_seconds(low, places)}</span>'
            f"<span>{_seconds(high, places)}</span></div></section>")


def _seconds(value: Any, places: int = 2) -> str:
    return f"{float(value):.{places}f} s" if value is not None else "n/a"


def slowest_html(results: Iterable[Mapping[str, Any]], *, strict_should: bool, waived: Iterable[str] = (),
                 count: int = SLOWEST) -> str:
    """The ``count`` slowest checks: where the run's time went."""
    waived = list(waived)
    ordered = sorted(results, key=lambda r: float(r.get("duration_s") or 0.0), reverse=True)[:count]
    rows = "".join(
        f'<tr><td>{float(r.get("duration_s") or 0.0):.2f} s</td><td><code>{escape(str(r.get("nodeid")))}</code></td>'
        f'<td>{escape(", ".join(r.get("requirements") or []))}</td>'
        f"<td>{escape(glance_outcome(str(r.get('kind')), r.get('failed_requirement'), strict_should=strict_should, waived=waived))}</td></tr>"  # noqa: E501
        for r in ordered)
    return (f'<section id="slowest"><h3>The {len(ordered)} slowest checks</h3><table class="cf-slowest">'
            f"<tr><th>Duration</th><th>Check</th><th>Requirements</th><th>Outcome</th></tr>{rows}</table></section>")


def filters_html() -> str:
    """The filters of the result rows (outcome, area, requirement id) and the script that applies them."""
    outcomes = "".join(f'<option value="{o}">{o}</option>' for o in OUTCOMES)
    areas = "".join(f'<option value="{a}">{a}</option>' for a in (*AREAS, "other"))
    return (
        '<section id="row-filters"><h3>Filter the rows</h3>'
        f'<label>Outcome <select id="cf-outcome"><option value="">any</option>{outcomes}</select></label> '
        f'<label>Area <select id="cf-area"><option value="">any</option>{areas}</select></label> '
        '<label>Requirement <input id="cf-requirement" placeholder="e.g. WAV-SAME-SOUND" size="24"></label> '
        '<button id="cf-clear" type="button">Show all</button> <span id="cf-shown"></span></section>'
        f"<style>{_STYLE}</style><script>{_SCRIPT}</script>"
    )


_STYLE = """
#areas .cf-bar-row{display:flex;align-items:center;gap:8px;margin:2px 0}
#areas .cf-area{width:80px;text-align:right;font-weight:bold}
#areas .cf-bar{flex:0 0 50%;display:flex;height:18px;background:#f6f8fa}
#areas .cf-seg{display:block;height:100%;color:#fff;font-size:11px;text-align:center;overflow:hidden;
  text-decoration:none;line-height:18px}
#areas .cf-told{font-size:12px;color:#57606a}
.cf-legend .cf-key{margin-right:10px;font-size:12px}
.cf-legend i{display:inline-block;width:10px;height:10px;margin-right:3px}
.cf-hist{display:flex;align-items:flex-end;height:80px;width:50%;gap:2px;border-bottom:1px solid #57606a}
.cf-col{flex:1;height:100%;display:flex;align-items:flex-end}
.cf-col i{display:block;width:100%;background:#0969da}
.cf-axis{display:flex;justify-content:space-between;width:50%;font-size:12px}
table.cf-slowest td,table.cf-slowest th{padding:2px 8px;text-align:left}
tbody.cf-hidden{display:none}
.cf-listen{margin:6px 0 10px;padding:6px;border-left:4px solid #0969da;background:#f6f8fa}
.cf-listen h4{margin:2px 0 6px}
.cf-players{display:flex;gap:16px;flex-wrap:wrap}
.cf-player{margin:0}
.cf-player figcaption{font-size:12px}
.cf-picture{display:block;max-width:100%;height:auto;margin-top:6px}
.cf-listen-broken{border-left-color:#6e7781}
"""

_SCRIPT = """
(() => {
  const value = (id) => (document.getElementById(id)?.value || '').trim();
  const apply = () => {
    const outcome = value('cf-outcome'), area = value('cf-area'), rid = value('cf-requirement').toUpperCase();
    let shown = 0, all = 0;
    for (const body of document.querySelectorAll('#results-table tbody.results-table-row')) {
      const cell = body.querySelector('td.col-area');
      if (!cell) continue;
      all += 1;
      const ok = (!outcome || cell.dataset.outcome === outcome) && (!area || cell.dataset.area === area)
        && (!rid || cell.dataset.requirements.split(' ').some((r) => r.includes(rid)));
      body.classList.toggle('cf-hidden', !ok);
      if (ok) shown += 1;
    }
    const told = document.getElementById('cf-shown');
    if (told) told.textContent = (outcome || area || rid) ? `${shown} of ${all} rows shown` : '';
  };
  const watch = () => {
    for (const id of ['cf-outcome', 'cf-area', 'cf-requirement']) {
      document.getElementById(id)?.addEventListener('input', apply);
    }
    document.getElementById('cf-clear')?.addEventListener('click', () => {
      for (const id of ['cf-outcome', 'cf-area', 'cf-requirement']) document.getElementById(id).value = '';
      apply();
    });
    for (const link of document.querySelectorAll('#areas a[data-area]')) {
      link.addEventListener('click', () => {
        document.getElementById('cf-area').value = link.dataset.area;
        document.getElementById('cf-outcome').value = link.dataset.outcome || '';
        document.getElementById('cf-requirement').value = '';
        apply();
      });
    }
    // pytest-html replaces its table on every redraw: filter the new one
    new MutationObserver(apply).observe(document.body, {childList: true});
    apply();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch); else watch();
})();
"""


def glance_html(results: list[dict[str, Any]], summary: Mapping[str, Any], *, processing: str,
                strict_should: bool, waived: Iterable[str] = ()) -> str:
    """The whole at-a-glance block: bars, time to available, slowest checks, row filters."""
    waived = list(waived)
    return ('<div id="glance">' + area_bars_html(results, strict_should=strict_should, waived=waived)
            + time_to_available_html(summary, processing=processing)
            + slowest_html(results, strict_should=strict_should, waived=waived) + filters_html() + "</div>")
