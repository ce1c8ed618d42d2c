"""The pure parts of the defences, table-driven: the URL policy, redaction, the caps' parsing."""

from __future__ import annotations

import asyncio

import pytest

from shotscript.runtime.client import valid_task_id
from shotscript.runtime.errors import ConfigError, UnsafeURLError
from shotscript.runtime.limits import RuntimeLimits, limits_from_env, parse_limits
from shotscript.runtime.redact import add_secret, redact, redact_tree
from shotscript.runtime.url_policy import UrlPolicy

PUBLIC = UrlPolicy()
EMULATOR = UrlPolicy.for_base_url("http://127.0.0.1:8765/api/v1")


@pytest.mark.parametrize(
    ("policy", "url", "why"),
    [
        (PUBLIC, "https://cdn.example.com/v.mp4", None),
        (PUBLIC, "https://8.8.8.8/v.mp4", None),
        (PUBLIC, "http://cdn.example.com/v.mp4", "plain http"),
        (PUBLIC, "https://127.0.0.1/v.mp4", "a loopback address"),
        (PUBLIC, "https://localhost/v.mp4", "a loopback address"),
        (PUBLIC, "https://10.0.0.1/", "a private address"),
        (PUBLIC, "https://172.16.5.4/", "a private address"),
        (PUBLIC, "https://[fd00::1]/", "a private address"),
        (PUBLIC, "https://169.254.1.1/", "a link-local address"),
        (PUBLIC, "https://169.254.169.254/", "a cloud metadata address"),
        (PUBLIC, "https://100.100.100.200/", "a cloud metadata address"),
        (PUBLIC, "https://[fd00:ec2::254]/", "a cloud metadata address"),
        (PUBLIC, "https://100.64.0.1/", "not a public address"),
        (PUBLIC, "https://224.0.0.1/", "not a public address"),
        (PUBLIC, "https://0.0.0.0/", "a private address"),  # 0/8: "this network"
        (PUBLIC, "https://[::ffff:192.168.1.1]/", "a private address"),
        (PUBLIC, "https://user:pw@cdn.example.com/", "credentials in the URL"),
        (PUBLIC, "ftp://cdn.example.com/v.mp4", "scheme ftp"),
        (PUBLIC, "/relative/v.mp4", "no host"),
        (PUBLIC, "https://[::1", "not a URL"),
        (EMULATOR, "http://127.0.0.1:9/_results/v.mp4", None),
        (EMULATOR, "http://localhost:9/v.mp4", None),
        (EMULATOR, "http://10.0.0.1/v.mp4", "a private address"),
        (EMULATOR, "http://cdn.example.com/v.mp4", "plain http"),
        (EMULATOR, "https://169.254.169.254/", "a cloud metadata address"),
    ],
)
def test_url_policy(policy: UrlPolicy, url: str, why: str | None) -> None:
    found = policy.problem(url)
    assert (found is None) if why is None else (found is not None and found.startswith(why)), found


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    async def resolve(host: str) -> list[str]:
        names = {"cdn.example.com": ["93.184.216.34"], "sneaky.example.com": ["93.184.216.34", "10.1.1.1"]}
        return names[host]

    policy = UrlPolicy(resolve=resolve)
    asyncio.run(policy.check("https://cdn.example.com/v.mp4"))
    said = r"sneaky\.example\.com resolves to a private address \(10\.1\.1\.1\)"
    with pytest.raises(UnsafeURLError, match=said):
        asyncio.run(policy.check("https://sneaky.example.com/v.mp4?Signature=secret"))


def test_the_refusal_never_shows_the_query() -> None:
    with pytest.raises(UnsafeURLError) as info:
        PUBLIC.refuse("https://10.0.0.1/v.mp4?OSSAccessKeyId=abc&Signature=xyz")
    assert "Signature" not in info.value.message and "10.0.0.1/v.mp4" in info.value.message


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("key sk-abcdef0123456789 here", "key *** here"),
        ("task-abcdef0123456789" + "abcdef",) * 2,  # not a token: `sk-` inside a word
        ("sk-short", "sk-short"),
        ("Bearer my-own-secret-value!", "Bearer ***!"),
        ("quoted my-own-secret-value%21 too", "quoted ***%21 too"),
        ("url-encoded my%2Down%2Dsecret", "url-encoded my%2Down%2Dsecret"),
    ],
)
def test_redact(text: str, clean: str) -> None:
    add_secret("my-own-secret-value")
    assert redact(text) == clean


def test_redact_tree_cleans_keys_and_values() -> None:
    add_secret("tree-secret-42")
    tree = {"a": ["x tree-secret-42", {"tree-secret-42": 1}], "n": 3, "b": None}
    assert redact_tree(tree) == {"a": ["x ***", {"***": 1}], "n": 3, "b": None}


def test_a_url_encoded_key_is_redacted() -> None:
    add_secret("key/with+chars=")
    assert redact("echo key%2Fwith%2Bchars%3D") == "echo ***"


@pytest.mark.parametrize(
    ("task_id", "ok"),
    [("0385dc79-5ff8-4d82-bcb6-6c4b7c3b1a2e", True), ("t-1", True), ("a_b", True), ("", False),
     ("../x", False), ("a/b", False), ("a.b", False), ("a%2F", False), ("-x", False), ("x" * 129, False),
     (None, False), (7, False)],
)  # fmt: skip
def test_task_ids(task_id: object, ok: bool) -> None:
    assert valid_task_id(task_id) is ok


def test_limits_from_the_environment() -> None:
    text = "retry_after_max=30, max_redirects=0,video_max_bytes=1000"
    limits = limits_from_env({"SHOTSCRIPT_LIMITS": text})
    assert limits == RuntimeLimits(retry_after_max=30.0, max_redirects=0, video_max_bytes=1000)
    assert limits_from_env({}) == RuntimeLimits()


@pytest.mark.parametrize(
    "text",
    ["nonsense", "retry_after_max", "retry_after_max=soon", "min_throughput=-1", "download_deadline=inf",
     "max_redirects=1.5", "download_deadline=0"],
)  # fmt: skip
def test_bad_limits_are_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_limits(text)
    assert "SHOTSCRIPT_LIMITS" in info.value.message
