"""What a render loads before its first create, and what it leaves for later (#11: at a
benchmark's time scale every fixed cost of the process counts thirty times)."""

from __future__ import annotations

import asyncio
import io
import ssl
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import shotscript
from shotscript.batch import plan as plan_module
from shotscript.batch import session as session_module
from shotscript.compiler.driver import Result
from shotscript.runtime import backend as backend_module
from shotscript.runtime.backend import ApiTransport
from shotscript.runtime.url_policy import UrlPolicy
from tests.batch.batch_helpers import story_text, write_stories
from tests.emulator_process import Emulator

# Loaded only where used: rich for tables and the live board, PyAV and Pillow once a video is
# checked, pydantic nowhere on the render path, pygments only by httpx's own command line.
LATER = ("rich", "pydantic", "av", "PIL", "pygments")


def loaded_after(code: str) -> set[str]:
    """The top-level packages a new process has imported after running `code`."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return {m.split(".")[0] for m in out.split()}


def test_the_engine_loads_nothing_it_needs_only_later() -> None:
    loaded = loaded_after("import shotscript.batch.session, shotscript.cli.render")
    assert {"httpx", "sqlite3", "shotscript"} <= loaded
    assert not loaded & set(LATER)


def test_httpx_keeps_its_command_line() -> None:
    code = "import shotscript.batch.session, sys, httpx\nsys.argv = ['httpx', '--help']\nhttpx.main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout and "httpx" in proc.stdout


def counting_checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count each story file's checks (planning's and the runner's)."""
    seen: Counter[str] = Counter()
    real = plan_module.check_file

    def check_file(path: Path, **kwargs: Any) -> Result:
        seen[path.name] += 1
        return real(path, **kwargs)

    monkeypatch.setattr(plan_module, "check_file", check_file)
    return seen


def test_the_first_stories_to_send_are_compiled_once(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = counting_checks(monkeypatch)
    paths = write_stories(tmp_path / "s", 5, per_folder=5)
    outcome = shotscript.render(tmp_path / "s", out=tmp_path / "out", concurrency=2, err=io.StringIO())
    assert outcome.code == 0 and emu.stats()["creates"] == 5
    # Concurrency 2: both slots' stories and the one on deck keep their payloads from planning;
    # the other two are compiled again when their turn comes (memory stays flat).
    assert [seen[p.name] for p in paths] == [1, 1, 1, 2, 2]


def test_a_story_edited_after_planning_is_compiled_again_and_not_sent(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = counting_checks(monkeypatch)
    (path,) = write_stories(tmp_path / "s", 1)
    real_plan = session_module.Session.plan

    def plan_then_edit(self: session_module.Session) -> None:
        real_plan(self)
        path.write_text(story_text(99), "utf-8")  # after its budget was counted, before its create

    monkeypatch.setattr(session_module.Session, "plan", plan_then_edit)
    outcome = shotscript.render(path, out=tmp_path / "out", err=io.StringIO())
    assert seen[path.name] == 2
    assert outcome.code == 1 and outcome.results[0].error is not None
    assert outcome.results[0].error["kind"] == "changed"
    assert emu.stats()["creates"] == 0


def test_the_stories_of_a_batch_share_one_pinned_pool_closed_after_the_run(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[httpx.AsyncHTTPTransport] = []
    closed: list[httpx.AsyncHTTPTransport] = []

    def counting(policy: UrlPolicy) -> httpx.AsyncHTTPTransport:
        transport = real(policy)
        made.append(transport)
        inner_close = transport.aclose

        async def aclose() -> None:
            closed.append(transport)
            await inner_close()

        transport.aclose = aclose  # type: ignore[method-assign]
        return transport

    real = backend_module.pinned_transport
    monkeypatch.setattr(backend_module, "pinned_transport", counting)
    write_stories(tmp_path / "s", 3)
    outcome = shotscript.render(tmp_path / "s", out=tmp_path / "out", err=io.StringIO())
    assert outcome.code == 0 and emu.stats()["downloads"] >= 3
    # One pool for the three downloads (each story's client made its own, and two TLS
    # contexts with it, before the first create), closed once the run was over.
    assert len(made) == 1 and closed == made


def test_what_the_report_needs_is_loaded_while_the_tasks_run(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []  # (stories, videos on disk) at the call
    out = tmp_path / "out"

    def prepare(stories: int) -> None:
        calls.append((stories, len(list(out.rglob("*.mp4")))))

    monkeypatch.setattr(session_module, "prepare_report", prepare)
    write_stories(tmp_path / "s", 3)
    outcome = shotscript.render(tmp_path / "s", out=out, concurrency=1, err=io.StringIO())
    assert outcome.code == 0 and len(list(out.rglob("*.mp4"))) == 3
    # Once, handed to the thumbnail thread as soon as the one slot held a task (the first story's),
    # so long before the last video: not after it, where it would delay the exit.
    assert len(calls) == 1 and calls[0][0] == 3 and calls[0][1] < 3


def test_the_api_pool_verifies_https_and_loads_no_certificates_for_http() -> None:
    transport = ApiTransport()
    http = transport._pool("http")
    https = transport._pool("https")
    assert transport._pool("https") is https and http is not https
    # Without CA certificates the http pool's TLS context refuses every certificate: were TLS
    # ever tried through it, the handshake would fail (fail closed), nothing unverified.
    http_tls = http._pool._ssl_context
    https_tls = https._pool._ssl_context
    assert http_tls is not None and http_tls.verify_mode == ssl.CERT_REQUIRED and http_tls.check_hostname
    assert http_tls.cert_store_stats()["x509_ca"] == 0
    assert https_tls is not None and https_tls.verify_mode == ssl.CERT_REQUIRED
    assert https_tls.cert_store_stats()["x509_ca"] > 0
    asyncio.run(transport.aclose())
