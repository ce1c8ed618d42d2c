"""Accounts: several keys share tasks, uploads and quotas; the test controls that make
another key of the account create a task at the worst moment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.emulator.emulator_helpers import create, created_id, seed_payload, status_of, wait_for
from tests.emulator.test_emulator_uploads import RESOLVE, uploaded, with_refs
from tests.emulator_process import Emulator, start_emulator

OURS, THEIRS, STRANGER = "sk-team-ours-0001", "sk-team-theirs-0002", "sk-elsewhere-0003"


def client(emulator: Emulator, key: str) -> httpx.Client:
    return httpx.Client(base_url=emulator.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


@pytest.fixture
def team(emulator: Emulator) -> Iterator[tuple[httpx.Client, httpx.Client, httpx.Client]]:
    """Clients for two keys of one account and for a key of another account."""
    emulator.reset(accounts={"team": [OURS, THEIRS]}, gen_seconds=30.0)  # tasks stay in progress
    ours, theirs, other = (client(emulator, key) for key in (OURS, THEIRS, STRANGER))
    with ours, theirs, other:
        yield ours, theirs, other


def listed(api: httpx.Client) -> list[str]:
    return [row["task_id"] for row in api.get("/tasks").json()["data"]]


def test_every_key_of_the_account_sees_every_task(team: tuple[httpx.Client, ...]) -> None:
    ours, theirs, other = team
    mine = created_id(ours, seed_payload("smartwatch"))
    yours = created_id(theirs, seed_payload("multi-character"))
    assert listed(ours) == listed(theirs) == [yours, mine]  # newest first, both keys
    assert listed(other) == []
    assert status_of(theirs.get(f"/tasks/{mine}").json()) == "PENDING"  # polled with another key
    assert status_of(other.get(f"/tasks/{mine}").json()) == "UNKNOWN"
    rows = ours.get("/tasks").json()["data"]
    assert rows[0]["caller_uid"] == rows[1]["caller_uid"]  # one account …
    assert rows[0]["api_key_id"] != rows[1]["api_key_id"]  # … two keys
    assert all("orig_prompt" not in row and "prompt" not in str(row) for row in rows)
    assert OURS not in str(rows) and THEIRS not in str(rows)  # ids, never the keys themselves
    assert theirs.post(f"/tasks/{mine}/cancel").status_code == 200


def test_quotas_are_the_accounts(emulator: Emulator, team: tuple[httpx.Client, ...]) -> None:
    ours, theirs, other = team
    emulator.reset(accounts={"team": [OURS, THEIRS]}, gen_seconds=30.0, max_running=2)
    created_id(ours, seed_payload("smartwatch"))
    created_id(theirs, seed_payload("smartwatch"))
    refused = create(ours, seed_payload("smartwatch"))
    assert (refused.status_code, refused.json()["code"]) == (429, "Throttling.AllocationQuota")
    assert create(other, seed_payload("smartwatch")).status_code == 200  # another account's quota


def test_orig_prompt_only_once_succeeded(emulator: Emulator, team: tuple[httpx.Client, ...]) -> None:
    ours, theirs, _ = team
    body = seed_payload("smartwatch")
    in_progress = theirs.get(f"/tasks/{created_id(ours, body)}").json()  # 30 s to go
    assert status_of(in_progress) in ("PENDING", "RUNNING")
    assert "orig_prompt" not in in_progress["output"] and "video_url" not in in_progress["output"]
    emulator.reset(accounts={"team": [OURS, THEIRS]}, gen_seconds=0.2)
    answer = wait_for(theirs, created_id(ours, body), lambda a: status_of(a) == "SUCCEEDED")
    assert answer["output"]["orig_prompt"] == body["input"]["prompt"]


def test_uploads_belong_to_the_account(
    emulator: Emulator, team: tuple[httpx.Client, ...], tmp_path: Path
) -> None:
    ours, theirs, other = team
    emulator.reset(accounts={"team": [OURS, THEIRS]}, gen_seconds=None)  # about a second
    picture = tmp_path / "role.png"
    Image.new("RGB", (320, 480), (200, 80, 40)).save(picture)
    url = uploaded(ours, picture)
    assert status_of(wait_for(theirs, created_id(theirs, with_refs(url), **RESOLVE))) == "SUCCEEDED"
    answer = wait_for(other, created_id(other, with_refs(url), **RESOLVE))
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"


def test_another_key_creates_now(emulator: Emulator, team: tuple[httpx.Client, ...]) -> None:
    ours, _, _ = team
    body = seed_payload("smartwatch")
    injected = emulator.create_as(THEIRS, body, prompt="someone else's story")
    assert injected is not None and listed(ours) == [injected]
    stats = emulator.stats()
    assert (stats["creates"], stats["injected"]) == (0, [injected])  # not one of the clients' creates
    assert created_id(ours, body) != injected
    assert emulator.stats()["duplicate_creates"] == 0  # the same body as theirs is not our duplicate


@pytest.mark.parametrize(("fault", "created"), [("500", False), ("500", True), ("reset", True)])
def test_another_key_creates_while_our_create_is_unknown(
    emulator: Emulator, team: tuple[httpx.Client, ...], fault: str, created: bool
) -> None:
    ours, _, _ = team
    body = seed_payload("smartwatch")
    assert emulator.create_as(THEIRS, when="next_create") is None  # copies our body
    assert emulator.stats()["armed"] == 1
    emulator.fail_next_create(fault, created=created)
    if fault == "reset":
        with pytest.raises(httpx.TransportError):
            create(ours, body)
    else:
        assert create(ours, body).status_code == 500
    stats = emulator.stats()
    assert (stats["creates"], stats["armed"], len(stats["injected"]), stats["faults"][fault]) == (
        int(created), 0, 1, 1
    )  # fmt: skip
    rows = ours.get("/tasks").json()["data"]
    assert len(rows) == 1 + int(created)
    assert {r["model_name"] for r in rows} == {body["model"]}
    assert rows[0]["task_id"] == stats["injected"][0]  # theirs is the newest
    assert create(ours, body).status_code == 200  # the forced fault was for one create only


def test_armed_create_waits_for_another_key(emulator: Emulator, team: tuple[httpx.Client, ...]) -> None:
    ours, theirs, _ = team
    emulator.create_as(THEIRS, seed_payload("multi-character"), when="next_create")
    created_id(theirs, seed_payload("smartwatch"))  # their own create does not fire it
    assert emulator.stats()["armed"] == 1
    created_id(ours, seed_payload("smartwatch"))
    assert emulator.stats()["armed"] == 0
    models = [r["model_name"] for r in ours.get("/tasks").json()["data"]]
    assert len(models) == 3


@pytest.mark.parametrize(
    "options",
    [{"key": "bad-key", "body": {}}, {"key": THEIRS}, {"key": THEIRS, "body": {}, "when": "later"}, {}],
)
def test_create_as_refuses_bad_options(emulator: Emulator, options: dict[str, object]) -> None:
    emulator.reset(accounts={"team": [OURS, THEIRS]})
    response = httpx.post(emulator.root_url + "/_emulator/create_as", json=options)
    assert response.status_code in (400, 401), response.text
    assert emulator.stats()["injected"] == []


def test_bad_accounts_are_refused(emulator: Emulator) -> None:
    for accounts in ({"a": [OURS], "b": [OURS]}, {"a": []}, ["nonsense"]):
        response = httpx.post(emulator.root_url + "/_emulator/reset", json={"accounts": accounts})
        assert response.status_code == 400, accounts
    assert OURS not in emulator.log()


def test_accounts_on_the_command_line() -> None:
    with start_emulator("--gen-seconds", "30", accounts={"team": [OURS, THEIRS]}) as emu:
        with client(emu, OURS) as ours, client(emu, THEIRS) as theirs:
            mine = created_id(ours, seed_payload("smartwatch"))
            assert listed(theirs) == [mine]
        log = emu.log()
    assert OURS not in log and THEIRS not in log
