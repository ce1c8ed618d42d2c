"""Temporary upload: policy, OSS-style multipart upload, and `oss://` references in creates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from shotscript.emulator.media import make_mp4
from tests.emulator.emulator_helpers import create, created_id, seed_payload, status_of, wait_for
from tests.emulator_process import Emulator

FLASH = "wan2.6-r2v-flash"
RESOLVE = {"X-DashScope-OssResourceResolve": "enable"}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reference files: a good image and video, and files the service would refuse."""
    folder = tmp_path_factory.mktemp("media")
    files = {
        "role.png": Image.new("RGB", (320, 480), (200, 80, 40)),
        "tiny.png": Image.new("RGB", (100, 100), (0, 0, 0)),
        "alpha.png": Image.new("RGBA", (300, 300), (0, 0, 0, 0)),
    }
    for name, image in files.items():
        image.save(folder / name)
    make_mp4(folder / "role.mp4", 320, 240, 2, audio=False)
    make_mp4(folder / "long.mp4", 64, 64, 31, audio=False)  # references last at most 30 s
    return {p.name: p for p in folder.iterdir()}


def policy(api: httpx.Client, model: str = FLASH) -> dict[str, Any]:
    """Step 1: a fresh upload policy (the `data` of the answer)."""
    response = api.get("/uploads", params={"action": "getPolicy", "model": model})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"request_id", "data"}
    return body["data"]  # type: ignore[no-any-return]


def form_of(data: dict[str, Any], name: str, **overrides: str) -> dict[str, str]:
    """The form fields the SDK sends for one file."""
    form = {
        "OSSAccessKeyId": data["oss_access_key_id"],
        "Signature": data["signature"],
        "policy": data["policy"],
        "key": f"{data['upload_dir']}/{name}",
        "x-oss-object-acl": data["x_oss_object_acl"],
        "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"],
        "success_action_status": "200",
    }
    form.update(overrides)
    return form


def upload(data: dict[str, Any], path: Path, **overrides: str) -> httpx.Response:
    """Step 2: POST the file to the upload host."""
    form = form_of(data, path.name, **overrides)
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    return httpx.post(data["upload_host"], data=form, files=files, timeout=10)


def uploaded(api: httpx.Client, path: Path, model: str = FLASH) -> str:
    """Upload one file; return its `oss://` URL."""
    data = policy(api, model)
    response = upload(data, path)
    assert response.status_code == 200, response.text
    return f"oss://{data['upload_dir']}/{path.name}"


def with_refs(*urls: str) -> dict[str, Any]:
    body = seed_payload()
    body["input"]["reference_urls"] = list(urls)
    return body


def test_policy_fields_point_back_at_the_emulator(api: httpx.Client, emulator: Emulator) -> None:
    data = policy(api)
    assert data["upload_host"] == f"{emulator.root_url}/_oss"
    for name in ("policy", "signature", "upload_dir", "oss_access_key_id"):
        assert isinstance(data[name], str) and data[name]
    assert data["x_oss_object_acl"] == "private" and data["x_oss_forbid_overwrite"] == "true"
    assert data["expire_in_seconds"] > 0 and data["max_file_size_mb"] == 100
    assert api.get("/uploads", params={"action": "other", "model": FLASH}).status_code == 400
    assert api.get("/uploads", params={"action": "getPolicy"}).status_code == 400


def test_upload_then_use_with_the_resolve_header(
    api: httpx.Client, emulator: Emulator, media: dict[str, Path]
) -> None:
    image = uploaded(api, media["role.png"])
    video = uploaded(api, media["role.mp4"])
    body = with_refs(video, image)
    refused = create(api, body)  # without X-DashScope-OssResourceResolve
    assert refused.status_code == 400 and refused.json()["code"] == "InvalidParameter"
    answer = wait_for(api, created_id(api, body, **RESOLVE))
    assert status_of(answer) == "SUCCEEDED"
    # the emulator measured the uploaded video: 2 s, under its 2.5 s share of the budget
    assert answer["usage"]["input_video_duration"] == 2.0
    assert answer["usage"]["duration"] == 7.0
    stats = emulator.stats()
    assert (stats["policies"], stats["uploads"], stats["creates"]) == (2, 2, 1)


def test_upload_host_checks_like_oss(api: httpx.Client, media: dict[str, Path]) -> None:
    data = policy(api)
    path = media["role.png"]
    bad_signature = upload(data, path, Signature="AAAA")
    assert bad_signature.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in bad_signature.text
    outside = upload(data, path, key="elsewhere/role.png")
    assert outside.status_code == 403 and "<Code>AccessDenied</Code>" in outside.text
    wrong_id = upload(data, path, OSSAccessKeyId="someone")
    assert wrong_id.status_code == 403
    assert upload(data, path).status_code == 200
    again = upload(data, path)
    assert again.status_code == 409 and "FileAlreadyExists" in again.text
    default_status = upload(data, media["tiny.png"], success_action_status="")
    assert default_status.status_code == 204
    no_file = httpx.post(data["upload_host"], data=form_of(data, "x.png"), files={"other": b"x"})
    assert no_file.status_code == 400
    not_a_form = httpx.post(data["upload_host"], content=b"{}", headers={"content-type": "application/json"})
    assert not_a_form.status_code == 400


def test_uploads_are_bound_to_model_and_account(
    api: httpx.Client, emulator: Emulator, media: dict[str, Path]
) -> None:
    for_r2v = uploaded(api, media["role.png"], model="wan2.6-r2v")
    answer = wait_for(api, created_id(api, with_refs(for_r2v), **RESOLVE))  # a flash task
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"
    mine = uploaded(api, media["role.png"])
    with httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer other-account"}) as other:
        answer = wait_for(other, created_id(other, with_refs(mine), **RESOLVE))
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"
    never = mine.rsplit("/", 1)[0] + "/never-uploaded.png"
    answer = wait_for(api, created_id(api, with_refs(never), **RESOLVE))
    assert status_of(answer) == "FAILED"


@pytest.mark.parametrize("name", ["tiny.png", "alpha.png", "long.mp4"])
def test_unusable_uploads_fail_the_task(api: httpx.Client, media: dict[str, Path], name: str) -> None:
    url = uploaded(api, media[name])
    answer = wait_for(api, created_id(api, with_refs(url), **RESOLVE))
    assert status_of(answer) == "FAILED"
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"


def test_reuploads_of_one_file_make_duplicate_creates(
    api: httpx.Client, emulator: Emulator, media: dict[str, Path]
) -> None:
    first = uploaded(api, media["role.png"])
    second = uploaded(api, media["role.png"])  # another policy, another key, same bytes
    assert first != second
    created_id(api, with_refs(first), **RESOLVE)
    created_id(api, with_refs(second), **RESOLVE)
    assert emulator.stats()["duplicate_creates"] == 1


def test_policy_document_is_base64_json(api: httpx.Client) -> None:
    import base64
    import json

    document = json.loads(base64.b64decode(policy(api)["policy"]))
    assert {"expiration", "conditions"} <= set(document)
