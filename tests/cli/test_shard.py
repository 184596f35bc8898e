"""``--shard K/N`` and ``conformance merge``: N shares of one run, merged, say what one run says.

The shares are dealt deterministically (``conformance/shard.py``) and the merge judges every shard's rows together
with the one judge (``conformance/merge.py``), so two shards merged give the same verdict, level and
per-requirement outcomes as a single run, here against a planted fault so that failures, undecided checks and
passes all have to agree.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance.shard import ShardError, assign, group_of, parse
from tests.cli.test_cli import conformance, one_clear_line

FAULT = "wav-stereo"


def test_every_check_goes_to_exactly_one_shard_with_its_row_and_the_split_is_balanced() -> None:
    nodeids = [f"test_file.py::test_{name}[media-{m}]" for name in ("a", "b", "c") for m in range(7)]
    nodeids += [f"test_auth.py::test_{n}" for n in range(5)] + [f"test_list.py::test_{n}" for n in range(4)]
    for count in (1, 2, 3, 5):
        shard_of = assign(nodeids, count)
        assert set(shard_of) == set(nodeids) and set(shard_of.values()) <= set(range(1, count + 1))
        assert assign(list(reversed(nodeids)), count) == shard_of, "the same on every runner, whatever the order"
        for group in {group_of(n) for n in nodeids}:
            assert len({shard_of[n] for n in nodeids if group_of(n) == group}) == 1, "a row stays together"
        loads = [sum(1 for s in shard_of.values() if s == k) for k in range(1, count + 1)]
        assert max(loads) - min(loads) <= 5, loads  # no more than the largest group apart
    assert group_of("test_file.py::test_a[media-1]") == group_of("test_upload.py::test_b[media-1]")
    assert group_of("test_auth.py::test_x") == group_of("test_auth.py::test_y[bearer]")
    assert group_of("test_access.py::test_access[a]") != group_of("test_access.py::test_access[b]")


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/65", "-1/2", ""])
def test_a_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(ShardError):
        parse(text)


def _run(tmp_path: Path, name: str, *args: str) -> tuple[object, dict]:
    reports = tmp_path / name
    done = conformance("run", "--reports", str(reports), "--reference-fault", FAULT, "-q", *args, cwd=tmp_path)
    return done, json.loads((reports / "certification.json").read_text(encoding="utf-8"))


def test_two_shards_merged_give_the_verdict_and_outcomes_of_one_run(tmp_path: Path) -> None:
    with ThreadPoolExecutor(3) as pool:
        single_f = pool.submit(_run, tmp_path, "single")
        first_f = pool.submit(_run, tmp_path, "shard1", "--shard", "1/2")
        second_f = pool.submit(_run, tmp_path, "shard2", "--shard", "2/2")
    (_, single), (first_run, first), (_, second) = single_f.result(), first_f.result(), second_f.result()
    assert first["shard"] == {"index": 1, "count": 2} and first["level"] is None
    assert first_run.stdout.strip().splitlines()[-1].startswith("SHARD 1/2: ")
    ids = {row["nodeid"] for row in first["tests"]}
    assert ids and not ids & {row["nodeid"] for row in second["tests"]}, "no check runs twice"
    out = tmp_path / "merged" / "certification.json"
    done = conformance("merge", str(tmp_path / "shard1" / "certification.json"),
                       str(tmp_path / "shard2" / "certification.json"), "--out", str(out), cwd=tmp_path)
    merged = json.loads(out.read_text(encoding="utf-8"))
    assert done.returncode == 1, done.stderr  # the fault fails, as in the single run
    assert merged["verdict"] == single["verdict"] == "does not conform"
    assert merged["level"] == single["level"]
    assert {k: v["outcome"] for k, v in merged["requirements"].items()} == \
        {k: v["outcome"] for k, v in single["requirements"].items()}
    assert sorted(merged["failed_requirements"]) == sorted(single["failed_requirements"])
    assert len(merged["tests"]) == len(single["tests"])
    assert merged["shard"] is None and [m["index"] for m in merged["merged_from"]] == [1, 2]
    assert "merged from 2 shards" in done.stdout and "WAV-FORMAT" in done.stdout
    _refusals(tmp_path, first, second)


def _refusals(tmp_path: Path, first: dict, second: dict) -> None:
    """What cannot be merged is refused in one sentence (exit 2)."""
    def write(name: str, data: dict) -> str:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    a, b = write("a", first), write("b", second)
    cases = [
        ((a,), "at least two shards"),
        ((a, a), "every shard from 1 to 2"),
        ((a, write("other-seed", {**second, "seed": 1})), "their seed differs"),
        ((a, write("other-profile", {**second, "profile": {**second["profile"], "processing": "async"}})),
         "their profile differs"),
        ((a, write("whole", {**second, "shard": None})), "not the certification of a shard"),
        ((a, write("old", {k: v for k, v in second.items() if k != "schema_version"})), "no schema_version"),
        ((a, b, "--out", a), "is one of the shards"),
        ((a, str(tmp_path / "missing.json")), "not a readable certification.json"),
    ]
    for args, says in cases:
        done = conformance("merge", *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout)
        assert says in one_clear_line(done.stderr), (args, done.stderr)


def test_a_bad_shard_option_is_one_clear_sentence(tmp_path: Path) -> None:
    done = conformance("run", "--shard", "3/2", "--reports", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--shard must be K/N" in one_clear_line(done.stderr)
