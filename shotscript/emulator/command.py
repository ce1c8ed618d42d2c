"""The emulator's command (`shotscript emulate`, `python -m shotscript.emulator`): run the local
DashScope-compatible emulator (for tests and benchmarks)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import click

from shotscript.emulator.config import DEFAULT_CREATE_RPS, DEFAULT_MAX_RUNNING, DEFAULT_POLL_RPS
from shotscript.facts.capabilities import capabilities


def _faults(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    from shotscript.emulator.faults import FaultSpec

    try:
        return FaultSpec.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _keys(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    keys = frozenset(k.strip() for k in value.split(",") if k.strip())
    if not keys:
        raise click.BadParameter("give at least one key")
    return keys


def _accounts(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, frozenset[str]]:
    from shotscript.emulator.accounts import accounts_from

    try:
        return accounts_from(list(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _is_loopback(host: str) -> bool:
    """Whether the address to listen on is this machine's only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# What the `emulator` extra installs (and what those pull in), as import names.
EXTRA_MODULES = ("starlette", "uvicorn", "h11", "anyio")
INSTALL_HINT = "pip install 'shotscript[emulator]'"


def _server_or_exit() -> Callable[..., None]:
    """The server's `run`, or one `error:` line and exit 2 when the extra is not installed."""
    try:
        from shotscript.emulator.server import run
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in EXTRA_MODULES:
            raise  # a bug of ours, not a missing extra
        missing = f"error: the emulator needs the 'emulator' extra ({exc.name} is missing): {INSTALL_HINT}"
        click.echo(missing, err=True)
        click.get_current_context().exit(2)
    return run


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one (the ready line names it).",
)
@click.option(
    "--region",
    type=click.Choice(sorted(capabilities().regions)),
    default=str(capabilities().defaults["region"]),
    show_default=True,
    help="The one region served: its models, durations and inputs.",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Real seconds per service second, for generation and every time announced: "
    "Retry-After, result URL and task expiry (0.01: a 24 h URL lives 14.4 min).",
)
@click.option(
    "--timing",
    type=click.Choice(["realistic", "uniform"]),
    default="realistic",
    show_default=True,
    help="realistic: generation drawn per task by model, tier and duration (typically 1-5 "
    "min, some longer), longer PENDING when the account is busy; uniform: 60-120 s.",
)
@click.option(
    "--gen-seconds",
    type=click.FloatRange(min=0),
    default=None,
    help="A fixed generation time in real seconds, for benchmarks (overrides --timing).",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed of timings, task ids and faults: the same requests give the same run.",
)
@click.option(
    "--faults",
    "faults",
    default="",
    callback=_faults,
    metavar="SPEC",
    help="e.g. '429=0.2,500=0.05*3,reset=0.02,slow=0.1,truncate=0.05,fail=0.02' "
    "(probability, optional *burst length).",
)
@click.option(
    "--slow-seconds",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long the `slow` fault delays an answer.",
)
@click.option(
    "--keys",
    callback=_keys,
    default=None,
    metavar="K1,K2",
    help="Accept only these API keys (default: any key not starting with 'bad').",
)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    callback=_accounts,
    metavar="NAME=K1,K2",
    help="An account with several keys (repeatable): they share tasks, uploads and quotas. "
    "Every other key is an account of its own.",
)
@click.option(
    "--max-running",
    default=DEFAULT_MAX_RUNNING,
    show_default=True,
    type=click.IntRange(min=1),
    help="Tasks in progress per account and model before creates get 429.",
)
@click.option(
    "--create-rps",
    default=DEFAULT_CREATE_RPS,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Creates per second per account and model before 429.",
)
@click.option(
    "--poll-rps",
    default=DEFAULT_POLL_RPS,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Task queries per second per account before 429.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where generated result videos are kept (default: ~/.cache/shotscript/emulator-media).",
)
@click.option(
    "--legacy-fields",
    type=click.Choice(["ignore", "refuse"]),
    default="ignore",
    show_default=True,
    help="What a wan2.7 create does with 2.6-only fields (size, shot_type, audio, "
    "reference_urls beside media): undocumented, so either; ignore drops them.",
)
@click.option(
    "--moderation-marker",
    default="[[moderate]]",
    show_default=True,
    help="Prompt text that makes a task end FAILED with DataInspectionFailed.",
)
@click.option(
    "--ip-marker",
    default="[[ip]]",
    show_default=True,
    help="Prompt text that makes a task end FAILED with IPInfringementSuspect.",
)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
@click.option("--access-log", is_flag=True, help="Log every request.")
@click.option(
    "--watch-stdin",
    is_flag=True,
    hidden=True,
    help="Exit when stdin closes (the test helper's way to leave nothing behind).",
)
def emulate(
    host: str,
    port: int,
    region: str,
    time_scale: float,
    timing: str,
    gen_seconds: float | None,
    seed: int,
    faults: object,
    slow_seconds: float,
    keys: frozenset[str] | None,
    accounts: dict[str, frozenset[str]],
    max_running: int,
    create_rps: float,
    poll_rps: float,
    cache_dir: Path | None,
    legacy_fields: str,
    moderation_marker: str,
    ip_marker: str,
    log_level: str,
    access_log: bool,
    watch_stdin: bool,
) -> None:
    """Run a DashScope-compatible emulator of the Wan 2.6 and 2.7 r2v APIs on HOST:PORT.

    \b
    Point clients at http://HOST:PORT/api/v1 (e.g. DASHSCOPE_HTTP_BASE_URL).
    GET /_emulator/stats gives counters; POST /_emulator/reset clears state.
    """
    from shotscript.emulator.config import EmulatorConfig, default_cache_dir
    from shotscript.emulator.faults import FaultSpec

    run = _server_or_exit()

    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, reachable beyond this machine", err=True)
    assert isinstance(faults, FaultSpec)
    try:
        config = EmulatorConfig(
            host=host,
            port=port,
            region=region,
            time_scale=time_scale,
            timing=timing,
            gen_seconds=gen_seconds,
            seed=seed,
            faults=faults,
            slow_seconds=slow_seconds,
            keys=keys,
            accounts=accounts,
            max_running=max_running,
            create_rps=create_rps,
            poll_rps=poll_rps,
            cache_dir=cache_dir or default_cache_dir(),
            legacy_fields=legacy_fields,
            moderation_marker=moderation_marker,
            ip_marker=ip_marker,
        )
    except ValueError as exc:  # rules between flags (e.g. one key in two accounts)
        raise click.UsageError(str(exc)) from None
    try:
        run(config, log_level=log_level, access_log=access_log, watch_stdin=watch_stdin)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
