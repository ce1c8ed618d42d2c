"""Upload names and the upload cache: by content hash and model, until they expire."""

from __future__ import annotations

from pathlib import Path

from shotscript.runtime.uploads import (
    CachedUpload,
    UploadCache,
    account_tag,
    cache_key,
    file_sha256,
    object_name,
    reusable,
)

H = 3600.0


def test_same_base_name_different_content_never_collide(tmp_path: Path) -> None:
    a = tmp_path / "a" / "ref.png"
    b = tmp_path / "b" / "ref.png"
    for p, data in ((a, b"one"), (b, b"two")):
        p.parent.mkdir()
        p.write_bytes(data)
    na, nb = object_name(a, file_sha256(a)), object_name(b, file_sha256(b))
    assert na != nb
    assert na.endswith("-ref.png") and nb.endswith("-ref.png")


def test_same_content_same_name(tmp_path: Path) -> None:
    a, b = tmp_path / "x.mp4", tmp_path / "y.mp4"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert object_name(a, file_sha256(a))[:16] == object_name(b, file_sha256(b))[:16]


def test_names_are_made_safe() -> None:
    assert object_name(Path("/x/猫 photo (1).PNG"), "f" * 64) == "ffffffffffffffff-photo_1.png"
    assert object_name(Path("/x/...png"), "0" * 64).startswith("0000000000000000-")


def test_cache_keys_separate_models_endpoints_and_accounts() -> None:
    keys = {
        cache_key("d", "wan2.6-r2v", "u", "acct"),
        cache_key("d", "wan2.6-r2v-flash", "u", "acct"),
        cache_key("d", "wan2.6-r2v", "u2", "acct"),
        cache_key("d", "wan2.6-r2v", "u", "acct2"),
    }
    assert len(keys) == 4


def test_account_tag_hides_the_key() -> None:
    tag = account_tag("sk-secret-key")
    assert "sk-secret" not in tag and len(tag) == 12
    assert tag == account_tag("sk-secret-key") != account_tag("sk-other")


def test_reuse_window() -> None:
    entry = CachedUpload("oss://k", 0.0, 48 * H, "f.png", 3)
    assert reusable(entry, now=0.0, margin=6 * H)
    assert reusable(entry, now=41.9 * H, margin=6 * H)
    assert not reusable(entry, now=42 * H, margin=6 * H)


def test_cache_round_trip_and_expiry(tmp_path: Path) -> None:
    clock = [1000.0]
    cache = UploadCache(tmp_path / "uploads.json", now=lambda: clock[0])
    cache.put("k1", CachedUpload("oss://a", 1000.0, 1000.0 + 48 * H, "a.png", 1))
    assert cache.get("k1") is not None and cache.get("k1").url == "oss://a"  # type: ignore[union-attr]
    assert cache.get("k2") is None
    clock[0] += 43 * H  # within the safety margin of expiry: upload again
    assert cache.get("k1") is None
    clock[0] += 10 * H  # expired entries are dropped on the next write
    cache.put("k2", CachedUpload("oss://b", clock[0], clock[0] + 48 * H, "b.png", 1))
    assert "k1" not in (tmp_path / "uploads.json").read_text()


def test_damaged_cache_is_empty(tmp_path: Path) -> None:
    (tmp_path / "uploads.json").write_text("[1, 2")
    assert UploadCache(tmp_path / "uploads.json").get("k") is None
