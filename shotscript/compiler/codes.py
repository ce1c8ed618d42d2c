"""Every diagnostic code, its name, and its wording: the one place messages are written.

A message template is formatted with the keyword arguments given where the
diagnostic is raised; `help` templates likewise. docs/diagnostics.md is generated
from this table (see tests/test_docs.py), so a code cannot go undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    """One diagnostic code: severity, short name, one-line description, message template."""

    code: str
    name: str
    severity: Severity
    summary: str
    message: str


_TABLE: tuple[Code, ...] = (
    # E1xx: the file and its syntax
    Code("E101", "syntax", "error", "A line does not fit the story grammar.", "{detail}"),
    Code("E102", "unexpected-indent", "error",
         "An indented line where nothing can continue.",
         "unexpected indented line: only cast members and continued text are indented"),
    Code("E103", "duplicate", "error", "A setting or section appears more than once.",
         "`{name}` appears more than once"),
    Code("E104", "unknown-setting", "error", "A setting or key the language does not have.",
         "unknown setting `{name}`"),
    Code("E105", "invalid-value", "error", "A setting's value has the wrong form.",
         "`{name}` {expected}; got `{value}`"),
    Code("E106", "missing-value", "error", "A setting, cast member or shot without a value.",
         "{what} needs {expected}"),
    Code("E107", "no-content", "error", "A story with neither shots nor a prompt.",
         "the story has no shots and no prompt"),
    Code("E108", "prompt-and-shots", "error", "A story with both a prompt and shots.",
         "a story has either shots or a prompt, not both"),
    Code("E109", "encoding", "error", "The file is not UTF-8 text.", "{detail}"),
    Code("E110", "yaml", "error", "The YAML file is malformed or has the wrong shape.", "{detail}"),
    Code("E111", "unreadable", "error", "The file cannot be read.", "{detail}"),
    # E112–E12x (frontend): input bounds and spellings the front ends catch
    Code("E112", "file-too-large", "error", "A story file over the size limit.",
         "the file is {size} bytes; a story file may have at most {max}"),
    Code("E113", "too-many-lines", "error", "A story file over the line limit.",
         "the file has {count} lines; a story file may have at most {max}"),
    Code("E114", "line-too-long", "error", "A line over the length limit.",
         "this line has {count} characters; a line may have at most {max}"),
    Code("E115", "yaml-expansion", "error", "YAML aliases that expand past the limit.",
         "YAML aliases expand this document past {max} nodes"),
    Code("E116", "value-too-long", "error", "A number or one-word value longer than any valid one.",
         "{what} has {count} characters; no valid value has more than {max}"),
    Code("E117", "reference-too-long", "error", "A reference URL or path over the length limit.",
         "{detail}"),
    Code("W101", "time-like-text", "warning", "An untimed shot whose text starts like a time.",
         "this shot has no time: `{text}` is read as the start of its text"),
    Code("W102", "wide-space", "warning", "An ideographic space (U+3000) between words.",
         "an ideographic space separates the words here; it is read as a blank"),
    Code("W103", "setting-colon", "warning", "A colon between a setting and its value.",
         "`{name}` is followed by a colon; it is read as `{name} {value}`"),
    Code("W104", "wide-at", "warning", "A full-width `＠` before a cast name.",
         "`＠{name}` is text, not a mention (full-width `＠`)"),
    Code("W105", "wide-form", "warning", "A full-width character where its ASCII twin is meant.",
         "`{char}` is full-width; it is read as `{ascii}`"),
    # E2xx: time
    Code("E201", "duration", "error", "Duration outside what the model allows.",
         "duration {value} s is not allowed for {target}: {allowed}"),
    Code("E202", "whole-seconds", "error", "A time that is not a whole number of seconds.",
         "{what} must be whole seconds; got {value}"),
    Code("E203", "first-shot-start", "error", "The first shot does not start at 0.",
         "the first shot starts at {start} s; it must start at 0"),
    Code("E204", "gap", "error", "Time between two shots that no shot covers.",
         "gap of {seconds} s before shot {index} ({prev_end}-{start} s is not covered)"),
    Code("E205", "overlap", "error", "Two shots covering the same time.",
         "shot {index} starts at {start} s, before shot {prev} ends at {prev_end} s"),
    Code("E206", "shot-length", "error", "A shot that does not last at least one second.",
         "shot {index} lasts {seconds} s; a shot lasts at least 1 s"),
    Code("E207", "end-mismatch", "error", "The shots do not end where the video does.",
         "the shots end at {end} s but the duration is {duration} s"),
    Code("E208", "no-time-left", "error", "Untimed shots with no seconds left to share.",
         "{count} untimed shot(s) share {seconds} s; each needs at least 1 s"),
    # E3xx: cast and mentions
    Code("E301", "reference-count", "error", "Fewer than 1 or more than 5 references.",
         "{count} references; the API takes {min} to {max}"),
    Code("E302", "video-count", "error", "More reference videos than the model takes.",
         "{count} reference videos; the API takes at most {max}"),
    Code("E303", "image-count", "error", "More reference images than the API takes.",
         "{count} reference images; the API takes at most {max}"),
    Code("E304", "images-in-region", "error", "Reference images where the region takes none.",
         "{region} takes no reference images (only text and video)"),
    Code("E305", "duplicate-cast", "error", "Two cast members with one name.",
         "cast member `{name}` is defined twice"),
    Code("E306", "reference-kind", "error", "A reference kind other than video or image.",
         "unknown reference kind `{kind}`; expected `video` or `image`"),
    Code("E307", "reference-source", "error", "A reference that is not a usable URL or path.",
         "{detail}"),
    Code("E308", "missing-file", "error", "A local reference file that does not exist.",
         "file not found: {path}"),
    Code("E309", "file-kind", "error", "A local file whose content is not the declared kind.",
         "`{name}` is declared as {kind} but {path} is {actual}"),
    Code("E310", "unknown-mention", "error", "A mention of a name not in the cast.",
         "unknown cast member `@{name}`"),
    Code("E311", "lone-at", "error", "An `@` that starts no mention.",
         "`@` must be followed by a cast name"),
    Code("E312", "cast-name", "error", "A cast name that cannot be mentioned.",
         "cast name `{name}` must be a letter followed by letters, digits or `_`"),
    Code("E313", "one-reference", "error", "A cast member with more than one reference.",
         "cast member `{name}` has {count} references; give each exactly one"),
    Code("E314", "reference-media", "error", "A local reference the service would refuse.",
         "{detail}"),
    # E4xx: model, region and parameters
    Code("E401", "unknown-model", "error", "A model this tool does not know.",
         "unknown model `{value}`"),
    Code("E402", "unknown-region", "error", "A region this tool does not know.",
         "unknown region `{value}`"),
    Code("E403", "model-region", "error", "A model not offered in the region.",
         "{model} is not offered in {region} (there: {models})"),
    Code("E404", "audio-off", "error", "audio off on a model that always has sound.",
         "{model} always has sound; only {models} can be silent"),
    Code("E405", "size", "error", "A size the model does not accept.",
         "size `{value}` is not accepted by {model}"),
    Code("E406", "seed", "error", "A seed outside 0–2147483647.",
         "seed {value} is outside {min}–{max}"),
    Code("E407", "shot-type", "error", "A shot_type other than single or multi.",
         "shot_type `{value}` is not one of {allowed}"),
    Code("E408", "prompt-length", "error", "A compiled prompt over the character limit.",
         "the compiled prompt is {count} characters; the API keeps only the first {max}"),
    Code("E409", "negative-prompt-length", "error", "A negative prompt over the limit.",
         "negative_prompt is {count} characters; the API keeps only the first {max}"),
    Code("E410", "lang", "error", "A prompt language without a template.",
         "no prompt template for lang `{value}`"),
    Code("E411", "empty-text", "error", "A shot, intro or prompt with no text.",
         "{what} has no text"),
    # W5xx: warnings
    Code("W501", "unused-cast", "warning", "A cast member no text mentions.",
         "cast member `{name}` is never mentioned"),
    Code("W502", "literal-character", "warning", "`characterN` typed literally in text.",
         "`{text}` typed literally; it will not follow cast changes"),
    Code("W503", "single-with-shots", "warning", "shot_type single on a story with several shots.",
         "shot_type single with {count} shots: the API will ignore the shot markers"),
    Code("W504", "upload-region", "warning", "Local files in a region without uploads.",
         "local files are uploaded through the temporary-upload API, documented for {regions} only"),
    Code("W505", "url-kind", "warning", "A URL whose extension suggests the other kind.",
         "`{name}` is declared as {kind} but the URL looks like {actual}"),
    Code("W506", "reference-media", "warning", "A local reference that costs more than needed.",
         "{detail}"),
    # E5xx / W507+: targets (what one model has and another lacks)
    Code("E501", "target-lacks", "error", "An input or setting the target model does not have.",
         "{model} has no {what}; {models} {have} it"),
    Code("E502", "size-table", "error", "A resolution or ratio outside the model's size table.",
         "{name} `{value}` is not accepted by {model} (it takes {allowed})"),
    Code("E503", "two-sizes", "error", "Both `size` and `resolution`/`ratio` in one story.",
         "`size` and `{other}` are two spellings of one setting; a story uses one of them"),
    Code("W507", "first-frame-ratio", "warning", "A ratio together with a first frame.",
         "with a first_frame, {model} follows the first frame's aspect ratio, not {what}"),
    Code("W508", "target-drops", "warning", "A setting the target model has no use for; not sent.",
         "{model} has no {what}: it is not sent ({why})"),
)

CODES: dict[str, Code] = {c.code: c for c in _TABLE}


def markdown() -> str:
    """docs/diagnostics.md: every code with its name, severity, meaning and wording."""
    rows = [
        "# Diagnostic codes",
        "",
        "Every diagnostic `shotscript check` can print. Generated from",
        "`shotscript/compiler/codes.py` (a test keeps this page equal to it).",
        "E1xx: the file and its syntax; E2xx: time; E3xx: cast, references and mentions;",
        "E4xx: model, region and parameters; E5xx: what the target model lacks (docs/targets.md);",
        "W5xx: warnings (exit status stays 0).",
        "",
        "| code | name | severity | meaning | message |",
        "|---|---|---|---|---|",
    ]
    for c in _TABLE:
        message = c.message.replace("|", "\\|")
        rows.append(f"| {c.code} | `{c.name}` | {c.severity} | {c.summary} | {message} |")
    return "\n".join(rows) + "\n"
