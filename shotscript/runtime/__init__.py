"""Rendering: backends that turn payloads into videos.

Policy apart from plumbing: `retry_policy`, `poll_schedule`, `errors` (mapping) and
`record.resume_action` are pure; `client` (HTTP), `uploads`, `download` and `reconcile` do
I/O; `lifecycle` runs one story's state machine over a `RecordStore`; `backend` wraps it
behind the `Backend` protocol. Every tunable is in `constants`. Nothing here is imported by
`shotscript compile`.
"""
