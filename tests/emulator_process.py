"""Run the DashScope emulator as a real subprocess for a test (loopback only, free port).

    from tests.emulator_process import start_emulator, emulator_fixture

    with start_emulator("--time-scale", "0.01") as emu:
        client = MyClient(base_url=emu.base_url, api_key="sk-test")   # http://127.0.0.1:P/api/v1
        ...
        assert emu.stats()["duplicate_creates"] == 0

    fast_emulator = emulator_fixture("--time-scale", "0.01", scope="module")  # a pytest fixture

`start_emulator(*args)` passes `args` to `python -m shotscript.emulator` (see
`shotscript emulate --help`: --time-scale, --timing, --gen-seconds, --seed, --faults,
--max-running, …), always on 127.0.0.1 with a free port, waits until it answers and returns
an `Emulator`. Timing: unless `args` name `--timing` or `--gen-seconds`, the helper adds
`--timing uniform` (every task 60-120 s × scale, as tests always had); `--timing realistic`
(the command's default) draws times by model, tier and duration with a tail of slow tasks
(up to 1200 s × scale) and queues longer when the account is busy; `--gen-seconds S` makes
every task take S real seconds. The time scale also scales every time the emulator
announces: Retry-After (fractional below one second when the scale is below 1), result
URL expiry (24 h), task expiry (24 h: then UNKNOWN), uploaded files (48 h).

    emu.base_url / emu.root_url / emu.port    http://127.0.0.1:P/api/v1, http://127.0.0.1:P, P
    emu.stats()                               GET /_emulator/stats (creates, duplicate_creates, …)
    emu.reset(faults=..., seed=..., ...)      POST /_emulator/reset: clear state, change settings
    emu.create_as(key, body, ...)             POST /_emulator/create_as: another key creates a task
    emu.fail_next_create("500", created=True) the next create meets this fault (task made or not)
    emu.tasks()                               GET /_emulator/tasks: every task's plan and status
    emu.log()                                 what the process printed
    emu.stop()                                terminate it (also on leaving a `with` block)

Accounts. On the service, tasks, uploads and quotas belong to the account, not to one key:
any key of the account polls any of its tasks, and the task list (`GET /tasks`) shows every
key's tasks; `orig_prompt` appears in a poll answer only once the task has SUCCEEDED (never
in list rows). By default every key is an account of its own (today's single-key tests need
nothing). Several keys of one account:

    with start_emulator("--time-scale", "0.01", accounts={"team": ["sk-ours", "sk-colleague"]}) as emu:
    emu.reset(accounts={"team": ["sk-ours", "sk-colleague"]})     # or on a running emulator

`emu.create_as(key, body=None, prompt=None, when="now")` makes a task as `key` (which must be
a valid key, e.g. another key of our account), bypassing quotas and faults; it does not count
in `stats()["creates"]` / `duplicate_creates` (those count what the clients sent) and its id
is listed in `stats()["injected"]`.
- `when="now"` (needs `body`): created at once; returns its task id.
- `when="next_create"`: armed; fires right after the next create request of any *other* key
  passes validation and quotas — also when that request then meets an injected `500` or
  `reset` fault, i.e. inside the window where the client does not know whether its own
  create made a task. Without `body` it copies that request's body (same model, same
  prompt: the ambiguous case); `prompt=` replaces the prompt (the "same model, someone
  else's story" case). Returns None; `stats()["armed"]` counts what has not fired yet.

Reconcile test recipe (an unknown create while a colleague renders on the same account):

    emu.reset(accounts={"team": [OURS, THEIRS]})
    emu.fail_next_create("500", created=False)          # or created=True, or "reset"
    emu.create_as(THEIRS, prompt="someone else's story", when="next_create")
    ... render with OURS: the create answers 500 and made no task; the task list now holds
    THEIRS's same-model task (PENDING, no orig_prompt yet): it must not be adopted.

`emu.fail_next_create(fault, created)` ("500" or "reset"; `created`: whether the task is made
all the same) decides the unknown outcome of the next create that passes validation and
quotas, instead of drawing it from `--faults`; it is counted in `stats()["faults"]`.

The process exits by itself if the test run dies (it watches its stdin). Result videos are
cached in one directory per machine, shared by all test runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(tempfile.gettempdir()) / "shotscript-emulator-test-media"
_READY = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))/api/v1")


class Emulator:
    """A running emulator process: where it is, its counters, and how to stop it."""

    def __init__(self, process: subprocess.Popen[bytes], root_url: str, log_path: Path) -> None:
        self.process = process
        self.root_url = root_url  # http://127.0.0.1:PORT
        self.base_url = root_url + "/api/v1"  # what DASHSCOPE_HTTP_BASE_URL takes
        self.log_path = log_path

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.root_url.rsplit(":", 1)[1])

    def stats(self) -> dict[str, Any]:
        """`GET /_emulator/stats`: creates, duplicate_creates, polls, uploads, downloads, …"""
        return self._call("GET", "/_emulator/stats")

    def reset(self, **options: Any) -> dict[str, Any]:
        """Forget all tasks, uploads and counters. Options change what follows:
        `faults` (a SPEC, "" for none), `seed`, `time_scale`, `timing` ("realistic",
        "uniform"), `gen_seconds` (None: use the timing), `slow_seconds`, `max_running`,
        `create_rps`, `poll_rps`, `accounts` ({name: [keys]}, {} for none).
        """
        return self._call("POST", "/_emulator/reset", options)

    def tasks(self) -> list[dict[str, Any]]:
        """Every task, oldest first: task_id, model, status, pending_s, run_s (real seconds)."""
        return self._call("GET", "/_emulator/tasks")["tasks"]  # type: ignore[no-any-return]

    def fail_next_create(self, fault: str = "500", *, created: bool) -> None:
        """The next create meets `fault` ("500" or "reset"); `created`: the task is made anyway."""
        self._call("POST", "/_emulator/fail_next_create", {"fault": fault, "created": created})

    def create_as(
        self,
        key: str,
        body: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
        when: str = "now",
    ) -> str | None:
        """Another key creates a task (see the module docstring); its id, or None when armed."""
        options: dict[str, Any] = {"key": key, "when": when}
        if body is not None:
            options["body"] = body
        if prompt is not None:
            options["prompt"] = prompt
        answer = self._call("POST", "/_emulator/create_as", options)
        return answer.get("task_id")

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdin is not None:
            self.process.stdin.close()
        with contextlib.suppress(OSError):
            self.log_path.unlink()
            self.log_path.parent.rmdir()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.root_url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]


def start_emulator(
    *args: str, timeout: float = 30.0, accounts: dict[str, list[str]] | None = None
) -> Emulator:
    """Start `python -m shotscript.emulator *args` on 127.0.0.1 with a free port; wait for it.
    `accounts` ({name: [keys]}) become `--account name=k1,k2` flags."""
    forbidden = {"--host", "--port", "--watch-stdin"}
    if forbidden & {a.split("=", 1)[0] for a in args}:
        raise ValueError("start_emulator chooses --host, --port and --watch-stdin itself")
    for name, keys in (accounts or {}).items():
        args = (*args, "--account", f"{name}={','.join(keys)}")
    flags = {a.split("=", 1)[0] for a in args}
    if "--cache-dir" not in flags:
        args = (*args, "--cache-dir", str(CACHE_DIR))
    if not flags & {"--timing", "--gen-seconds"}:
        args = (*args, "--timing", "uniform")  # what tests had before realistic timing
    log_path = Path(tempfile.mkdtemp(prefix="shotscript-emulator-")) / "emulator.log"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("DASHSCOPE_API_KEY", None)  # the emulator never needs a real key
    command = [sys.executable, "-m", "shotscript.emulator", "--host", "127.0.0.1", "--port", "0"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--watch-stdin", *args],
            stdin=subprocess.PIPE,  # closed when this process dies: the emulator then exits
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
    emulator = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {process.returncode}:\n{_tail(log_path)}")
            if emulator is None:
                match = _READY.search(log_path.read_text("utf-8", errors="replace"))
                if match:
                    emulator = Emulator(process, match.group(1), log_path)
            if emulator is not None:
                with contextlib.suppress(OSError, urllib.error.URLError):
                    emulator.stats()
                    return emulator
            time.sleep(0.05)
        raise RuntimeError(f"the emulator did not answer within {timeout} s:\n{_tail(log_path)}")
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        with contextlib.suppress(OSError):  # the error message carries the log's tail
            log_path.unlink()
            log_path.parent.rmdir()
        raise


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])


def emulator_fixture(
    *args: str, scope: str = "function", accounts: dict[str, list[str]] | None = None
) -> Callable[..., Any]:
    """A pytest fixture running one emulator with `args` per `scope` (function, module, session)."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload,untyped-decorator]
    def _emulator() -> Iterator[Emulator]:
        with start_emulator(*args, accounts=accounts) as emulator:
            yield emulator

    return _emulator  # type: ignore[no-any-return]
