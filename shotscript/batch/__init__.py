"""Rendering folders of stories: plan, journal, pacing, runner, report.

`plan` turns a folder into stories with their fingerprints and cost estimates; `journal`
keeps one SQLite row per story and request (the runtime's `RecordStore` for each output);
`scheduler` and `policy` are pure decisions (rates, back-off, poll timing, what to do with a
story); `pacing` applies them to HTTP traffic; `runner` drives any `Backend` over the plan;
`report` and `thumbnails` tell what happened. `session` is the one place that knows the order.
"""
