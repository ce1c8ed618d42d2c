"""A local, DashScope-compatible emulator of the Wan 2.6 and 2.7 reference-to-video APIs.

Tests and benchmarks run against it instead of the real service: it speaks the same HTTP
protocol (create, poll, cancel, list, temporary upload, result download), validates like the
service, simulates generation time, quotas and faults, and serves real MP4 files.

Start it with `shotscript emulate` or `python -m shotscript.emulator`.

Defaults (see `shotscript emulate --help`):
- Time: `--timing realistic` draws each task's generation time (seeded by `--seed`) from a
  log-normal by model, tier and output seconds (medians 1-4.5 min, 5 % of tasks over 2.2 ×
  their median; `timing.toml`), with longer PENDING when the account already has tasks in
  progress; `--timing uniform` is 60-120 s; `--gen-seconds S` fixes every task at S real
  seconds. `--time-scale` (1.0) turns service seconds into real ones for generation and for
  every time announced: Retry-After (1 s for an injected 429; decimals below a second when
  the scale is below 1), result URLs (24 h), task ids (24 h, then UNKNOWN), uploads (48 h).
  Rate quotas (facts: 5 creates/s, 20 polls/s) stay per real second: they limit the
  client; so does an upload policy's 300 s (a client's window, kept so slow machines pass).
- Protocols: a model's protocol (facts) picks the body it reads: 2.6 `reference_urls` +
  `size`, or 2.7 `media` items + `resolution`/`ratio` (sizes, limits, codes from
  `shotscript.facts`). 2.6-only fields in a 2.7 body are ignored (`--legacy-fields refuse`
  answers 400 instead: the service's behaviour is undocumented); see protocol27.py.
- Accounts: every key is an account of its own; `--account NAME=K1,K2` gives an account
  several keys, which then share tasks (any key polls them; the list shows them all),
  uploads and quotas.
"""

from shotscript.emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig"]
