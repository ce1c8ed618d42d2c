"""A local, DashScope-compatible emulator of the Wan 2.6 reference-to-video API.

Tests and benchmarks run against it instead of the real service: it speaks the same HTTP
protocol (create, poll, cancel, list, temporary upload, result download), validates like the
service, simulates generation time, quotas and faults, and serves real MP4 files.

Start it with `shotscript emulate` or `python -m shotscript.emulator`.
"""

from shotscript.emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig"]
