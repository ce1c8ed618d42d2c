"""The type checker passes on the package: the configuration is pyproject.toml's [tool.mypy]."""

from __future__ import annotations

from mypy import api as mypy_api

from tests.conftest import ROOT


def test_mypy_reports_no_error_in_shotscript() -> None:
    out, err, status = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "shotscript")])
    assert status == 0, out + err
