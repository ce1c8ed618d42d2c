"""`python -m shotscript.emulator [flags]`: the same as `shotscript emulate [flags]`."""

from shotscript.emulator.command import emulate

emulate(prog_name="python -m shotscript.emulator")
