"""The whole check of a story: the compile stage's checks, then a look inside its files.

What every command and `render` use. Local files are probed (PyAV, Pillow) only when a story
has some; http(s) files are fetched (their first bytes, ranged GETs) only with `probe_remote`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shotscript.compiler import driver
from shotscript.compiler.ast import Story
from shotscript.compiler.checks import KIND_WORDS, Source, article, remote_sources
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.driver import Result
from shotscript.compiler.payload import Payload
from shotscript.facts.capabilities import MediaLimits, capabilities


def probe_local(src: Source, path: Path, media: Mapping[str, MediaLimits], sink: Sink) -> None:
    """Probe a local file (PyAV, Pillow) and report what the service would refuse."""
    from shotscript.media.limits import check_reference  # PyAV: only for local files
    from shotscript.media.probe import probe

    info = probe(path)
    for problem in check_reference(info, src.kind, media):
        if problem.code == "media-kind-mismatch":
            actual = info.kind
            wanted = ", ".join(f".{e}" for e in media[src.kind].extensions)
            declare = (f"declare it as `{actual}`" if actual in ("image", "video") and src.kind != "audio"
                       and src.name != "first_frame" else f"use a {wanted} file")
            sink.add("E309", src.span, name=src.name, kind=KIND_WORDS.get(src.kind, src.kind),
                     path=src.source, actual=article(actual), help=declare)
        else:
            code = "E314" if problem.severity == "error" else "W506"
            sink.add(code, src.span, detail=f"{problem.message} [{problem.code}]", help=problem.help)


def probe_urls(story: Story, sink: Sink, media: Mapping[str, MediaLimits] | None = None) -> None:
    """Fetch the start of each http(s) file (references, voices, first frame) and report what
    the service may fail to fetch or refuse: unreachable, an error status, not media, a private
    host. `media`: the target's limits (default: the default model's)."""
    table = media if media is not None else capabilities().media
    files = remote_sources(story, table)
    if not files:
        return
    from shotscript.media.remote import check_remote, probe_remote  # network: only when asked

    for src, info in zip(files, probe_remote([s.source for s in files]), strict=True):
        for problem in check_remote(info, src.kind, table):
            code = "E314" if problem.severity == "error" else "W506"
            sink.add(code, src.span, detail=f"{problem.message} [{problem.code}]", help=problem.help)


def check_text(
    text: str, path: Path | None = None, name: str | None = None, *, probe_remote: bool = False,
    model: str | None = None,
) -> Result:
    """Parse, check and compile story text, local files probed (and http(s) ones with `probe_remote`).

    `model` (the `--model` flag) targets another model than the story and its folder name.
    """
    remote = probe_urls if probe_remote else None
    return driver.check_text(text, path, name, model=model, local=probe_local, remote=remote)


def check_file(path: Path, *, probe_remote: bool = False, model: str | None = None) -> Result:
    """Read, parse, check and compile one story file (see check_text for `probe_remote`, `model`)."""
    remote = probe_urls if probe_remote else None
    return driver.check_file(path, model=model, local=probe_local, remote=remote)


def compile_story(story: Story, model: str | None = None) -> Payload:
    """Check a story (its local files probed) and compile it; raise StoryError with every
    diagnostic if it has errors."""
    return driver.compile_story(story, model, probe_local)
