"""Rendering: backends that turn payloads into videos."""
