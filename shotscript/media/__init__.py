"""Reference media: what a file or URL really is, and whether the service will take it.

`check` (the whole check of a story: compile-stage checks plus its files), `probe` (PyAV,
Pillow), `limits` and `remote` (ranged GETs), `billing`, `problems`. Nothing is imported here,
so that `shotscript.media.check` on a story without local files loads no PyAV.
"""
