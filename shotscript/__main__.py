"""`python -m shotscript` runs the command line."""

from shotscript.cli import main

main()
