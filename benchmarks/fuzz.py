"""Fuzzing the front ends: mutated and generated stories (DSL and YAML) through `check`, `fmt`
and `fmt --to`, counting tracebacks and slow inputs; plus the known worst cases, timed.

Run: .venv/bin/python benchmarks/fuzz.py [--stories N] [--seed S] [--save DIR]
Every input must give diagnostics or a result (never an exception) within 0.5 s. A crashing
input is written to DIR (default tests/fuzz-corpus/) so that tests/front/test_fuzz_corpus.py
keeps it as a regression file. Prints figures; exit 1 if any input crashed or was slow.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOW = 0.5

INTERESTING = list("@{}:-#!&*[],'\"\t\r\n\x0c\x0b 0123456789s秒～~–—：＠＊　\u2028\x85\ufeff\x00🙂é")
TOKENS = [
    "!!int ", "!!float ", "!!bool ", "!!str ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ",
    "!!python/object:os.system ", "!foo ", "&a ", "*a", "<<: *a\n", "? ", "--- ", "...\n",
    "%YAML 1.1\n---\n", ".inf", "-.inf", ".nan", "0x1f", "0o17", "1_000", "1e309", "9" * 400,
    "9" * 4301, "~", "null", "yes", "maybe", "0-3s", "3s", "0-1秒", "0–1s", "0~3s", "shot ",
    "shot　", "cast\n", "  voice ", " voice x.mp3", "voice", "@@", "@{", "@{a}", "{", "}", "[",
    "]", "\t", "  ", "\n  ", "\r\n", "\r", "：", "＊", "＠", "🙂", "2girl", "ratio 16:9\n",
    "ratio: 16:9\n", "model wan2.7-r2v\n", "first_frame x.png\n", "prompt_extend off\n",
    "duration ", "seed ", "size 1280*720\n", "a" * 300 + ".png", "https://[::1", "http://",
    "oss://", "file:///etc/passwd", "../" * 50, "\\\\?\\", "\udcff",
]


def seeds() -> list[tuple[str, str]]:
    """(text, suffix) of every shipped story, bad story and crash corpus file."""
    out = []
    for folder in ("stories", "tests/bad", "tests/fuzz-corpus"):
        for p in sorted((ROOT / folder).rglob("*")):
            if p.suffix in (".shot", ".yaml", ".yml") and p.is_file():
                out.append((p.read_text("utf-8", "surrogateescape"), p.suffix))
    return out


def mutate(rng: random.Random, text: str, pool: list[tuple[str, str]]) -> str:
    """A few random edits: characters, tokens, whole lines, splices from another story."""
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randint(0, len(text))
        if op < 0.25:
            text = text[:i] + rng.choice(INTERESTING) + text[i + rng.randint(0, 2):]
        elif op < 0.5:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op < 0.6:
            text = text[:i] + chr(rng.randint(1, 0x10FFFF)) + text[i:]
        elif op < 0.8:
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            what = rng.random()
            if what < 0.3:
                lines.insert(k, lines[rng.randrange(len(lines))])
            elif what < 0.5:
                del lines[k]
            elif what < 0.7:
                lines[k] = "  " + lines[k]
            elif what < 0.85:
                lines[k] = lines[k].lstrip()
            else:
                lines[k] = lines[k] * rng.randint(2, 20)
            text = "\n".join(lines)
        else:
            other = rng.choice(pool)[0]
            j = rng.randint(0, len(other))
            text = text[:i] + other[j:j + rng.randint(1, 200)] + text[i:]
    return text


def generated_yaml(rng: random.Random) -> str:
    """A YAML story of random shape: story keys with values of any YAML type."""
    import yaml

    def value(depth: int) -> object:
        r = rng.random()
        if depth > 2 or r < 0.4:
            return rng.choice([None, True, 0, -1, 2**40, 1.5, float("inf"), "", "x", "@a 走",
                               "0-3s", "16:9", "1280*720", "a.png", "https://e.com/a.mp4"])
        if r < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        keys = ["image", "video", "voice", "0-3s", "3s", "a", "shots", "cast", "prompt"]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}

    keys = ["title", "model", "duration", "seed", "audio", "size", "ratio", "resolution", "cast",
            "shots", "prompt", "intro", "lang", "region", "voice", "first_frame", "x"]
    doc = {rng.choice(keys): value(0) for _ in range(rng.randint(0, 8))}
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=rng.random() < 0.3)
    return mutate(rng, text, [(text, ".yaml")]) if rng.random() < 0.5 else text


def run_one(text: str, suffix: str) -> None:
    """Check the text, then format and convert it when it parsed (all must not raise)."""
    from shotscript.compiler.driver import check_text
    from shotscript.compiler.format import to_shot, to_yaml

    result = check_text(text, name="fuzz" + suffix)
    assert result.ok or result.diagnostics
    for d in result.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1, d
        d.headline()
    if result.story is not None and not any(d.code.startswith("E1") for d in result.diagnostics):
        to_yaml(result.story)
        if suffix == ".shot":
            to_shot(result.story, text)


def worst_cases() -> dict[str, tuple[str, str]]:
    """The inputs issue #9 names, built here (they are too big to keep as files)."""
    laughs = "a: &a [" + ",".join(["lol"] * 10) + "]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(9)) + "prompt: x\n"
    cast = "cast\n  a image https://e.com/a.png\n"
    return {
        "20 MB of continuation lines": (cast + "shot 0-3s @a\n" + "  走走走走走走走走\n" * 770_000, ".shot"),
        "one line of a million @": (cast + "prompt " + "@" * 1_000_000 + "\n", ".shot"),
        "billion laughs (10 aliases, 9 levels)": (laughs, ".yaml"),
        "9,500 continued lines (under the limits)": (
            cast + "duration 5\nprompt @a\n" + "  走走走走\n" * 9_500, ".shot"),
        "4,000 `@@` on a line (under the limit)": (cast + "prompt @a " + "@@" * 4_000 + "\n", ".shot"),
        "9,990 untimed shots (under the limits)": (
            cast + "".join(f"shot @a {i}\n" for i in range(9_990)), ".shot"),
        "9,990 timed shots with unknown mentions": (
            cast + "".join(f"shot {i}-{i + 1}s @zz{i} 走\n" for i in range(9_990)), ".shot"),
        "5,000 cast members, 1,000 unknown mentions": (
            "cast\n" + "".join(f"  a{i} image https://e.com/{i}.png\n" for i in range(5_000))
            + "shot " + " ".join(f"@b{i}" for i in range(1_000)) + "\n", ".shot"),
        "YAML, 3,300 shots (under the node limit)": (
            "cast:\n  a: {image: https://e.com/a.png}\nshots:\n"
            + "".join(f"  - '@a {i}'\n" for i in range(3_300)), ".yaml"),
    }


def main() -> None:
    """Run the fuzzer and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stories", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", type=Path, default=ROOT / "tests" / "fuzz-corpus")
    ap.add_argument("--dump-over", type=float, default=None, metavar="SECONDS",
                    help="also write inputs slower than this to DIR/slow-… (to study them)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}")
    rng = random.Random(args.seed)
    pool = seeds()
    run_one(pool[0][0], pool[0][1])  # warm-up: tables, templates, facts

    for name, (text, suffix) in worst_cases().items():
        start = time.perf_counter()
        from shotscript.compiler.driver import check_text

        codes = sorted({d.code for d in check_text(text, name="w" + suffix).diagnostics})
        print(f"worst case: {name}: {time.perf_counter() - start:.3f} s -> {', '.join(codes)}")

    crashes: Counter[str] = Counter()
    per_suffix: Counter[str] = Counter()
    times: list[float] = []
    slow = stalls = 0
    start_all = time.perf_counter()
    for n in range(args.stories):
        if n % 10 == 9:
            text, suffix = generated_yaml(rng), ".yaml"
        else:
            base, suffix = rng.choice(pool)
            text = mutate(rng, base, pool)
            if rng.random() < 0.1:
                suffix = ".yaml" if suffix == ".shot" else ".shot"  # the other front end
        per_suffix[".yaml" if suffix in (".yaml", ".yml") else ".shot"] += 1
        start = time.perf_counter()
        try:
            run_one(text, suffix)
        except Exception:
            frame = traceback.extract_tb(sys.exc_info()[2])[-1]
            site = f"{Path(frame.filename).name}:{frame.lineno} {sys.exc_info()[0].__name__}"  # type: ignore[union-attr]
            if not crashes[site]:
                args.save.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
                (args.save / f"crash-{digest}{suffix}").write_text(text, "utf-8", "surrogatepass")
                print(f"CRASH {site}: saved crash-{digest}{suffix}")
                traceback.print_exc()
            crashes[site] += 1
        elapsed = time.perf_counter() - start
        if args.dump_over is not None and elapsed > args.dump_over:
            args.save.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
            (args.save / f"slow-{digest}{suffix}").write_text(text, "utf-8", "surrogatepass")
        if elapsed > SLOW:
            # Timed again: a machine busy with other work can stall any one input.
            again = time.perf_counter()
            with contextlib.suppress(Exception):
                run_one(text, suffix)
            retimed = time.perf_counter() - again
            print(f"slow input ({elapsed:.3f} s, again {retimed:.3f} s), {len(text)} characters")
            if retimed > SLOW:
                slow += 1
                digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"slow-{digest}{suffix}").write_text(text, "utf-8", "surrogatepass")
            else:
                stalls += 1
            elapsed = min(elapsed, retimed)
        times.append(elapsed)
    total = time.perf_counter() - start_all
    times.sort()
    print(f"stories: {args.stories} ({per_suffix['.shot']} DSL, {per_suffix['.yaml']} YAML), "
          f"seed {args.seed}, {total:.1f} s ({args.stories / total:.0f}/s)")
    print(f"time per input: median {times[len(times) // 2] * 1000:.2f} ms, "
          f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms, max {times[-1] * 1000:.1f} ms; "
          f"over {SLOW} s: {slow} (and {stalls} stalls not repeated when timed again)")
    print(f"tracebacks: {sum(crashes.values())} at {len(crashes)} sites")
    for site, count in crashes.most_common():
        print(f"  {count:6d}  {site}")
    sys.exit(1 if crashes or slow else 0)


if __name__ == "__main__":
    main()
