"""The story commands as a user runs them: output, files written, exit status 0/1/2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from shotscript.cli import cli
from tests.conftest import GOLDEN, ROOT, STORIES

BAD = ROOT / "tests" / "bad"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_clean_folder_exits_0() -> None:
    code, _, err = run("check", str(STORIES))
    assert code == 0
    assert "0 with errors" in err


def test_check_errors_exit_1_with_file_line_col() -> None:
    code, _, err = run("check", str(BAD / "size.shot"))
    assert code == 1
    assert "tests/bad/size.shot:2:6: error[E405]" in err
    assert "help: did you mean `1280*720`?" in err


def test_check_json_for_tools() -> None:
    code, out, _ = run("check", "--format", "json", str(BAD / "many-mistakes.shot"))
    assert code == 1
    [report] = json.loads(out)
    assert report["ok"] is False
    assert {d["code"] for d in report["diagnostics"]} >= {"E104", "E201", "E405", "E310"}
    first = report["diagnostics"][0]
    assert set(first) >= {"path", "line", "column", "severity", "code", "message", "help"}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("check")[0] == 2
    assert run("check", str(tmp_path / "nope.shot"))[0] == 2
    assert run("compile", str(STORIES / "seed" / "pet.shot"), "--format", "xml")[0] == 2
    (tmp_path / "notes.txt").write_text("hi")
    code, _, err = run("check", str(tmp_path / "notes.txt"))
    assert code == 2 and "not a story file" in err
    code, _, err = run("check", str(tmp_path))
    assert code == 2 and "no story files" in err


def test_compile_prints_the_exact_body() -> None:
    code, out, _ = run("compile", str(STORIES / "seed" / "smartwatch.shot"))
    assert code == 0
    assert json.loads(out) == json.loads((GOLDEN / "seed-payloads" / "smartwatch.json").read_text())


def test_compile_prompt_format() -> None:
    code, out, _ = run("compile", str(STORIES / "seed" / "pet.yaml"), "--format", "prompt")
    assert code == 0
    assert out == (GOLDEN / "seed-payloads" / "pet-prompt.txt").read_text("utf-8")


def test_compile_curl_uses_the_variable_never_a_key(tmp_path: Path) -> None:
    secret = "sk-" + "z" * 32
    code, out, _ = run("compile", str(STORIES / "seed" / "smartwatch.shot"), "--format", "curl",
                       env={"DASHSCOPE_API_KEY": secret, "DASHSCOPE_HTTP_BASE_URL": ""})
    assert code == 0
    assert secret not in out
    assert '-H "Authorization: Bearer $DASHSCOPE_API_KEY"' in out
    assert "X-DashScope-Async: enable" in out
    assert "https://dashscope.aliyuncs.com/api/v1/services/aigc/video-generation/" in out
    # The command is valid shell that sends exactly the body: run it with a fake curl.
    fake = tmp_path / "curl"
    fake.write_text('#!/bin/sh\ncat > "$(dirname "$0")/body.json"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "DASHSCOPE_API_KEY": secret}
    subprocess.run(["sh", "-c", out], check=True, env=env)
    body = json.loads((tmp_path / "body.json").read_text())
    assert body == json.loads((GOLDEN / "seed-payloads" / "smartwatch.json").read_text())


def test_compile_curl_refuses_local_files() -> None:
    code, _, err = run("compile", str(STORIES / "spec" / "smartwatch.shot"), "--format", "curl")
    assert code == 1 and "local reference files" in err


def test_compile_folder_to_out_dir(tmp_path: Path) -> None:
    code, _, _ = run("compile", str(STORIES / "seed"), "--out", str(tmp_path))
    assert code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "smartwatch.json" in written and "pet.json" in written


def test_compile_out_mirrors_the_tree_like_render(tmp_path: Path) -> None:
    """Stories of one name in different folders get one file each, at the path render uses."""
    out = tmp_path / "out"
    code, _, err = run("compile", str(STORIES), "--out", str(out))
    assert code == 0, err
    from shotscript.compiler.story_keys import story_files

    files = story_files([STORIES])
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert written == sorted(f"{f.key}.json" for f in files)
    assert len(written) == len(files) and "seed/smartwatch.json" in written
    assert err.count("seed/smartwatch.json") == 1
    first = next(f for f in files if f.key == "seed/smartwatch")
    assert first.output(out).with_suffix(".json") == out / "seed" / "smartwatch.json"


def test_compile_out_refuses_a_clash(tmp_path: Path) -> None:
    """`Pet.shot` and `pet.shot` would be one file on macOS and Windows: refused, nothing written."""
    src = tmp_path / "src"
    src.mkdir()
    story = (STORIES / "seed" / "smartwatch.shot").read_text("utf-8")
    for name in ("Pet.shot", "pet.shot"):
        (src / name).write_text(story, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run("compile", str(src), "--out", str(out))
    assert code == 2
    assert "would both be written to" in err and "pet.json" in err.lower()
    assert not out.exists() or not any(out.iterdir())


def test_compile_bad_story_exits_1_and_prints_no_body() -> None:
    code, out, err = run("compile", str(BAD / "gap.shot"))
    assert code == 1 and out == "" and "E204" in err


def test_fmt_check_and_rewrite(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    original = (STORIES / "seed" / "smartwatch.shot").read_text()
    story.write_text(original.replace("shot 3s    @girl", "shot   3s @girl").replace(
        "duration 10", "duration   10"))
    code, _, err = run("fmt", "--check", str(story))
    assert code == 1 and "would reformat" in err
    assert run("fmt", str(story))[0] == 0
    assert run("fmt", "--check", str(story))[0] == 0
    assert story.read_text() == original  # the shipped story is canonical, comments kept


def test_fmt_converts_between_spellings(tmp_path: Path) -> None:
    code, out, _ = run("fmt", "--to", "yaml", str(STORIES / "seed" / "smartwatch.shot"))
    assert code == 0
    (tmp_path / "s.yaml").write_text(out)
    code, back, _ = run("fmt", "--to", "shot", str(tmp_path / "s.yaml"))
    assert code == 0 and "shot 0-3s  @girl在办公室中" in back


def test_fmt_keeps_comments_after_settings(tmp_path: Path) -> None:
    """`duration 8   # eight` is a setting and a comment: fmt keeps both, the comments in one column."""
    story = tmp_path / "s.shot"
    original = (STORIES / "seed" / "smartwatch.shot").read_text()
    story.write_text(original.replace("duration 10", "duration 10   # ten").replace(
        "watermark on", "watermark on # mark"))
    assert run("fmt", str(story))[0] == 0
    text = story.read_text()
    assert "duration 10   # ten" in text and "watermark on  # mark" in text
    assert run("fmt", "--check", str(story))[0] == 0
    assert run("check", str(story))[0] == 0
    code, out, _ = run("fmt", "--to", "shot", str(story))
    assert code == 0 and out == text


def test_fmt_to_shot_says_when_the_request_would_change() -> None:
    """The official example's prompt ends with a space, which a .shot text cannot keep."""
    story = STORIES / "wan27" / "official" / "multi-subject-voice.yaml"
    code, out, err = run("fmt", "--to", "shot", str(story))
    assert code == 0 and "\ntitle 多主体参考\n" in out
    [line] = [x for x in err.splitlines() if x.startswith("warning:")]
    assert "input.prompt" in line and "trailing white space is dropped" in line


def test_fmt_to_shot_is_quiet_when_the_request_is_the_same() -> None:
    code, _, err = run("fmt", "--to", "shot", str(STORIES / "seed" / "pet.yaml"))
    assert code == 0 and "warning" not in err


def test_fmt_leaves_stories_with_syntax_errors_alone(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    shutil.copy(BAD / "syntax-line-start.shot", story)
    before = story.read_text()
    code, _, err = run("fmt", str(story))
    assert code == 1 and "E101" in err and story.read_text() == before


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "shotscript", "check", str(BAD / "gap.shot")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "error[E204]" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unknown_region_model_or_lang_lists_the_valid_values(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text("model wan9\nregion shanghai\nlang fr\ncast\n  a image https://x.example/a.png\n"
                     "prompt @a走路\n", "utf-8")
    out = CliRunner().invoke(cli, ["check", "--format", "json", str(story)]).output
    helps = {d["code"]: d["help"] for d in json.loads(out)[0]["diagnostics"]}
    assert helps["E402"] == "use one of `beijing`, `singapore`, `virginia`"
    assert helps["E410"] == "use one of `zh`, `en`"
    assert "`wan2.7-r2v`" in helps["E401"] and "`wan2.6-r2v-flash`" in helps["E401"]
