"""The emulator's API over real HTTP: answer shapes, validation, cancel, list, stats."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.emulator_helpers import (
    CREATE_PATH,
    KEY,
    create,
    created_id,
    seed_payload,
    status_of,
    wait_for,
)
from tests.emulator_process import Emulator

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def error_of(response: httpx.Response) -> tuple[int, str]:
    """(HTTP status, code) of a DashScope-style error answer, checking its shape."""
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}, body
    assert body["message"] and body["request_id"]
    return response.status_code, body["code"]


def test_create_answer_shape(api: httpx.Client) -> None:
    response = create(api, seed_payload("multi-character"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"output", "request_id"}
    assert body["output"]["task_status"] == "PENDING"
    assert UUID.match(body["output"]["task_id"])


def test_task_runs_to_success_with_the_documented_fields(api: httpx.Client) -> None:
    task_id = created_id(api, seed_payload("multi-character"))
    seen = set()
    answer = wait_for(api, task_id, lambda a: seen.add(status_of(a)) or status_of(a) == "SUCCEEDED")
    assert seen <= {"PENDING", "RUNNING", "SUCCEEDED"} and "RUNNING" in seen
    out = answer["output"]
    assert out["task_id"] == task_id
    for name in ("submit_time", "scheduled_time", "end_time"):
        assert TIME.match(out[name]), out[name]
    assert out["submit_time"] <= out["scheduled_time"] <= out["end_time"]
    assert out["orig_prompt"] == seed_payload("multi-character")["input"]["prompt"]
    assert out["video_url"].startswith("http://127.0.0.1:")
    # 2 videos among 4 references: each counts 5/4 s, plus 10 s of output
    assert answer["usage"] == {
        "duration": 12.5,
        "input_video_duration": 2.5,
        "output_video_duration": 10,
        "size": "1280*720",
        "SR": 720,
        "video_count": 1,
    }


def test_running_answer_has_no_result(api: httpx.Client) -> None:
    task_id = created_id(api, seed_payload())
    answer = wait_for(api, task_id, lambda a: status_of(a) != "PENDING")
    if status_of(answer) == "RUNNING":
        assert "video_url" not in answer["output"] and "usage" not in answer
        assert "scheduled_time" in answer["output"] and "end_time" not in answer["output"]


def test_wrong_size_is_accepted_then_fails_when_polled(api: httpx.Client) -> None:
    body = seed_payload()
    body["parameters"]["size"] = "1280x720"
    response = create(api, body)
    assert response.status_code == 200
    task_id = response.json()["output"]["task_id"]
    assert status_of(api.get(f"/tasks/{task_id}").json()) == "PENDING"
    answer = wait_for(api, task_id)
    assert status_of(answer) == "FAILED"
    assert answer["output"]["code"] == "InvalidParameter"
    assert "1280x720" in answer["output"]["message"]
    assert "usage" not in answer and "video_url" not in answer["output"]


def test_long_prompts_are_truncated_not_refused(api: httpx.Client) -> None:
    body = seed_payload()
    body["input"]["prompt"] = "字" * 1600
    task_id = created_id(api, body)
    answer = wait_for(api, task_id)
    assert answer["output"]["orig_prompt"] == "字" * 1500


@pytest.mark.parametrize(
    ("marker", "code"), [("[[moderate]]", "DataInspectionFailed"), ("[[ip]]", "IPInfringementSuspect")]
)
def test_moderation_markers_fail_the_task(api: httpx.Client, marker: str, code: str) -> None:
    body = seed_payload()
    body["input"]["prompt"] += marker
    answer = wait_for(api, created_id(api, body))
    assert status_of(answer) == "FAILED" and answer["output"]["code"] == code


def test_unreachable_reference_fails_after_submission(api: httpx.Client) -> None:
    body = seed_payload()
    body["input"]["reference_urls"] = ["https://cdn.example.com/unreachable/role.png"]
    answer = wait_for(api, created_id(api, body))
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"


def _mutated(change: Any) -> dict[str, Any]:
    body = seed_payload()
    change(body)
    return body


VIDEO = "https://example.com/v.mp4"
IMAGE = "https://example.com/i.png"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ([1, 2], 400, "InvalidParameter"),
        (_mutated(lambda b: b.pop("model")), 400, "InvalidParameter"),
        (_mutated(lambda b: b.update(model="wan2.5-i2v")), 404, "ModelNotFound"),
        (_mutated(lambda b: b.pop("input")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].pop("prompt")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].update(prompt="  ")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].pop("reference_urls")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].update(reference_urls=[])), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].update(reference_urls=[IMAGE] * 6)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].update(reference_urls=[VIDEO] * 4)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["input"].update(reference_urls=["ftp://x/a.png"])), 400, "InvalidURL"),
        (
            _mutated(lambda b: b["input"].update(reference_urls=["https://x/a.gif"])),
            415,
            "BadRequest.UnsupportedFileFormat",
        ),
        (_mutated(lambda b: b["input"].update(reference_urls=["oss://d/a.png"])), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(duration=11)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(duration=5.0)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(duration=True)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(size=1280)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(shot_type="many")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(watermark="yes")), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(seed=-1)), 400, "InvalidParameter"),
        (_mutated(lambda b: b["parameters"].update(seed=2**31)), 400, "InvalidParameter"),
        (_mutated(lambda b: b.update(model="wan2.6-r2v")), 400, "InvalidParameter"),  # audio=false
        (_mutated(lambda b: b.update(parameters=[])), 400, "InvalidParameter"),
    ],
)
def test_requests_the_service_refuses_at_creation(
    api: httpx.Client, emulator: Emulator, body: Any, status: int, code: str
) -> None:
    assert error_of(create(api, body)) == (status, code)
    stats = emulator.stats()
    assert stats["creates"] == 0 and stats["errors"] == 1


def test_accepted_edge_values(api: httpx.Client) -> None:
    body = seed_payload()
    body["input"]["reference_urls"] = [VIDEO] * 3 + [IMAGE] * 2
    body["input"]["negative_prompt"] = "x" * 900  # truncated silently
    body["parameters"].update(seed=0, duration=2, prompt_extend=False, unknown_knob=1)
    assert create(api, body).status_code == 200
    body.pop("parameters")  # every parameter has a default
    assert create(api, body).status_code == 200


def test_not_json_and_headers(api: httpx.Client) -> None:
    response = api.post(CREATE_PATH, content=b"{", headers={"X-DashScope-Async": "enable"})
    assert error_of(response) == (400, "InvalidParameter")
    sync = api.post(CREATE_PATH, json=seed_payload())  # no X-DashScope-Async
    assert error_of(sync) == (403, "AccessDenied")
    assert "synchronous" in sync.json()["message"]


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer badkey-1234", "Basic abc"])
def test_api_keys_are_checked(emulator: Emulator, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
        assert error_of(create(client, seed_payload())) == (401, "InvalidApiKey")
        assert error_of(client.get("/tasks/abc")) == (401, "InvalidApiKey")


def test_tasks_belong_to_their_key(api: httpx.Client, emulator: Emulator) -> None:
    task_id = created_id(api, seed_payload())
    with httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer other"}) as other:
        assert status_of(other.get(f"/tasks/{task_id}").json()) == "UNKNOWN"
        assert other.get("/tasks").json()["total"] == 0


def test_unknown_task_is_unknown(api: httpx.Client) -> None:
    response = api.get("/tasks/no-such-task")
    assert response.status_code == 200
    assert response.json()["output"] == {"task_id": "no-such-task", "task_status": "UNKNOWN"}


def test_unknown_routes_answer_json(api: httpx.Client) -> None:
    assert error_of(api.get("/services/nope")) == (404, "NotFound")
    assert error_of(api.delete("/tasks/x")) == (405, "MethodNotAllowed")


def test_cancel_only_pending(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(gen_seconds=2.0)  # 0.2 s in the queue: time enough to cancel
    task_id = created_id(api, seed_payload())
    response = api.post(f"/tasks/{task_id}/cancel")
    assert response.status_code == 200 and set(response.json()) == {"request_id"}
    answer = api.get(f"/tasks/{task_id}").json()
    assert status_of(answer) == "CANCELED" and "end_time" in answer["output"]
    assert "scheduled_time" not in answer["output"]
    running = created_id(api, seed_payload("smartwatch"))
    wait_for(api, running, lambda a: status_of(a) != "PENDING")
    assert error_of(api.post(f"/tasks/{running}/cancel")) == (400, "UnsupportedOperation")
    assert error_of(api.post("/tasks/nope/cancel")) == (400, "UnsupportedOperation")


def test_list_shape_filters_and_pages(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(gen_seconds=5.0)  # still PENDING when canceled below
    ids = [created_id(api, seed_payload(name)) for name in ("silent-dance", "smartwatch", "multi-character")]
    api.post(f"/tasks/{ids[0]}/cancel")
    page = api.get("/tasks", params={"page_no": 1, "page_size": 2}).json()
    assert set(page) == {"request_id", "data", "total", "total_page", "page_no", "page_size"}
    assert (page["total"], page["total_page"], page["page_no"], page["page_size"]) == (3, 2, 1, 2)
    assert [row["task_id"] for row in page["data"]] == ids[:0:-1]  # newest first
    row = page["data"][0]
    assert row["status"] in ("PENDING", "RUNNING") and row["model_name"] == "wan2.6-r2v-flash"
    assert row["region"] == "cn-beijing" and isinstance(row["gmt_create"], int)
    assert KEY not in str(page)  # keys never show, only an id derived from them
    second = api.get("/tasks/", params={"page_no": 2, "page_size": 2}).json()
    assert [row["task_id"] for row in second["data"]] == ids[:1]
    canceled = api.get("/tasks", params={"status": "CANCELED"}).json()
    assert [row["task_id"] for row in canceled["data"]] == ids[:1]
    assert api.get("/tasks", params={"model_name": "wan2.6-r2v"}).json()["total"] == 0
    assert api.get("/tasks", params={"task_id": ids[1]}).json()["total"] == 1


def test_list_time_window(api: httpx.Client) -> None:
    created_id(api, seed_payload())
    beijing = timezone(timedelta(hours=8))
    now = datetime.now(beijing)
    fmt = "%Y%m%d%H%M%S"

    def listed(start: datetime, end: datetime) -> httpx.Response:
        return api.get("/tasks", params={"start_time": start.strftime(fmt), "end_time": end.strftime(fmt)})

    assert listed(now - timedelta(minutes=1), now).json()["total"] == 1
    assert listed(now - timedelta(hours=2), now - timedelta(hours=1)).json()["total"] == 0
    assert error_of(listed(now - timedelta(hours=25), now)) == (400, "InvalidParameter")
    assert error_of(api.get("/tasks", params={"start_time": "yesterday"})) == (400, "InvalidParameter")
    assert error_of(api.get("/tasks", params={"page_size": "0"})) == (400, "InvalidParameter")


def test_stats_count_duplicates(api: httpx.Client, emulator: Emulator) -> None:
    body = seed_payload("smartwatch")
    created_id(api, body)
    created_id(api, seed_payload("silent-dance"))
    sdk_style = seed_payload("smartwatch")
    sdk_style["input"].update(function="video-synthesis", extend_prompt=True)
    created_id(api, sdk_style)  # the same story, as the SDK sends it
    stats = emulator.stats()
    assert (stats["creates"], stats["duplicate_creates"], stats["create_requests"]) == (3, 1, 3)
    api.get("/tasks/x")
    assert emulator.stats()["polls"] == 1
    emulator.reset()
    assert emulator.stats()["creates"] == 0


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
URLS = st.sampled_from(
    [VIDEO, IMAGE, "oss://d/a.png", "https://x/a.gif", "x", "", "https://x/unreachable.png"]
)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["wan2.6-r2v-flash", "wan2.6-r2v", "other"]) | JSON,
        "input": st.fixed_dictionaries(
            {},
            optional={
                "prompt": st.text(max_size=30) | JSON,
                "negative_prompt": st.text(max_size=30) | JSON,
                "reference_urls": st.lists(URLS | JSON, max_size=7) | JSON,
            },
        )
        | JSON,
        "parameters": st.fixed_dictionaries(
            {},
            optional={
                name: JSON | st.sampled_from(values)
                for name, values in {
                    "size": ["1280*720", "1920*1080", "7*7"],
                    "duration": [2, 5, 10, 11],
                    "audio": [True, False],
                    "shot_type": ["single", "multi"],
                    "watermark": [True, False],
                    "seed": [0, 2**31 - 1],
                }.items()
            },
        )
        | JSON,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES | JSON)
def test_any_create_body_gets_an_answer_never_a_crash(
    api: httpx.Client, emulator: Emulator, body: Any
) -> None:
    emulator.reset(create_rps=1e6, max_running=10**6)
    response = create(api, body)
    assert response.status_code in (200, 400, 404, 415), response.text
    if response.status_code != 200:
        error_of(response)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["page_no", "page_size", "start_time", "end_time", "status", "model_name", "task_id"]
        ),
        st.text(max_size=16),
        max_size=4,
    )
)
def test_any_list_query_gets_an_answer(api: httpx.Client, emulator: Emulator, params: dict[str, str]) -> None:
    emulator.reset(poll_rps=1e6)
    response = api.get("/tasks", params=params)
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"model": "wan2.6-r2v-flash", "input": {"prompt": "\\ud800", "reference_urls": ["https://x/a.png"]}}',
        b"[" * 100_000,
        b"\xff\xfe",
        b"",
    ],
)
def test_malformed_json_is_refused(api: httpx.Client, raw: bytes) -> None:
    response = api.post(CREATE_PATH, content=raw, headers={"X-DashScope-Async": "enable"})
    assert error_of(response) == (400, "InvalidParameter")
