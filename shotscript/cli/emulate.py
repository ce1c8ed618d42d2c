"""`shotscript emulate`: the emulator's own command (shotscript/emulator/command.py), under the CLI."""

from shotscript.emulator.command import emulate

__all__ = ["emulate"]
