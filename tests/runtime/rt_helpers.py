"""Builders shared by the runtime tests: payloads, small MP4 files, a fixed test key."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from shotscript.compiler.payload import Payload, PayloadInput, PayloadMeta, Reference, ShotTiming
from shotscript.facts.capabilities import capabilities
from shotscript.runtime.backend import DashScopeBackend
from shotscript.runtime.errors import RenderError
from shotscript.runtime.events import Collect
from shotscript.runtime.lifecycle import RenderResult
from shotscript.runtime.settings import settings_from_env

# Poll waits shrink with the emulator's time scale (0.01): 2 s becomes 0.1 s.
POLL_SCALE = 0.05
# Unusual enough that finding it in a file can only mean it leaked there.
TEST_KEY = "sk-test-5f3e9c1d-shotscript-secret-0042"
REMOTE_VIDEO = "https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4"


def make_payload(
    *,
    prompt: str = "character1 walks along the beach at dawn.",
    size: str = "1280*720",
    duration: int = 5,
    references: tuple[Reference, ...] | None = None,
    model: str = "wan2.6-r2v-flash",
    region: str = "beijing",
    title: str = "test",
) -> Payload:
    """A compiled story as the compiler would produce it."""
    refs = references or (
        Reference(name="girl", role="character1", kind="video", source=REMOTE_VIDEO, url=REMOTE_VIDEO),
    )
    caps = capabilities()
    return Payload(
        model=model,
        input=PayloadInput(prompt=prompt, reference_urls=tuple(r.url or r.source for r in refs)),
        parameters={"size": size, "duration": duration, "shot_type": "multi", "watermark": False},
        meta=PayloadMeta(
            title=title,
            region=region,
            base_url=caps.regions[region].base_url,
            lang="en",
            size=size,
            tier=caps.tier_of(size) or "720P",
            audio=True,
            references=refs,
            shots=(ShotTiming(index=1, start=0, end=duration, text=prompt, prompt=prompt, cast=("girl",)),),
        ),
    )


def local_ref(name: str, role: str, path: Path, kind: str = "image") -> Reference:
    """A reference to a local file, as the compiler leaves it before upload."""
    return Reference(name=name, role=role, kind=kind, source=path.name, path=path)  # type: ignore[arg-type]


def make_mp4(path: Path, *, width: int = 320, height: int = 240, seconds: int = 1) -> Path:
    """A small real H.264 MP4 at 30 fps."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([120]) * plane.buffer_size)
        frame.time_base = Fraction(1, 30)
        for i in range(seconds * 30):
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_png(path: Path, *, colour: tuple[int, int, int] = (200, 40, 40), side: int = 256) -> Path:
    """A small opaque PNG the service would accept as an image reference."""
    from PIL import Image

    Image.new("RGB", (side, side), colour).save(path)
    return path


def render(
    payload: Payload, out: Path, *, backend: DashScopeBackend | None = None, **options: Any
) -> tuple[RenderResult | RenderError, Collect]:
    """Render through the real backend against the emulator; the error is returned, not raised."""
    events = Collect()
    if backend is None:
        settings = settings_from_env(payload.meta.region, poll_scale=POLL_SCALE)
        backend = DashScopeBackend(settings, **options)
    try:
        return asyncio.run(backend.render(payload, out / "story.mp4", events)), events
    except RenderError as exc:
        return exc, events


def leftovers(root: Path) -> list[Path]:
    """Half-written files: downloads in progress and temporary files of atomic writes."""
    return [p for p in root.rglob("*") if p.name.endswith((".part", ".tmp"))]


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under `root` whose bytes contain `needle`."""
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]
