"""The JSON written beside each video: what was asked, what came back, how long it took."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shotscript.compiler.payload import Payload
from shotscript.facts.service import output_fps
from shotscript.facts.version import __version__
from shotscript.runtime.atomic import atomic_write_text
from shotscript.runtime.download import VideoProbe
from shotscript.runtime.redact import MASK, redact

FPS = output_fps()

SIDECAR_VERSION = 1

# Local timings, in the order they happen; each span is (name, from, to).
SPANS: tuple[tuple[str, str, str], ...] = (
    ("upload", "uploading", "submitting"),
    ("create", "submitting", "submitted"),
    ("generate", "submitted", "succeeded"),
    ("completion_to_disk", "succeeded", "downloaded"),
    ("total", "started", "downloaded"),
)


def iso(epoch: float) -> str:
    """An epoch time as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def spans(timings: dict[str, float]) -> dict[str, float]:
    """Durations in seconds between recorded moments, for those whose ends are both known."""
    return {name: round(timings[b] - timings[a], 3) for name, a, b in SPANS if a in timings and b in timings}


def checks(payload: Payload, probe: VideoProbe) -> dict[str, dict[str, Any]]:
    """The probed video against what the story asked for."""
    return {
        "size": {
            "expected": payload.meta.size,
            "actual": probe.size,
            "ok": probe.size == payload.meta.size,
        },
        "duration": {
            "expected": payload.duration,
            "actual": round(probe.duration, 3),
            # Encoders round to whole frames: allow a frame's worth and a little more.
            "ok": abs(probe.duration - payload.duration) <= 0.1,
        },
        "fps": {"expected": FPS, "actual": round(probe.fps, 3), "ok": abs(probe.fps - FPS) < 0.01},
    }


def build_sidecar(
    *,
    story: str,
    sent: Payload,
    task_id: str,
    output: dict[str, Any],
    usage: dict[str, Any],
    request_ids: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    timings: dict[str, float],
    polls: int,
    probe: VideoProbe,
    video_path: Path,
    video_bytes: int,
    resumes: int,
    base_url: str,
    request_fingerprint: str | None = None,
) -> dict[str, Any]:
    """The sidecar document; built from named fields only, so no secret can wander in."""
    service_times = {k: output[k] for k in ("submit_time", "scheduled_time", "end_time") if output.get(k)}
    prompts = {k: output[k] for k in ("orig_prompt", "actual_prompt") if output.get(k)}
    return {
        "sidecar_version": SIDECAR_VERSION,
        "shotscript": __version__,
        "story": story,
        "story_path": str(sent.meta.story_path) if sent.meta.story_path else None,
        "title": sent.meta.title,
        "video": video_path.name,
        "task_id": task_id,
        "model": sent.model,
        "region": sent.meta.region,
        "base_url": base_url,
        "request_fingerprint": request_fingerprint,  # the ledger's: a lost journal is rebuilt from it
        "request": sent.body(),
        "prompt": sent.input.prompt,
        "negative_prompt": sent.input.negative_prompt,
        "service_prompts": prompts,
        "request_ids": request_ids,
        "requests": requests,
        "polls": polls,
        "timings": {k: iso(v) for k, v in sorted(timings.items(), key=lambda kv: kv[1])},
        "seconds": spans(timings),
        "service_times": service_times,
        "usage": usage,
        "output": {
            "bytes": video_bytes,
            "width": probe.width,
            "height": probe.height,
            "fps": round(probe.fps, 3),
            "duration": round(probe.duration, 3),
            "codec": probe.codec,
            "download_resumes": resumes,
        },
        "checks": checks(sent, probe),
    }


def sidecar_text(document: dict[str, Any], *, secret: str) -> str:
    """The sidecar as JSON text; refuses to produce text containing the secret."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if secret and secret in text:
        # Network strings are redacted where they enter (client, errors): reaching here means
        # a field leaked, which is a bug, but the paid video must still get its sidecar.
        text = redact(text.replace(secret, MASK))
    return text + "\n"


def write_sidecar(path: Path, document: dict[str, Any], *, secret: str) -> None:
    """Write the sidecar atomically."""
    # Readable like the video beside it (it holds no secret).
    atomic_write_text(path, sidecar_text(document, secret=secret), mode=0o644)


def sidecar_path(video: Path) -> Path:
    """Where a video's sidecar goes: `<story>.json` beside `<story>.mp4`."""
    return video.with_suffix(".json")
