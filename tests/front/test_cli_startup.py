"""Start-up of the command line: what `--help` and the compile path import, and Ctrl-C."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest

from shotscript import cli as cli_module
from shotscript.cli import COMMANDS, cli, main
from tests.conftest import ROOT

STORY = ROOT / "stories" / "seed" / "smartwatch.shot"
# What the compile path must not load (pydantic: once the payload is off it, see #11).
HEAVY = ("httpx", "rich", "av", "lark", "regex", "PIL", "starlette", "jinja2.sandbox")


def modules_after(*argv: str) -> set[str]:
    """The modules a `shotscript ARGV…` process has imported when it exits."""
    code = (
        "import sys\n"
        "from shotscript.cli import main\n"
        f"sys.argv = ['shotscript', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stderr.rsplit("MODULES ", 1)[1].split())


def test_the_short_help_table_says_what_each_command_says() -> None:
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        assert command.get_short_help_str(limit=10_000) == short, name


def test_help_imports_no_command_module() -> None:
    loaded = modules_after("--help")
    assert "shotscript.cli" in loaded
    assert not {m for m in loaded if m.startswith(("shotscript.cli.", "shotscript.compiler"))}


def test_compile_path_imports_nothing_heavy() -> None:
    for argv in (("compile", str(STORY)), ("check", str(STORY))):
        loaded = modules_after(*argv)
        assert "shotscript.compiler.driver" in loaded
        assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}, argv


def test_ctrl_c_in_a_command_exits_130_without_aborted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command()
    def boom() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module.LazyGroup, "get_command", lambda self, ctx, name: boom)
    monkeypatch.setattr(sys, "argv", ["shotscript", "boom"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 130
    assert "Aborted" not in capsys.readouterr().err


def test_ctrl_c_of_a_real_process_exits_130(tmp_path: Path) -> None:
    fifo = tmp_path / "story.shot"
    os.mkfifo(fifo)
    # A run started as a background job inherits SIGINT ignored, and an ignored signal stays
    # ignored across exec (Python keeps it so): the child gets the default, as a terminal's has.
    proc = subprocess.Popen([sys.executable, "-m", "shotscript", "check", str(fifo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Opening a FIFO's write end without blocking works only once a reader has it open:
        # then the command is inside its read, mid-run.
        while True:
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                assert e.errno == errno.ENXIO
                assert proc.poll() is None, proc.communicate()
                os.sched_yield()
        # Then wait until it is blocked in the read itself: a signal that lands between the
        # interpreter's last check and the read() call is only seen once the read returns
        # (CPython checks signals after a syscall, not before), which would wait forever.
        wchan = Path(f"/proc/{proc.pid}/wchan")
        while "pipe_read" not in wchan.read_text():
            assert proc.poll() is None, proc.communicate()
            os.sched_yield()
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
            signals = " ".join(line for line in status.splitlines() if line.startswith("Sig"))
            raise AssertionError(f"no exit after SIGINT; wchan={wchan} {signals}") from None
        os.close(writer)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Aborted" not in err and "Traceback" not in err


def test_story_commands_help_imports_no_compiler() -> None:
    for name in ("check", "compile", "fmt"):
        loaded = modules_after(name, "--help")
        assert f"shotscript.cli.{name}" in loaded
        assert not {m for m in loaded if m.startswith("shotscript.compiler")}, name
