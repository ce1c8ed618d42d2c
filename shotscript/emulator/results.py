"""Result videos: signed URLs that expire, and the download route (Range, HEAD, `truncate`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from shotscript.emulator.request_context import state_of
from shotscript.emulator.responses import MediaResponse, oss_error
from shotscript.emulator.tasks import SUCCEEDED, Task
from shotscript.emulator.uploads import ACCESS_KEY_ID

_URL_SECRET = b"shotscript-emulator-result-urls"


def _url_signature(task_id: str, expires: int) -> str:
    digest = hmac.new(_URL_SECRET, f"{task_id}:{expires}".encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def result_url(public: str, task: Task, lifetime: float) -> str:
    """The signed result URL of a SUCCEEDED task, valid `lifetime` seconds from its end
    (served by the emulator itself)."""
    expires = math.ceil(task.submit_wall + task.ends_after() + lifetime)
    signature = quote(_url_signature(task.task_id, expires), safe="")
    return (
        f"{public}/_results/{task.task_id}.mp4"
        f"?Expires={expires}&OSSAccessKeyId={ACCESS_KEY_ID}&Signature={signature}"
    )


async def download(request: Request) -> Response:
    """GET/HEAD /_results/{id}.mp4: the video, with Range support and the `truncate` fault."""
    st = state_of(request)
    st.stats.downloads += 1
    name: str = request.path_params["name"]
    task = st.tasks.tasks.get(name.removesuffix(".mp4"))
    if not name.endswith(".mp4") or task is None or task.status(st.clock.mono()) != SUCCEEDED:
        return oss_error(404, "NoSuchKey", "The specified key does not exist.")
    q = request.query_params
    expires = q.get("Expires", "")
    signature = _url_signature(task.task_id, int(expires)) if expires.isdigit() else None
    if signature is None or not hmac.compare_digest(q.get("Signature", ""), signature):
        return oss_error(403, "AccessDenied", "The request signature does not match.")
    if int(expires) < st.clock.wall():
        return oss_error(403, "AccessDenied", "Request has expired.")
    spec = task.request
    data = await st.media.read(spec.size, spec.duration, spec.audio)
    response = MediaResponse(
        data,
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
        head=request.method == "HEAD",
    )
    if response.can_cut and st.faults.hit("truncate", "download"):
        response.cut(st.faults.fraction(0.2, 0.9))
    st.stats.download_bytes += response.bytes_sent
    return response
