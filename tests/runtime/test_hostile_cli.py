"""`shotscript render` (a real process) against a hostile server on 127.0.0.1: one `error:` line
and a hint, the documented exit code, nothing half-written, the key in no byte of anything."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_server import (
    CREATE,
    Answer,
    HostileServer,
    created,
    endless_body,
    json_answer,
    redirect,
    task,
    task_path,
    trickle,
)
from rt_helpers import TEST_KEY, files_containing, leftovers

STORY = """title hostile
size 1280*720
duration 5

cast
  girl video https://example.com/girl.mp4

prompt @girl walks along the beach at dawn.
"""
ECHO = f"echo {TEST_KEY} sk-{'0123456789abcdef' * 2}"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


# Small caps, except the throughput window: a busy machine may stall a healthy loopback body
# for a while; only the trickle case means to be cut (it shortens the window).
LIMITS = "retry_after_max=2,max_redirects=2,throughput_window=5,video_max_bytes=262144"


def render(
    server: HostileServer, tmp_path: Path, home: Path, limits: str = LIMITS
) -> subprocess.CompletedProcess[bytes]:
    story = tmp_path / "story.shot"
    story.write_text(STORY, "utf-8")
    env = {
        **os.environ,
        "DASHSCOPE_HTTP_BASE_URL": server.base_url,
        "SHOTSCRIPT_POLL_SCALE": "0.001",
        "SHOTSCRIPT_LIMITS": limits,
        "NO_COLOR": "1",
    }
    cmd = [sys.executable, "-m", "shotscript", "render", str(story), "--out", str(tmp_path / "out"),
           "--backend", "dashscope"]
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    for stream in (done.stdout, done.stderr):
        assert TEST_KEY.encode() not in stream and b"sk-0123456789" not in stream
    for root in (tmp_path, home):
        assert files_containing(root, TEST_KEY) == [] and files_containing(root, "sk-0123456789") == []
    ours = [p for p in leftovers(tmp_path) if not p.is_symlink()]  # a planted link is not ours
    assert ours == [] and not (tmp_path / "out" / "story.mp4").exists()
    assert b"Traceback" not in done.stderr
    errors = [line for line in done.stderr.decode().splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr.decode()
    assert "\nhint: " in done.stderr.decode()
    return done


def test_retry_after_100000_on_a_poll_exits_75_and_keeps_the_task(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    server.route(*CREATE, created("t1"))
    server.route(*task_path("t1"), json_answer(429, {"code": "Throttling"}, {"Retry-After": "100000"}))
    done = render(server, tmp_path, hermetic_env)
    assert done.returncode == 75
    assert "Retry-After" in done.stderr.decode()
    assert server.hits[task_path("t1")] == 1 and server.hits[CREATE] == 1


def test_a_failed_task_echoing_the_key_fails_cleanly(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    server.route(*CREATE, created("t1", request_id=TEST_KEY))
    failed = task("t1", "FAILED", request_id=ECHO, code=f"DataInspectionFailed.{TEST_KEY}", message=ECHO)
    server.route(*task_path("t1"), failed)
    done = render(server, tmp_path, hermetic_env)
    assert done.returncode == 1
    assert "***" in done.stderr.decode()


def test_a_video_url_redirecting_to_the_metadata_service_is_refused(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    server.route(*CREATE, created("t1"))
    server.route(*task_path("t1"), task("t1", "SUCCEEDED", video_url=server.url("/v.mp4")))
    server.route("GET", "/v.mp4", redirect("http://169.254.169.254/latest/meta-data/iam"))
    done = render(server, tmp_path, hermetic_env)
    assert done.returncode == 1
    assert "cloud metadata address" in done.stderr.decode()


def test_a_task_id_with_dot_dot_is_never_polled(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    server.route(*CREATE, created("../../../uploads"))
    server.route("GET", "/api/v1/tasks", json_answer(200, {"data": [], "total": 0}))
    done = render(server, tmp_path, hermetic_env)
    # The service accepted the create (and may bill it); its id cannot be followed, so the
    # story needs attention: never a second create.
    assert done.returncode == 3, done.stderr
    assert server.hits[CREATE] == 1
    again = render(server, tmp_path, hermetic_env)  # a rerun reconciles; it does not pay again
    assert again.returncode == 3 and server.hits[CREATE] == 1, again.stderr
    assert [path for (_, path) in server.hits if ".." in path or path.startswith("/api/v1/uploads")] == []


def test_a_symlink_planted_at_the_part_file_is_refused_and_the_outside_file_untouched(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "story.mp4.part").symlink_to(outside)
    server.route(*CREATE, created("t1"))
    server.route(*task_path("t1"), task("t1", "SUCCEEDED", video_url=server.url("/v.mp4")))
    server.route("GET", "/v.mp4", json_answer(200, "not even a video"))
    done = render(server, tmp_path, hermetic_env)
    assert done.returncode == 1
    assert "symbolic link" in done.stderr.decode()
    assert outside.read_text() == "precious"
    assert server.hits[CREATE] == 0  # refused before anything is paid
    assert server.hits[("GET", "/v.mp4")] == 0


@pytest.mark.parametrize(
    ("video", "said"),
    [
        ("loop", "redirects more than 2 times"),
        (endless_body(), "more than the 0.2 MiB"),
        (trickle(every=5.0), "slower than 32 KiB/s"),
    ],
    ids=["redirect-loop", "endless-body", "trickle"],
)
def test_a_hostile_video_url_ends_in_one_error(
    server: HostileServer, tmp_path: Path, hermetic_env: Path, video: Answer | str, said: str
) -> None:
    server.route(*CREATE, created("t1"))
    server.route(*task_path("t1"), task("t1", "SUCCEEDED", video_url=server.url("/v.mp4")))
    server.route("GET", "/v.mp4", redirect(server.url("/v.mp4")) if video == "loop" else video)
    # One byte in 5 s misses any window under 5 s: only the trickle case shortens it.
    limits = LIMITS.replace("window=5", "window=0.3") if "slower" in said else LIMITS
    done = render(server, tmp_path, hermetic_env, limits)
    assert done.returncode == 1
    assert said in done.stderr.decode()
    assert server.hits[CREATE] == 1  # the paid task is kept: a rerun fetches it


def test_a_key_echoed_in_a_refused_create_is_redacted(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    body = {"code": f"InvalidApiKey.{TEST_KEY}", "message": ECHO, "request_id": TEST_KEY}
    server.route(*CREATE, json_answer(401, body, {"X-Request-Id": TEST_KEY}))
    done = render(server, tmp_path, hermetic_env)
    assert done.returncode == 1
    assert "InvalidApiKey.***" in done.stderr.decode()
