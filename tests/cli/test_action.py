"""action.yml, run as GitHub would run its shell steps, on this machine: inputs substituted, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and RUNNER_TEMP as files. The steps that are other actions (setup-python, upload-artifact)
and the install step (the suite is installed already) are left out; everything the action itself decides runs:
the arguments it builds, the verdict and exit code it outputs, the comparison and the job summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def _run_steps(tmp_path: Path, inputs: dict[str, str]) -> tuple[dict[str, str], str, int]:
    """Each shell step of the action in order (``if:`` honoured for ``always()`` and ``inputs.previous``); returns
    the outputs, the job summary and the last step's exit code."""
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    output, summary, temp = tmp_path / "output", tmp_path / "summary.md", tmp_path / "runner-temp"
    output.touch()
    summary.touch()
    temp.mkdir()
    outputs: dict[str, str] = {}
    code = 0
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("id") == "install":
            continue
        condition = step.get("if", "")
        if "inputs.previous != ''" in condition and not values["previous"]:
            continue

        def substitute(text: str) -> str:
            text = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], text)
            return re.sub(r"\$\{\{\s*steps\.certify\.outputs\.([\w-]+)\s*\}\}", lambda m: outputs.get(m.group(1), ""),
                          text)

        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
        env |= {k: substitute(str(v)) for k, v in step.get("env", {}).items()}
        env |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # the suite's script
        result = subprocess.run(["bash", "-e", "-c", substitute(step["run"])], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=900)
        code = result.returncode
        for line in output.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        if step.get("id") == "certify":
            assert result.returncode == 0, result.stderr[-2000:]  # the certify step itself never fails the job
    return outputs, summary.read_text(encoding="utf-8"), code


@pytest.mark.slow
def test_the_action_certifies_reports_and_fails_the_job_on_a_failure(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    outputs, summary, code = _run_steps(good, {"args": "-q -k WAV-SAME-SOUND"})
    assert code == 0 and outputs["exit-code"] == "0"
    assert outputs["verdict"].startswith("PARTIAL: 1 of 71 requirements run, all passed")
    assert summary.startswith("## Voice API conformance: PARTIAL") and "| verdict | conforms |" in summary
    previous = good / "conformance-reports" / "certification.json"
    outputs, summary, code = _run_steps(bad, {"args": "-q -k WAV-SAME-SOUND --reference-fault silent-wav",
                                              "previous": str(previous)})
    assert code == 1 and outputs["exit-code"] == "1" and "fails WAV-SAME-SOUND" in outputs["verdict"]
    assert "### Failed" in summary and "`WAV-SAME-SOUND` | MUST |" in summary
    assert (bad / "conformance-reports" / "diff.json").is_file()  # compared with the previous certification
