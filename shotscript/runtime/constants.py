"""Every tunable of the runtime in one place: timeouts, retry, polling, uploads, downloads."""

from __future__ import annotations

from shotscript.media.loopback import ENV_REQUIRE_LOOPBACK as ENV_REQUIRE_LOOPBACK

# --- environment -----------------------------------------------------------------------
ENV_API_KEY = "DASHSCOPE_API_KEY"
# The name the official dashscope SDK reads, so one setting serves both tools.
ENV_BASE_URL = "DASHSCOPE_HTTP_BASE_URL"
ENV_HOME = "SHOTSCRIPT_HOME"
# Multiplies every wait the client chooses itself (poll intervals, back-off, settling), never a
# server's Retry-After: tests and benchmarks against a fast emulator set it small.
ENV_POLL_SCALE = "SHOTSCRIPT_POLL_SCALE"
# ENV_REQUIRE_LOOPBACK (above): when set (the test suite sets it), every request to a
# non-loopback host is refused; media/loopback.py holds the rule for both stages.

# --- API protocol ------------------------------------------------------------------------
CREATE_PATH = "/services/aigc/video-generation/video-synthesis"
TASKS_PATH = "/tasks"
UPLOADS_PATH = "/uploads"
HEADER_ASYNC = "X-DashScope-Async"
HEADER_OSS_RESOLVE = "X-DashScope-OssResourceResolve"
# Alibaba Cloud reports and filters task times in China Standard Time.
API_UTC_OFFSET_HOURS = 8
LIST_TIME_FORMAT = "%Y%m%d%H%M%S"
LIST_PAGE_SIZE = 50

# --- HTTP timeouts (seconds) -------------------------------------------------------------
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
WRITE_TIMEOUT = 60.0
POOL_TIMEOUT = 10.0
# Uploads of up to 100 MB references may take a while on a slow uplink.
UPLOAD_TIMEOUT = 600.0

# --- retries of one request ----------------------------------------------------------------
MAX_RETRIES = 4  # attempts after the first
RETRY_INITIAL_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_JITTER = 0.25  # a delay is shortened by up to this fraction, so clients spread out
# Throttling.AllocationQuota (too many tasks in progress) recovers "within about a minute".
ALLOCATION_QUOTA_PAUSE = 20.0

# --- polling -------------------------------------------------------------------------------
# Jobs take 1-5 minutes and the docs suggest ~15 s between polls: start quick so short jobs
# finish promptly, grow geometrically, and cap at the documented interval.
POLL_INITIAL_DELAY = 2.0
POLL_MULTIPLIER = 1.5
POLL_MAX_DELAY = 15.0
POLL_JITTER = 0.2  # +/- this fraction, so many renders do not poll in lock-step
# Give up waiting (the task id stays recorded; a rerun resumes) after this long.
POLL_DEADLINE = 45 * 60.0
# Consecutive failed polls (after each request's own retries) before the render stops.
POLL_MAX_CONSECUTIVE_ERRORS = 6

# --- reconciling a create whose outcome is unknown -----------------------------------------
# Tasks listed within this many seconds around the create are candidates.
RECONCILE_WINDOW_BEFORE = 120.0
RECONCILE_WINDOW_AFTER = 120.0
# Creates sent in one run, counting only those sent after the task list proved the previous
# one made no task.
CREATE_MAX_SENDS = 3
# A just-created task may take a moment to appear in the list: look twice.
RECONCILE_SETTLE_DELAY = 2.0

# --- uploads ------------------------------------------------------------------------------
# Reuse an upload only while it will outlive a queued task by a comfortable margin.
UPLOAD_REUSE_MARGIN = 6 * 3600.0
UPLOAD_CACHE_FILE = "uploads.json"
HASH_CHUNK = 1 << 20

# --- downloads ----------------------------------------------------------------------------
DOWNLOAD_PROGRESS_STEP = 1 << 16  # report download progress at most this often (bytes)
# Resumes of one download in all; cuts that bring no new byte also obey MAX_RETRIES.
DOWNLOAD_MAX_RESUMES = 20
PART_SUFFIX = ".part"

# --- safety caps (each documented in docs/runtime-limits.md) ------------------------------
# A hostile or broken server must not make a render wait, download or follow forever. Every
# cap can be lowered (or raised) through SHOTSCRIPT_LIMITS, e.g. `retry_after_max=30`.
ENV_LIMITS = "SHOTSCRIPT_LIMITS"
# The longest Retry-After honoured. A longer one stops the render with RetryLaterError
# (exit 75, "try again later"); the task, if any, stays recorded. Quotas recover "within
# about a minute", so five minutes is generous.
RETRY_AFTER_MAX = 300.0
# Redirects followed from a result URL (and an upload host): CDNs use one or two.
MAX_REDIRECTS = 5
# The largest video accepted, per second of the story's duration and resolution tier: about
# five times the bitrate Wan videos come with, plus a fixed allowance for the container.
VIDEO_BYTES_PER_SECOND = {"480P": 2 << 20, "720P": 4 << 20, "1080P": 8 << 20}
VIDEO_BYTES_PER_SECOND_UNKNOWN_TIER = 8 << 20
VIDEO_BYTES_ALLOWANCE = 16 << 20
# Whatever the story says, no video larger than this is written (also when nothing is known).
VIDEO_MAX_BYTES = 512 << 20
# One download, every resume included, ends within this many seconds.
DOWNLOAD_DEADLINE = 30 * 60.0
# A body slower than this (bytes per second, measured over each window) is given up: it
# would take hours, or it is a server trickling bytes to hold the render.
DOWNLOAD_MIN_THROUGHPUT = 32 << 10
DOWNLOAD_THROUGHPUT_WINDOW = 30.0
# One API request (answer body included) ends within this long; uploads have UPLOAD_TIMEOUT.
API_REQUEST_DEADLINE = 120.0
# API answers are small JSON documents; a larger body is not read into memory.
MAX_ANSWER_BYTES = 8 << 20
# ...and nest a few levels deep: a deeper document is not read as JSON at all.
MAX_ANSWER_DEPTH = 32

# --- exit codes of a render stopped by the runtime (the table is in docs/runtime-limits.md)
EXIT_FAILED = 1
EXIT_ATTENTION = 3
# sysexits' EX_TEMPFAIL: the service asked us to come back later than we are willing to wait.
EXIT_RETRY_LATER = 75

# --- identifiers the service issues ---------------------------------------------------------
# Task ids are UUIDs; allow a little more (letters, digits, `-`, `_`) but never a character
# that could change the URL they are put into (`/`, `.`, `%`, `?`, `#`).
TASK_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}"
