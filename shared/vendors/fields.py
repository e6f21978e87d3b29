"""Field types the vendor formats and the batch import share: instants, ids and blank cells.

Vendors send time as ISO 8601 with or without an offset, as epoch seconds or as epoch
milliseconds; spreadsheets send whatever the cell holds. Everything becomes an aware UTC
datetime here, so stored times sort and compare the same whatever the source.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

CHINA = timezone(timedelta(hours=8), "UTC+08:00")
# Epoch values at or above this are milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
_MS_THRESHOLD = 100_000_000_000


def parse_offset(text: str) -> timezone:
    """`+08:00`, `-05:30`, `Z` or `UTC` as a fixed offset."""
    t = text.strip()
    if t.upper() in ("Z", "UTC", "+00:00", "-00:00"):
        return UTC
    sign = {"+": 1, "-": -1}.get(t[:1])
    hours, _, minutes = t[1:].partition(":")
    if sign is None or not (hours.isdigit() and minutes.isdigit()) or len(hours) != 2 or len(minutes) != 2:
        raise ValueError("a UTC offset looks like +08:00")
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        raise ValueError("a UTC offset is at most ±14:00")
    return timezone(sign * delta)


def _from_epoch(value: float) -> datetime:
    if not math.isfinite(value) or value < 0:
        raise ValueError("an epoch time must be a positive number")
    seconds = value / 1000 if value >= _MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("the epoch time is out of range") from exc


def to_instant(value: Any, naive_tz: timezone = UTC) -> datetime:
    """An aware UTC datetime from ISO 8601 text, epoch seconds/milliseconds or a date(time).

    A time without an offset is read in `naive_tz` (the vendor's or the import's zone).
    """
    if isinstance(value, bool):
        raise ValueError("a time is required, not a boolean")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, int | float):
        return _from_epoch(float(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("a time is required")
        if text.isdigit():
            return _from_epoch(float(text))
        try:
            dt = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError("not an ISO 8601 time (2026-11-20T08:20:00+08:00) or epoch number") from None
    else:
        raise ValueError("a time must be ISO 8601 text or an epoch number")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=naive_tz)
    return dt.astimezone(UTC)


# pydantic field types: times without an offset read as UTC, or as China time (UTC+08:00)
UtcInstant = Annotated[datetime, BeforeValidator(lambda v: to_instant(v, UTC))]
ChinaInstant = Annotated[datetime, BeforeValidator(lambda v: to_instant(v, CHINA))]


def _id_text(value: Any) -> Any:
    """Ids may arrive as numbers (spreadsheets, some vendors): 1001 and 1001.0 are "1001"."""
    if isinstance(value, bool):
        return value  # rejected by the str type
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value


# An identifier a vendor gives (result, candidate, job, question): text, numbers accepted.
VendorId = Annotated[str, BeforeValidator(_id_text), Field(min_length=1, max_length=200)]


def blank_to_none(value: Any) -> Any:
    """An empty or all-space cell/field means "not given"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value
