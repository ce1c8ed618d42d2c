"""From folders to a plan: keys, identical requests, broken stories, and the settings' order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shotscript.batch.cost import load_prices
from shotscript.batch.options import BatchFlags, folder_render, resolve
from shotscript.batch.plan import plan, request_fingerprint, story_files
from shotscript.compiler.driver import check_file
from tests.batch.batch_helpers import story_text
from tests.conftest import STORIES


def test_keys_mirror_the_tree_and_never_collide(tmp_path: Path) -> None:
    shutil.copytree(STORIES / "seed", tmp_path / "seed")
    (tmp_path / "ads" / "v2").mkdir(parents=True)
    (tmp_path / "ads" / "v2" / "a.shot").write_text(story_text(1), "utf-8")
    files = story_files([tmp_path])
    keys = [f.key for f in files]
    assert "ads/v2/a" in keys
    # pet.shot and pet.yaml side by side: the first keeps the plain key.
    assert {"seed/pet", "seed/pet.yaml"} <= set(keys) and len(set(keys)) == len(keys)
    assert files[0].output(tmp_path / "out") == tmp_path / "out" / f"{files[0].key}.mp4"
    # Several paths: keys relative to their common folder; a file named twice counts once.
    files = story_files([tmp_path / "seed" / "pet.shot", tmp_path / "ads", tmp_path / "seed" / "pet.shot"])
    assert [f.key for f in files] == ["seed/pet", "ads/v2/a"]
    assert [f.key for f in story_files([tmp_path / "seed" / "pet.shot"])] == ["pet"]


def test_identical_requests_are_planned_once(tmp_path: Path) -> None:
    shutil.copytree(STORIES / "seed", tmp_path / "seed")
    planned = list(plan(story_files([tmp_path]), backend="dashscope", prices=load_prices()))
    copies = {p.row.key: p.row.same_as for p in planned if p.row.same_as}
    # The .yaml spelling of each seed story compiles to the same request as its .shot.
    assert copies == {
        f"seed/{n}.yaml": f"seed/{n}" for n in ("multi-character", "pet", "silent-dance", "smartwatch")
    }


def test_a_broken_story_is_planned_as_failed_with_its_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "bad.shot").write_text("size 1280x720\nprompt hello\n", "utf-8")
    [p] = plan(story_files([tmp_path]), backend="dashscope", prices=load_prices())
    assert p.row.fingerprint.startswith("invalid-") and p.row.error is not None
    assert p.row.error["kind"] == "story" and "error[E" in p.row.error["message"]
    assert "(and 1 more)" in p.row.error["message"] and len(p.row.error["diagnostics"]) == 2
    assert p.row.error["retryable"] is False and p.row.estimate_seconds is None


def test_the_fingerprint_follows_the_request_its_files_and_the_backend(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (300, 300), "white").save(tmp_path / "cup.png")
    path = tmp_path / "s.shot"
    path.write_text("size 1280*720\ncast\n  cup image cup.png\nprompt @cup 在桌上。\n", "utf-8")

    def fp(backend: str = "dashscope") -> str:
        payload = check_file(path).payload
        assert payload is not None
        return request_fingerprint(payload, backend)

    first = fp()
    assert fp() == first and fp("preview") != first
    Image.new("RGB", (300, 300), "black").save(tmp_path / "cup.png")  # same name, new content
    assert fp() != first


def test_settings_flags_over_the_folder_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text(
        '[render]\nout = "videos"\nconcurrency = 3\nbudget = 20\nprices = "p.toml"\nbackend = "preview"\n',
        "utf-8",
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "shotscript.toml").write_text("[render]\nconcurrency = 2\n", "utf-8")
    render, origin = folder_render(tmp_path / "sub")
    assert render["concurrency"] == 2 and origin["concurrency"] == tmp_path / "sub" / "shotscript.toml"
    options = resolve(BatchFlags(), render, origin, environ={})
    # Paths in a shotscript.toml are relative to that file.
    assert options.out_dir == tmp_path / "videos" and options.prices == tmp_path / "p.toml"
    assert (options.concurrency, options.budget, options.backend) == (2, 20.0, "preview")
    flags = BatchFlags(out=Path("x"), concurrency=7, budget=1.0, backend="dashscope")
    options = resolve(flags, render, origin, environ={})
    assert (options.out_dir, options.concurrency, options.budget, options.backend) == (
        Path("x"),
        7,
        1.0,
        "dashscope",
    )
    defaults = resolve(BatchFlags(), {}, {}, environ={"DASHSCOPE_API_KEY": "k"})
    assert (defaults.out_dir, defaults.concurrency, defaults.backend) == (Path("renders"), None, "dashscope")
    assert resolve(BatchFlags(), {}, {}, environ={}).backend == "preview"
    with pytest.raises(ValueError, match="backend must be"):
        resolve(BatchFlags(), {"backend": "cloud"}, {}, environ={})
    with pytest.raises(ValueError, match="concurrency"):
        resolve(BatchFlags(), {"concurrency": 0}, {}, environ={})
