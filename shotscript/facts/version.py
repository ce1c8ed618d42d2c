"""This package's version: the User-Agent, sidecars and reports name it (kept with pyproject.toml)."""

__version__ = "0.1.0"
