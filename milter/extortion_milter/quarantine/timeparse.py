"""Times on the command line: ages like `2d` or `36h`, or local dates like `2025-06-01`."""

from __future__ import annotations

import re
import time
from datetime import datetime

_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S")


def parse_age(text: str) -> float:
    """`30d` -> seconds. Units: s, m (minutes), h, d, w. ValueError otherwise."""
    match = _AGE_RE.match(text)
    if match is None:
        raise ValueError(f"not an age: {text!r} (use e.g. 90m, 36h, 30d, 2w)")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_when(text: str, now: float | None = None) -> float:
    """An age (that long ago) or a local date/time, as a Unix time."""
    now = time.time() if now is None else now
    if _AGE_RE.match(text):
        return now - parse_age(text)
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).timestamp()
        except ValueError:
            continue
    raise ValueError(f"not a time: {text!r} (use an age like 2d or 12h, or a date like "
                     "2025-06-01 or 2025-06-01T14:30)")
