"""`shotscript emulate`: flags, errors, another region and an explicit key list."""

from __future__ import annotations

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
