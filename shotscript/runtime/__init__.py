"""Rendering: backends that turn payloads into videos.

Policy apart from plumbing: `retry_policy`, `poll_schedule`, `errors` (mapping) and
`record.resume_action` are pure; `client` (HTTP), `uploads`, `download` and `reconcile` do
I/O; `lifecycle` runs one story's state machine over a `RecordStore`; `backend` wraps it
behind the `Backend` protocol. Every tunable is in `constants`. Nothing here is imported by
`shotscript compile`.
"""

import sys
import types


def _httpx_without_its_cli() -> None:
    # `import httpx` (0.28) also imports its command line, httpx._main, and with it rich,
    # pygments and click: ~30 ms of a render's start, for a CLI shotscript never runs. Every
    # runtime module imports httpx after this package; its CLI stays loadable on demand.
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main")

    def main() -> None:
        """httpx's own command line, loaded when called."""
        del sys.modules["httpx._main"]
        from httpx._main import main as real

        real()

    stub.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub


_httpx_without_its_cli()
