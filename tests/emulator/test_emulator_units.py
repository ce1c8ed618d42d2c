"""Unit tests of the emulator's pure parts: fault SPEC, ranges, forms, fingerprints, billing."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotscript.emulator.billing import input_video_seconds, usage
from shotscript.emulator.faults import FaultInjector, FaultRule, FaultSpec
from shotscript.emulator.multipart import boundary_of, parse_form
from shotscript.emulator.quotas import TokenBucket
from shotscript.emulator.responses import ByteRange, parse_range
from shotscript.emulator.stats import fingerprint
from shotscript.emulator.timing import Job, plan_timeline
from shotscript.emulator.validate import parse_create
from shotscript.facts.capabilities import capabilities
from tests.emulator.emulator_helpers import seed_payload

BEIJING = capabilities().regions["beijing"]


def test_fault_spec_parses_the_issue_example() -> None:
    spec = FaultSpec.parse("429=0.2,500=0.05,reset=0.02,truncate=0.05,fail=0.02")
    assert spec.rules["429"] == FaultRule(0.2)
    assert spec.probability("reset") == 0.02
    assert spec.probability("slow") == 0.0
    assert str(spec) == "429=0.2,500=0.05,reset=0.02,truncate=0.05,fail=0.02"


def test_fault_spec_bursts_and_blanks() -> None:
    spec = FaultSpec.parse(" 500 = 0.1*3 , , slow=1 ")
    assert spec.rules["500"] == FaultRule(0.1, 3)
    assert str(spec) == "500=0.1*3,slow=1"
    assert FaultSpec.parse("").rules == {}
    assert FaultSpec.parse(None).rules == {}


@pytest.mark.parametrize(
    "bad", ["429", "404=0.1", "429=x", "429=1.5", "429=-0.1", "500=0.1*0", "fail=0.1*2", "=0.2"]
)
def test_fault_spec_rejects_nonsense(bad: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(bad)


def test_faults_repeat_for_a_seed_and_bursts_last() -> None:
    spec = FaultSpec.parse("500=0.3*2,429=0.2")
    one, two = FaultInjector(spec, 5), FaultInjector(spec, 5)
    seq1 = [one.hit("500", "create") for _ in range(200)]
    seq2 = [two.hit("500", "create") for _ in range(200)]
    assert seq1 == seq2 and any(seq1) and not all(seq1)
    # every burst lasts at least two requests
    runs = "".join("x" if hit else "." for hit in seq1).split(".")
    assert all(len(run) >= 2 for run in runs if run)
    assert one.counts["500"] == sum(seq1)


def test_faults_not_named_never_happen() -> None:
    injector = FaultInjector(FaultSpec.parse("429=1"), 0)
    assert all(injector.hit("429") for _ in range(20))
    assert not any(injector.hit("reset") for _ in range(20))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", ByteRange(0, 9)),
        ("bytes=10-", ByteRange(10, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=90-500", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=5-2", "unsatisfiable"),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
    ],
)
def test_range_header(header: str | None, expected: object) -> None:
    assert parse_range(header, 100) == expected


@given(st.integers(1, 10_000), st.integers(0, 20_000), st.integers(0, 20_000))
def test_satisfiable_ranges_stay_inside_the_file(size: int, a: int, b: int) -> None:
    got = parse_range(f"bytes={a}-{b}", size)
    if isinstance(got, ByteRange):
        assert 0 <= got.start <= got.end < size


def test_multipart_form_round_trip() -> None:
    import httpx

    request = httpx.Request(
        "POST",
        "http://127.0.0.1/_oss",
        data={"key": "dir/a b.png", "policy": "p"},
        files={"file": ("a b.png", b"\x00\r\n--binary\r\n\x01", "image/png")},
    )
    body = request.read()
    boundary = boundary_of(request.headers["content-type"])
    assert boundary
    form = parse_form(body, boundary)
    assert form["key"].text == "dir/a b.png"
    assert form["file"].filename == "a b.png"
    assert form["file"].data == b"\x00\r\n--binary\r\n\x01"
    assert form["file"].content_type == "image/png"
    assert boundary_of("application/json") is None
    with pytest.raises(ValueError):
        parse_form(b"garbage", boundary)


def test_fingerprint_ignores_sdk_fields_defaults_and_order() -> None:
    body = seed_payload("silent-dance")
    sdk = seed_payload("silent-dance")
    sdk["input"]["function"] = "video-synthesis"
    sdk["input"]["extend_prompt"] = True
    sdk["parameters"] = dict(reversed(list(sdk["parameters"].items())))
    same = lambda url: None  # noqa: E731
    assert fingerprint(body, same) == fingerprint(sdk, same)
    # omitting a parameter asks for its default (smartwatch sends no `audio`): the same video
    explicit = seed_payload("smartwatch")
    implicit = seed_payload("smartwatch")
    explicit["parameters"]["audio"] = True
    implicit["input"]["negative_prompt"] = None
    assert fingerprint(explicit, same) == fingerprint(implicit, same)
    other = seed_payload("silent-dance")
    other["parameters"]["duration"] = 6
    assert fingerprint(body, same) != fingerprint(other, same)


def test_fingerprint_sees_through_reuploads() -> None:
    one = {"model": "m", "input": {"prompt": "p", "reference_urls": ["oss://d1/a.png"]}}
    two = {"model": "m", "input": {"prompt": "p", "reference_urls": ["oss://d2/a.png"]}}
    content = {"oss://d1/a.png": "abc", "oss://d2/a.png": "abc"}
    assert fingerprint(one, content.get) == fingerprint(two, content.get)
    assert fingerprint(one, lambda url: None) != fingerprint(two, lambda url: None)


def test_billing_follows_the_seed_example() -> None:
    # multi-character: 2 videos among 4 references -> each counts at most 5/4 s
    request = parse_create(seed_payload("multi-character"), region=BEIJING, oss_resolve=False)
    assert input_video_seconds(request, [None, None]) == 2.5
    assert input_video_seconds(request, [0.5, None]) == 1.75
    block = usage(request, [None, None])
    assert block == {
        "duration": 12.5,
        "input_video_duration": 2.5,
        "output_video_duration": 10,
        "size": "1280*720",
        "SR": 720,
        "video_count": 1,
    }


def test_timeline_is_scaled_or_fixed() -> None:
    rng = random.Random(1)
    job = Job(model="wan2.6-r2v", tier="1080P", duration=10, busy=0)
    for _ in range(100):
        queued, running = plan_timeline(rng, job, mode="uniform", time_scale=0.01, gen_seconds=None)
        assert 0.6 <= queued + running <= 1.2 and 0 < queued < running
    fixed = plan_timeline(rng, job, mode="realistic", time_scale=5, gen_seconds=2.0)
    assert fixed == pytest.approx((0.2, 1.8))


def test_token_bucket_allows_bursts_then_the_rate() -> None:
    bucket = TokenBucket(5)
    assert [bucket.take(0.0) for _ in range(5)] == [None] * 5
    wait = bucket.take(0.0)
    assert wait == pytest.approx(0.2)
    assert bucket.take(0.2) is None
    slow = TokenBucket(0.5)
    assert slow.take(0.0) is None
    assert slow.take(1.0) == pytest.approx(1.0)
