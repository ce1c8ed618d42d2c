"""Reference media: what a file or URL really is, and whether the service will take it."""

from shotscript.media.billing import billed_input_seconds
from shotscript.media.limits import check_reference
from shotscript.media.probe import MediaInfo, probe, probe_bytes
from shotscript.media.problems import REGISTRY, Problem

__all__ = [
    "REGISTRY",
    "MediaInfo",
    "Problem",
    "billed_input_seconds",
    "check_reference",
    "probe",
    "probe_bytes",
]
