"""`shotscript emulate`: flags, errors, another region and an explicit key list."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from shotscript.cli import cli
from tests.emulator.emulator_helpers import create, created_id, seed_payload, wait_for
from tests.emulator_process import Emulator, emulator_fixture, start_emulator


def test_emulate_is_a_command_with_the_documented_flags() -> None:
    runner = CliRunner()
    assert "emulate" in runner.invoke(cli, ["--help"]).output
    result = runner.invoke(cli, ["emulate", "--help"])
    assert result.exit_code == 0
    for flag in ("--host", "--port", "--time-scale", "--gen-seconds", "--seed", "--faults",
                 "--max-running", "--create-rps", "--poll-rps", "--keys", "--region"):  # fmt: skip
        assert flag in result.output


@pytest.mark.parametrize(
    "args",
    [["--faults", "404=0.1"], ["--faults", "429=2"], ["--region", "mars"], ["--time-scale", "0"]],
)
def test_bad_flags_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["emulate", *args])
    assert result.exit_code == 2


def test_helper_refuses_to_choose_the_address_for_you() -> None:
    with pytest.raises(ValueError):
        start_emulator("--port", "80")


def test_helper_reports_an_emulator_that_cannot_start() -> None:
    with pytest.raises(RuntimeError, match="exited"):
        start_emulator("--faults", "nonsense")


# The fixture factory other test suites use: one process for this module.
virginia = emulator_fixture(
    "--region", "virginia", "--keys", "key-one,key-two", "--gen-seconds", "0.3", scope="module"
)


def client(emu: Emulator, key: str) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {key}"})


def test_only_listed_keys_are_accepted(virginia: Emulator) -> None:
    body = seed_payload("smartwatch")
    body["model"] = "wan2.6-r2v"
    with client(virginia, "key-three") as stranger:
        assert create(stranger, body).json()["code"] == "InvalidApiKey"
    with client(virginia, "key-two") as known:
        assert create(known, body).status_code == 200


def test_region_rules(virginia: Emulator) -> None:
    with client(virginia, "key-one") as api:
        flash = seed_payload("smartwatch")
        response = create(api, flash)
        assert (response.status_code, response.json()["code"]) == (404, "ModelNotFound")
        wan27 = {"model": "wan2.7-r2v", "input": {"prompt": "视频1", "media": [{"type": "reference_video",
                 "url": "https://example.com/v.mp4"}]}}  # fmt: skip
        response = create(api, wan27)  # no 2.7 model in Virginia
        assert (response.status_code, response.json()["code"]) == (404, "ModelNotFound")
        body = seed_payload("smartwatch")
        body["model"] = "wan2.6-r2v"
        body["parameters"]["duration"] = 6  # only 5 or 10 here
        assert create(api, body).status_code == 400
        body["parameters"]["duration"] = 5
        body["input"]["reference_urls"].append("https://example.com/role.png")  # no images here
        assert create(api, body).status_code == 400
        body["input"]["reference_urls"].pop()
        answer = wait_for(api, created_id(api, body))
        assert answer["output"]["task_status"] == "SUCCEEDED"
        assert api.get("/tasks").json()["data"][0]["region"] == "us-east-1"
        policy = api.get("/uploads", params={"action": "getPolicy", "model": "wan2.6-r2v"})
        assert (policy.status_code, policy.json()["code"]) == (403, "AccessDenied")


# Runs in a fresh interpreter where importing the extra's modules fails from the start, as
# after `pip install shotscript` without `[emulator]`.
WITHOUT_EXTRA = """
import importlib.abc, sys
MISSING = sys.argv[1].split(",")
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Missing())
if sys.argv[2] == "module":
    import runpy
    sys.argv = ["python -m shotscript.emulator", "--port", "0"]
    runpy.run_module("shotscript.emulator", run_name="__main__")
else:
    from shotscript.cli import cli
    cli(["emulate", "--port", "0"])
"""


@pytest.mark.parametrize(
    ("missing", "entry"),
    [("starlette,uvicorn", "cli"), ("starlette", "cli"), ("uvicorn", "module")],
)
def test_without_the_extra_one_error_line_names_the_install_command(missing: str, entry: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, missing, entry], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), run.stderr
    assert "pip install 'shotscript[emulator]'" in lines[0]
    assert any(name in lines[0] for name in missing.split(","))
    assert run.stdout == ""


def test_realistic_timing_is_the_default_and_flags_show_it() -> None:
    result = CliRunner().invoke(cli, ["emulate", "--help"])
    assert "--timing" in result.output and "[default: realistic]" in result.output
    assert CliRunner().invoke(cli, ["emulate", "--timing", "gaussian"]).exit_code == 2
