"""`check --probe-remote`: references on a (loopback) web server are fetched and judged."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from shotscript.cli import cli


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


FILES = {"/face.png": ("image/png", _png()), "/page.png": ("text/html", b"<html>hi</html>")}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = FILES.get(self.path)
        if found is None:
            self.send_error(404)
            return
        ctype, body = found
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_probe_remote_reports_each_bad_url_at_its_cast_line(server: str, tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text(
        f"cast\n  a image {server}/face.png\n  b image {server}/missing.png\n"
        f"  c image {server}/page.png\nprompt @a @b @c\n"
    )
    offline = CliRunner().invoke(cli, ["check", str(story)])
    assert offline.exit_code == 0  # nothing is fetched unless asked
    result = CliRunner().invoke(cli, ["check", "--probe-remote", "--format", "json", str(story)])
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    by_line: dict[int, list[str]] = {}
    for d in report["diagnostics"]:
        by_line.setdefault(d["line"], []).append(d["message"])
    assert any("[remote-http-error]" in m for m in by_line[3])
    assert any("[remote-not-media]" in m for m in by_line[4])
    # A loopback host is private: the real service could never fetch it, whatever it serves.
    assert all(any("[remote-private-host]" in m for m in by_line[n]) for n in (2, 3, 4))
    assert not any("[remote-" in m and "private" not in m for m in by_line[2])


def test_probe_remote_fetches_voices_and_the_first_frame_of_a_27_story(server: str, tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text(
        f"model wan2.7-r2v\nfirst_frame {server}/page.png\n"
        f"cast\n  a image {server}/face.png voice {server}/missing.mp3\nprompt @a 说话。\n"
    )
    result = CliRunner().invoke(cli, ["check", "--probe-remote", "--format", "json", str(story)])
    [report] = json.loads(result.stdout)
    found = {(d["line"], m) for d in report["diagnostics"] for m in [d["message"]]}
    assert any(line == 2 and "[remote-not-media]" in m for line, m in found)  # the first frame
    assert any(line == 4 and "[remote-http-error]" in m and "missing.mp3" in m for line, m in found)
