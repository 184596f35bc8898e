"""How a run's checks are dealt to xdist workers and shards (``conformance/scheduling.py``): by what they share.

The deal itself is seen at work in ``tests/cli/test_concurrency.py``, where a run on several workers sends no more
uploads than one on a single worker; here, the units it deals, on node ids and on the real collection of a run.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.scheduling import ALONE, ALONE_ACROSS_RUNNERS, BY_ROW, make_scheduler, unit_of

SCENARIOS = Path(__file__).resolve().parents[2] / "conformance" / "scenarios"


@pytest.mark.parametrize(("nodeid", "unit"), [
    ("test_upload.py::test_create_answers_201[wav-pcm16-16k-mono]", "corpus[wav-pcm16-16k-mono]"),
    ("test_file.py::test_file_is_same_sound[wav-pcm16-16k-mono]", "corpus[wav-pcm16-16k-mono]"),
    ("conformance/scenarios/test_details.py::test_duration_is_iso8601[mp3-44k]", "corpus[mp3-44k]"),
    ("test_file.py::test_x[a[b]]", "corpus[a[b]]"),  # the id is everything between the first [ and the last ]
    ("test_rejections.py::test_refused[mp3-44k]", "refusal[mp3-44k]"),  # another cache: not the corpus row
    ("test_upload.py::test_alias_absent", "test_upload.py"),  # no row: the module
    ("test_properties.py::test_stateless[GET /user]", "test_properties.py::test_stateless[GET /user]"),
    ("test_list.py::test_page[2]", "test_list.py"),  # a module fixture: the whole module
    ("test_access.py::test_access[anonymous-list-own_space]", "test_access.py"),
    ("test_new_module.py::test_x[1]", "test_new_module.py"),  # unknown: the safe choice
])
def test_a_test_belongs_to_the_unit_of_what_it_shares(nodeid: str, unit: str) -> None:
    assert unit_of(nodeid) == unit
    if not nodeid.startswith("test_access.py"):
        assert unit_of(nodeid, across_runners=True) == unit, "a shard keeps the same units"


def test_across_runners_the_access_cells_go_one_by_one() -> None:
    cell = "test_access.py::test_access[anonymous-list-own_space]"
    assert unit_of(cell, across_runners=True) == cell


@pytest.mark.parametrize("dist", ["loadscope", "loadgroup", "worksteal", "each", "no"])
def test_a_deal_the_user_chose_is_left_to_xdist(dist: str) -> None:
    assert make_scheduler(SimpleNamespace(option=SimpleNamespace(dist=dist)), None) is None


def test_the_tables_name_scenario_modules_that_exist() -> None:
    modules = {path.name for path in SCENARIOS.glob("test_*.py")}
    assert set(BY_ROW) | ALONE | ALONE_ACROSS_RUNNERS <= modules
    assert not set(BY_ROW) & (ALONE | ALONE_ACROSS_RUNNERS)


def test_every_corpus_row_of_a_run_is_one_unit_across_upload_details_and_file(plan: list[dict[str, object]]) -> None:
    """The ids must agree across the modules, or a row's upload is made again in each worker that reads it."""
    modules_of: dict[str, set[str]] = defaultdict(set)
    for item in plan:
        nodeid = str(item["nodeid"])
        modules_of[unit_of(nodeid)].add(nodeid.split("::")[0].rsplit("/", 1)[-1])
    corpus = {unit: modules for unit, modules in modules_of.items() if unit.startswith("corpus[")}
    assert len(corpus) > 10
    assert all(modules == {"test_upload.py", "test_details.py", "test_file.py"} for modules in corpus.values()), corpus
    refusals = [unit for unit in modules_of if unit.startswith("refusal[")]
    assert len(refusals) > 10
    assert len(modules_of) < len(plan) / 3  # the deal is in units, not one test at a time
