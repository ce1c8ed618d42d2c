"""The machine's errors as messages: a read-only folder, a full disk, the loopback guard on
`check --probe-remote`, and control or bidi characters in what is printed."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile_server import HostileServer, redirect, trickle, video_answer
from rt_helpers import leftovers, make_mp4

from shotscript.cli.common import shown
from shotscript.media import remote
from shotscript.runtime import constants as C
from shotscript.runtime.atomic import atomic_write_text
from shotscript.runtime.download import download_video
from shotscript.runtime.errors import OutputError


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def _download(url: str, dest: Path) -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as client:
            await download_video(client, url, dest)

    asyncio.run(go())


def test_a_read_only_output_folder_is_one_message(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests may run as root, for whom no folder is read-only: the file system's answer is
    # injected where files are created.
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kw)

    server.route("GET", "/v.mp4", video_answer(make_mp4(tmp_path / "src.mp4").read_bytes()))
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OutputError) as info:
        _download(server.url("/v.mp4"), tmp_path / "out" / "x.mp4")
    error = info.value
    assert error.message == f"cannot write {tmp_path / 'out' / 'x.mp4.part'}: the file system is read-only"
    assert error.hint == "choose a writable folder with --out"
    assert isinstance(error, OSError) and error.errno == errno.EROFS
    with pytest.raises(OutputError, match="read-only"):
        atomic_write_text(tmp_path / "out" / "x.json", "{}")
    assert server.hits[("GET", "/v.mp4")] == 0  # nothing fetched that could not be kept


class _FullDisk:
    """A file whose writes fail with ENOSPC after `room` bytes, as a full disk's do."""

    def __init__(self, f: Any, room: int) -> None:
        self._f, self._room = f, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return int(self._f.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


def test_a_full_disk_mid_download_is_one_message_and_leaves_nothing(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = make_mp4(tmp_path / "src.mp4", seconds=2).read_bytes()
    server.route("GET", "/v.mp4", video_answer(video))
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **kw: _FullDisk(real_fdopen(fd, *a, **kw), 1000))
    out = tmp_path / "out"
    with pytest.raises(OutputError) as info:
        _download(server.url("/v.mp4"), out / "x.mp4")
    assert info.value.message == f"cannot write {out / 'x.mp4.part'}: no space left on the device"
    assert info.value.hint == "free some space and run the same command again"
    assert leftovers(out) == [] and not (out / "x.mp4").exists()


def test_a_full_disk_when_writing_a_sidecar_is_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.json").write_text("old")
    real_fdopen = os.fdopen

    def full_for_text(fd: int, *a: Any, **kw: Any) -> Any:
        f = real_fdopen(fd, *a, **kw)
        return f if "b" in (a[0] if a else "") else _FullDisk(f, 0)

    monkeypatch.setattr(os, "fdopen", full_for_text)
    with pytest.raises(OutputError, match="no space left"):
        atomic_write_text(tmp_path / "x.json", "new")
    assert (tmp_path / "x.json").read_text() == "old" and leftovers(tmp_path) == []


# --- check --probe-remote and the loopback guard ------------------------------------------------


def test_the_guards_share_one_name() -> None:
    assert remote.ENV_REQUIRE_LOOPBACK == C.ENV_REQUIRE_LOOPBACK


def test_probing_honours_the_loopback_guard(server: HostileServer, tmp_path: Path) -> None:
    png = tmp_path / "p.png"
    from PIL import Image

    Image.new("RGB", (300, 300), (10, 20, 30)).save(png)
    server.route("GET", "/p.png", video_answer(png.read_bytes()))
    server.route("GET", "/away.png", redirect("http://93.184.216.34/p.png"))
    urls = ["https://example.com/p.png", server.url("/p.png"), server.url("/away.png")]
    outside, local, away = remote.probe_remote(urls)
    assert outside.status is None and "SHOTSCRIPT_REQUIRE_LOOPBACK is set" in (outside.error or "")
    assert local.status == 200 and local.media is not None and local.media.kind == "image"
    assert away.status is None and "not loopback: 93.184.216.34" in (away.error or "")
    assert server.hits[("GET", "/away.png")] == 1


def test_a_trickling_reference_ends_at_the_probe_deadline(server: HostileServer) -> None:
    server.route("GET", "/slow.mp4", trickle(every=5.0))
    (info,) = asyncio.run(remote.probe_urls([server.url("/slow.mp4")], deadline=0.3))
    assert info.status is None and info.error == "no complete answer within 0.3s"


def test_check_probe_remote_names_the_guard(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text("duration 5\n\ncast\n  girl image https://e.com/g.png\n\nprompt @girl smiles.\n")
    done = subprocess.run(
        [sys.executable, "-m", "shotscript", "check", "--probe-remote", str(story)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 1
    # (the diagnostic quotes the reason's start: the guard's name)
    assert "SHOTSCRIPT_REQUIRE_LOOPBACK" in done.stderr and "Traceback" not in done.stderr


# --- what is printed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("invoice\u202egnp.exe", "invoice\\u202egnp.exe"),
        ("a\x1b]0;owned\x07b", "a\\x1b]0;owned\\x07b"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("\u2066isolate\u2069 \u200fmark", "\\u2066isolate\\u2069 \\u200fmark"),
        ("bad \udcff byte", "bad \\udcff byte"),
        ("咖啡 café ✓", "咖啡 café ✓"),
    ],
)
def test_printed_text_is_escaped(raw: str, printed: str) -> None:
    assert shown(raw) == printed


def test_a_bidi_file_name_is_printed_escaped(tmp_path: Path) -> None:
    story = tmp_path / "ad\u202eyaml.shot"
    story.write_text("duration 99\n\nprompt hello\n")
    done = subprocess.run(
        [sys.executable, "-m", "shotscript", "check", str(story)],
        capture_output=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 1
    assert "\u202e".encode() not in done.stderr + done.stdout
    assert b"ad\\u202eyaml.shot" in done.stderr


# --- preflight: before paying, can the result be saved? ---------------------------------------


def test_preflight_refuses_what_could_not_be_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shotscript.runtime.atomic import preflight
    from shotscript.runtime.errors import UnsafePathError

    out = tmp_path / "out"
    preflight(out / "sub" / "story.mp4", root=out)  # nothing there yet: fine
    with pytest.raises(OutputError) as info:
        preflight(out / ("x" * 250 + ".mp4"), root=out)
    assert "the file name is too long" in info.value.message and info.value.hint
    out.mkdir()
    (out / "story.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(UnsafePathError, match=r"story\.json is a symbolic link"):
        preflight(out / "story.mp4", root=out)
    with pytest.raises(OutputError, match="no space left"):
        preflight(out / "big.mp4", root=out, expected_bytes=1 << 62)
