"""Base URL, key and the loopback guard come from settings and the environment."""

from __future__ import annotations

import pytest

from shotscript.facts.capabilities import capabilities
from shotscript.runtime.errors import ConfigError
from shotscript.runtime.settings import (
    api_key_from_env,
    check_base_url,
    is_loopback,
    resolve_base_url,
    settings_from_env,
)


@pytest.mark.parametrize("region", ["beijing", "singapore", "virginia"])
def test_region_urls_come_from_the_capability_data(region: str) -> None:
    assert resolve_base_url(region, environ={}) == capabilities().regions[region].base_url


@pytest.mark.parametrize(
    ("override", "env", "compiled", "expected"),
    [
        (None, {}, None, "https://dashscope.aliyuncs.com/api/v1"),
        (None, {}, "https://proxy.example/api/v1", "https://proxy.example/api/v1"),
        (
            None,
            {"DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:9/api/v1/"},
            "https://x/api",
            "http://127.0.0.1:9/api/v1",
        ),
        (
            "http://localhost:8/a",
            {"DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:9/b"},
            None,
            "http://localhost:8/a",
        ),
    ],
)
def test_precedence(override: str | None, env: dict[str, str], compiled: str | None, expected: str) -> None:
    assert resolve_base_url("beijing", override=override, environ=env, compiled=compiled) == expected


@pytest.mark.parametrize("url", ["dashscope.aliyuncs.com", "ftp://x/y", "http://", "https://u:p@host/api"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        check_base_url(url)


def test_unknown_region() -> None:
    with pytest.raises(ConfigError, match="unknown region"):
        resolve_base_url("mars", environ={})


def test_key_only_from_the_environment() -> None:
    assert api_key_from_env({"DASHSCOPE_API_KEY": " sk-1 "}) == "sk-1"
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY is not set"):
        api_key_from_env({})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/api/v1", True),
        ("http://127.3.2.1/x", True),
        ("http://localhost:1/", True),
        ("http://[::1]:80/", True),
        ("https://dashscope.aliyuncs.com/api/v1", False),
        ("http://10.0.0.1/", False),
        ("http://192.168.1.1/", False),
    ],
)
def test_is_loopback(url: str, expected: bool) -> None:
    assert is_loopback(url) is expected


def test_guard_refuses_the_real_service_when_loopback_is_required() -> None:
    env = {"DASHSCOPE_API_KEY": "k", "SHOTSCRIPT_REQUIRE_LOOPBACK": "1"}
    with pytest.raises(ConfigError, match="non-loopback"):
        settings_from_env("beijing", environ=env)
    ok = settings_from_env("beijing", environ={**env, "DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:1/api/v1"})
    assert ok.require_loopback and ok.base_url == "http://127.0.0.1:1/api/v1"


def test_key_is_not_in_the_repr() -> None:
    env = {"DASHSCOPE_API_KEY": "sk-very-secret", "SHOTSCRIPT_POLL_SCALE": "0.5"}
    settings = settings_from_env("singapore", environ=env)
    assert "sk-very-secret" not in repr(settings)
    assert settings.poll.scale == 0.5
