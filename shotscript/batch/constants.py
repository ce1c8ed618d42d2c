"""Every tunable of batch rendering in one place: files, quotas, back-off, retries, display."""

from __future__ import annotations

from shotscript.facts.service import quotas

# --- files in the output folder --------------------------------------------------------------
JOURNAL_NAME = "journal.sqlite"
LOCK_NAME = "journal.lock"  # flock'ed while a render runs: one writer per output folder
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
THUMBS_DIR = "thumbs"
DEFAULT_OUT = "renders"

# --- account quotas (shotscript/facts/service.toml) --------------------------------------------
DEFAULT_CONCURRENCY = quotas().concurrency  # tasks in progress at once, per account and model
CREATE_RATE = quotas().create_rps  # task creations per second, per account and model
POLL_RATE = quotas().poll_rps  # task queries per second, per account
# Stay a little under each published rate: the server's bucket and ours never tick together.
RATE_MARGIN = 0.9

# --- adaptive back-off on HTTP 429 -------------------------------------------------------------
RATE_DECREASE = 0.5  # a 429 multiplies the request rate by this
RATE_FLOOR_FRACTION = 0.05  # never below this fraction of the configured rate
RATE_RECOVERY_STEPS = 10  # successes to climb back from the floor to the configured rate
THROTTLE_PAUSE = 1.0  # pause after a 429 without Retry-After (seconds, scaled)
# Successful creates after a Throttling.AllocationQuota before one more task may run at once.
SLOT_RECOVERY_CREATES = 5
# Stories made ready beyond the slots, waiting at the submit gate for a task to end: the
# next create then costs no compile, journal or ledger work after the end is seen.
ON_DECK = 1
ON_DECK_WAIT_MAX = 900.0  # seconds (scaled) it waits at most

# --- poll timing -----------------------------------------------------------------------------
# The first poll of a task waits until this quantile of the generation times seen so far:
# a low one, so that few tasks are looked at late, and most are looked at once or twice.
GENERATION_QUANTILE = 0.2
GENERATION_WINDOW = 50  # the most recent finished tasks the estimate uses
# Before any task has finished, only the oldest task is polled; the others wait for it, but
# never longer than this (seconds, scaled), in case its story ends without a word.
SCOUT_HOLD_MAX = 600.0

# --- retrying a story within one run ----------------------------------------------------------
STORY_MAX_ATTEMPTS = 6  # attempts of one story per run (resumes and safe resubmissions)
STORY_RETRY_INITIAL = 2.0  # seconds (scaled) before the second attempt, doubling
STORY_RETRY_MAX = 60.0
STORY_RETRY_JITTER = 0.25

# --- threads ----------------------------------------------------------------------------------
# Compiling, hashing, probing and thumbnailing run in worker threads. Each thread keeps its
# own malloc arena and FFmpeg state: two threads keep a long batch's memory flat (the default
# pool of cores + 4 threads costs ~30 MB more and grows with the batch).
WORKER_THREADS = 2

# --- display and report ------------------------------------------------------------------------
REFRESH_PER_SECOND = 4
PLAIN_TOTALS_EVERY = 10.0  # seconds between totals lines when output is not a terminal
SUMMARY_ROWS_MAX = 40  # the final table lists every story up to this many, else the failures
THUMB_WIDTH = 320
PROMPT_PREVIEW_CHARS = 600
