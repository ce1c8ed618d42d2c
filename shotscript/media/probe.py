"""What a reference file really is (container, codec, length, size, alpha): PyAV and Pillow."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO, Literal

import av
from PIL import Image
from pydantic import BaseModel, ConfigDict

MediaKind = Literal["video", "image", "audio", "unknown"]

# ISO-BMFF major brands that mean "still image", not video (ffmpeg opens them as mov).
_IMAGE_BRANDS = {"avif": "avif", "avis": "avif", "heic": "heic", "heix": "heic", "mif1": "heif"}
# Pillow identifies a few formats that are really video streams; let PyAV have those.
_PILLOW_NOT_IMAGES = {"MPEG"}
# Larger images are refused for their size anyway; decoding them only to check them is waste.
_MAX_VERIFY_PIXELS = 50_000_000
# Phone cameras write MPO: a plain JPEG with extra views appended, which JPEG readers accept.
_IMAGE_ALIASES = {"mpo": "jpeg"}


class MediaInfo(BaseModel):
    """The facts about one media file that the service's limits are about."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: MediaKind
    path: Path | None = None
    container: str | None = None  # "mp4", "mov", "matroska", "png", "jpeg", …
    codec: str | None = None  # video (or audio) codec ("h264", "hevc", "mp3", …); None for images
    duration: float | None = None  # seconds
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_alpha: bool | None = None
    mode: str | None = None  # Pillow mode or pixel format, for messages ("RGBA", "yuv420p")
    bytes: int | None = None
    partial: bool = False  # probed from the first bytes of a remote file only
    error: str | None = None  # why it could not be read (kind is then usually "unknown")

    @property
    def readable(self) -> bool:
        """Whether the file was read as an image, a video or audio without trouble."""
        return self.error is None and self.kind != "unknown"


def probe(path: str | Path) -> MediaInfo:
    """Read a local file's media facts; never raises (a missing or garbage file says so)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        return MediaInfo(kind="unknown", path=p, error=f"not found: {e.strerror or e}")
    if not p.is_file():
        return MediaInfo(kind="unknown", path=p, bytes=size, error="not a regular file")
    if size == 0:
        return MediaInfo(kind="unknown", path=p, bytes=0, error="empty file")
    try:
        with p.open("rb") as f:
            info = _probe_stream(f, decode=True)
    except OSError as e:
        info = MediaInfo(kind="unknown", error=f"cannot open: {e.strerror or e}")
    return info.model_copy(update={"path": p, "bytes": size})


def probe_bytes(head: bytes, *, total_bytes: int | None = None) -> MediaInfo:
    """Media facts from the first bytes of a file (a ranged GET); whatever is not there is None."""
    if not head:
        return MediaInfo(kind="unknown", bytes=total_bytes, partial=True, error="empty body")
    info = _probe_stream(io.BytesIO(head), decode=False)
    return info.model_copy(update={"bytes": total_bytes, "partial": True})


def _probe_stream(f: BinaryIO, *, decode: bool) -> MediaInfo:
    """Image first (cheap, and ffmpeg would happily call a PNG a one-frame video), then video."""
    magic = f.read(32)
    f.seek(0)
    image = _probe_image(f, verify=decode)
    if image is not None:
        return image
    f.seek(0)
    return _probe_video(f, magic, decode=decode)


def _probe_image(f: BinaryIO, *, verify: bool) -> MediaInfo | None:
    try:
        with warnings.catch_warnings():
            # DecompressionBombWarning is about decoding, which we do not do here.
            warnings.simplefilter("ignore")
            with Image.open(f) as im:
                if im.format in _PILLOW_NOT_IMAGES:
                    return None
                fmt = (im.format or "unknown").lower()
                return MediaInfo(
                    kind="image",
                    container=_IMAGE_ALIASES.get(fmt, fmt),
                    width=im.width,
                    height=im.height,
                    has_alpha=_image_has_alpha(im),
                    mode=im.mode,
                    error=_verify_error(im) if verify else None,
                )
    except Exception:  # Pillow raises many types on garbage; not an image is all we need
        return None


def _verify_error(im: Image.Image) -> str | None:
    """None when the image's data is intact (checksums, truncation); the reason otherwise."""
    try:
        if im.format == "PNG":
            im.verify()  # chunk checksums, without inflating the pixels
        elif im.width * im.height <= _MAX_VERIFY_PIXELS:
            # JPEG decodes at 1/8 scale here, which still reads every byte of the stream.
            im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Exception as e:
        return f"image data is damaged ({_short(e)})"
    return None


def _image_has_alpha(im: Image.Image) -> bool:
    # A palette image is transparent through its tRNS chunk, which Pillow exposes in info.
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _probe_video(f: BinaryIO, magic: bytes, *, decode: bool) -> MediaInfo:
    try:
        with av.open(f, mode="r", metadata_errors="ignore") as container:
            return _video_info(container, magic, decode=decode)
    except Exception as e:  # FFmpegError subclasses, and odd ValueErrors on damaged headers
        kind = _kind_from_magic(magic)
        return MediaInfo(
            kind=kind,
            container=_brand_container(magic) if kind == "video" else None,
            error=_short(e),
        )


def _video_info(container: av.container.InputContainer, magic: bytes, *, decode: bool) -> MediaInfo:
    fmt = container.format.name
    if fmt.endswith("_pipe") or fmt == "image2":
        # An image format Pillow could not open (e.g. a broken PNG): say what it is.
        return MediaInfo(kind="image", container=fmt.removesuffix("_pipe"), error="unreadable image")
    name = _container_name(fmt, magic)
    if name in _IMAGE_BRANDS.values():
        return MediaInfo(kind="image", container=name)
    if not container.streams.video and container.streams.audio and name != "mp4":
        return _audio_info(container, name, decode=decode)
    if not container.streams.video or container.streams.video[0].codec_context is None:
        # Audio-only, or an MP4 cut off before its index: still "meant as video" if it says so.
        return MediaInfo(kind=_kind_from_magic(magic), container=name, error="no video stream")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    return MediaInfo(
        kind="video",
        container=name,
        codec=ctx.name,
        duration=_duration(stream, container),
        width=ctx.width or None,
        height=ctx.height or None,
        fps=float(stream.average_rate) if stream.average_rate else None,
        has_alpha=_pix_fmt_has_alpha(ctx.pix_fmt),
        mode=ctx.pix_fmt,
        error=_first_frame_error(container) if decode else None,
    )


def _audio_info(container: av.container.InputContainer, name: str, *, decode: bool) -> MediaInfo:
    """A sound file (WAV, MP3, …): a voice reference."""
    stream = container.streams.audio[0]
    error = None
    if decode:
        try:
            error = next((None for _ in container.decode(audio=0)), "audio has no frames")
        except Exception as e:
            error = f"audio does not decode ({_short(e)})"
    return MediaInfo(kind="audio", container=name, codec=stream.codec_context.name,
                     duration=_duration(stream, container), error=error)


def _duration(stream: av.stream.Stream, container: av.container.InputContainer) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _first_frame_error(container: av.container.InputContainer) -> str | None:
    """None when a first video frame decodes; the reason otherwise (truncated, bad codec data)."""
    try:
        for _ in container.decode(video=0):
            return None
    except Exception as e:
        return f"video does not decode ({_short(e)})"
    return "video has no frames"


def _pix_fmt_has_alpha(pix_fmt: str | None) -> bool | None:
    if not pix_fmt:
        return None
    try:
        return any(c.is_alpha for c in av.VideoFormat(pix_fmt).components)
    except Exception:
        return None


def _container_name(fmt: str, magic: bytes) -> str:
    """A plain container name; ffmpeg's "mov,mp4,m4a,…" is told apart by the ftyp brand."""
    if fmt.startswith("mov,mp4"):
        return _brand_container(magic)
    return fmt.split(",")[0]


def _brand_container(magic: bytes) -> str:
    if magic[4:8] != b"ftyp":
        return "mov"  # classic QuickTime files start with moov/mdat/wide/free atoms, no ftyp
    brand = magic[8:12].decode("latin-1").strip().lower()
    if brand in _IMAGE_BRANDS:
        return _IMAGE_BRANDS[brand]
    if brand == "qt":
        return "mov"
    if brand.startswith("3g"):
        return "3gp"
    if brand == "m4a":
        return "m4a"
    return "mp4"


def _kind_from_magic(magic: bytes) -> MediaKind:
    """A best guess at what a file that nothing could open was meant to be."""
    if magic[4:8] in (b"ftyp", b"moov", b"mdat") or magic[:4] == b"\x1aE\xdf\xa3":
        return "video"
    return "unknown"


def _short(e: BaseException) -> str:
    # FFmpeg errors carry "[Errno N] reason: 'path'"; the reason alone is what people need.
    text = getattr(e, "strerror", None) or str(e).strip() or type(e).__name__
    return text if len(text) <= 120 else text[:117] + "…"
