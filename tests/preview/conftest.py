"""Payloads for preview tests: the compiled seed stories, and hand-made ones with local media."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from shotscript.compiler.payload import Payload, PayloadInput, PayloadMeta, Reference, ShotTiming
from shotscript.facts.capabilities import capabilities


def make_payload(
    title: str,
    shots: Sequence[tuple[int, int, str]],
    refs: Sequence[tuple[str, str, str | Path]],
    *,
    size: str = "1920*1080",
    audio: bool = True,
) -> Payload:
    """A payload with these shots (start, end, text with @names) and refs (name, kind, source)."""
    names = [r[0] for r in refs]
    references = tuple(
        Reference(
            name=name,
            role=f"character{i}",
            kind=kind,  # type: ignore[arg-type]
            source=str(source),
            url=str(source) if "://" in str(source) else None,
            path=Path(source) if "://" not in str(source) else None,
        )
        for i, (name, kind, source) in enumerate(refs, start=1)
    )

    def compiled(text: str) -> str:
        for i, name in sorted(enumerate(names, 1), key=lambda p: -len(p[1])):
            text = text.replace(f"@{name}", f"character{i}")
        return text

    timings = tuple(
        ShotTiming(
            index=i,
            start=start,
            end=end,
            text=text,
            prompt=compiled(text),
            cast=tuple(n for n in sorted(names, key=text.find) if f"@{n}" in text),
        )
        for i, (start, end, text) in enumerate(shots, start=1)
    )
    duration = shots[-1][1]
    caps = capabilities()
    return Payload(
        model="wan2.6-r2v-flash",
        input=PayloadInput(
            prompt="".join(t.prompt for t in timings),
            reference_urls=tuple(r.url or r.source for r in references),
        ),
        parameters={"size": size, "duration": duration, "audio": audio},
        meta=PayloadMeta(
            title=title,
            region="beijing",
            base_url=caps.regions["beijing"].base_url,
            lang="zh",
            size=size,
            tier=caps.tier_of(size) or "1080P",
            audio=audio,
            references=references,
            shots=timings,
        ),
    )


SEED_DIR = Path(__file__).resolve().parents[2] / "stories" / "seed"
SEED_NAMES = ("smartwatch", "silent-dance", "multi-character", "pet")


def seed_payloads() -> dict[str, Payload]:
    """The four seed stories, compiled by the real compiler."""
    import shotscript

    return {name: shotscript.load(SEED_DIR / f"{name}.shot").compile() for name in SEED_NAMES}


@pytest.fixture(scope="session")
def seeds() -> dict[str, Payload]:
    """The four seed payloads."""
    return seed_payloads()


def write_video(path: Path, colour: tuple[int, int, int], seconds: float = 1.0) -> Path:
    """A small H.264 MP4 of one colour (10 fps, 160×120)."""
    import av
    from PIL import Image

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        picture = Image.new("RGB", (160, 120), colour)
        for i in range(round(seconds * 10)):
            frame = av.VideoFrame.from_image(picture)
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture
def local_refs(tmp_path: Path) -> Payload:
    """A 2 s portrait story whose cast are a local video (green) and a local image (red)."""
    from PIL import Image

    image = tmp_path / "rex.png"
    Image.new("RGB", (400, 300), (210, 40, 40)).save(image)
    video = write_video(tmp_path / "anna.mp4", (40, 200, 60))
    return make_payload(
        "Local refs — a walk",
        [(0, 1, "@anna walks @rex through the park."), (1, 2, "Close-up of @rex.")],
        [("anna", "video", video), ("rex", "image", image)],
        size="720*1280",
    )
