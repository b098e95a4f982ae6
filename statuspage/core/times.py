"""Times as people, machines and forms read them, in the page's zone; and when a promise is overdue.

Every way the app writes a time or a duration is here, so that a page, a feed, an email and the
JSON API say the same thing the same way. Nothing here reads the clock: callers pass `now`.
Dates are written in the current language (Flask-Babel's locale: the page's language on public
pages, feeds and subscriber emails, English elsewhere) by Babel; times stay 24-hour everywhere.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from flask_babel import get_locale, gettext

from statuspage.core.errors import ValidationError

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement


@overload
def is_overdue(due_at: datetime, now: datetime) -> bool: ...
@overload
def is_overdue(due_at: ColumnElement[datetime], now: datetime) -> ColumnElement[bool]: ...


def is_overdue(due_at: Any, now: datetime) -> Any:
    """Whether a promise due at `due_at` is overdue at `now`: from its due instant itself on.

    The one boundary for promises everywhere (the console, public pages, the API's flag, feeds, the
    cadence tick, kept or missed): a promise "by 14:30" is overdue at 14:30:00, and an update is in
    time only before then. Public caches expire at the due instant, so what they render at that
    instant must already say late. Works on datetimes, and on SQL columns (it builds the condition).
    """
    return due_at <= now


def in_zone(moment: datetime, zone: str) -> datetime:
    """The same instant on the zone's wall clock."""
    return moment.astimezone(ZoneInfo(zone))


def start_of_day(day: date, zone: str) -> datetime:
    """The first instant of the day in the zone."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def machine_datetime(moment: datetime) -> str:
    """'2026-03-04T14:30:07+00:00': ISO 8601 to the second with the offset, for `<time datetime>`.

    Stored times carry microseconds, and HTML allows at most three digits of a second there.
    """
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: a machine-readable time needs its offset")
    return moment.isoformat(timespec="seconds")


def api_timestamp(moment: datetime | None, zone: str) -> str | None:
    """ISO 8601 with milliseconds and the page zone's offset (Z when that offset is zero), as
    Statuspage's API and webhooks write times."""
    if moment is None:
        return None
    text = in_zone(moment, zone).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


_UNIVERSAL_ZONES = {
    "UTC",
    "Etc/UTC",
    "Etc/UCT",
    "Etc/Universal",
    "Etc/Zulu",
    "Etc/GMT",
    "GMT",
    "Zulu",
}


def zone_name(zone: str) -> str:
    """The zone as people name it: 'UTC', 'New York time' (never 'Etc/UTC' or 'America/New_York')."""
    if zone in _UNIVERSAL_ZONES:
        return "UTC"
    return gettext("%(city)s time", city=zone.rsplit("/", 1)[-1].replace("_", " "))


def format_time(moment: datetime, zone: str) -> str:
    """'14:30 UTC': a time of day in the zone, with the zone's abbreviation."""
    local = in_zone(moment, zone)
    return f"{local:%H:%M} {local.tzname()}"


def _locale() -> Locale:
    """The language dates are written in: the current one, English outside an app."""
    return get_locale() or Locale("en")


def _day(local: date, *, with_year: bool) -> str:
    """'Mar 4' or 'Mar 4, 2026' ('4. März', '4. März 2026' in German)."""
    day = date(local.year, local.month, local.day)  # a datetime's date: the cache keys on days
    return _in_language(day, "yMMMd" if with_year else "MMMd", str(_locale()))


# Babel takes a tenth of a millisecond a date, and a status page writes hundreds (its day bars):
# the same few days in one language are worded once.
@functools.lru_cache(maxsize=4096)
def _in_language(day: date, skeleton: str, language: str) -> str:
    return format_skeleton(skeleton, day, locale=language)


def _date_and_time(day: str, clock: str) -> str:
    """A day and a time joined as the language joins them ('Mar 4, 14:30')."""
    return _locale().datetime_formats["medium"].format(clock, day)


def format_datetime(moment: datetime, zone: str, *, now: datetime) -> str:
    """'Mar 4, 14:30 UTC' (with the year when it is not the year of `now` in the zone)."""
    local = in_zone(moment, zone)
    day = _day(local, with_year=local.year != in_zone(now, zone).year)
    return f"{_date_and_time(day, f'{local:%H:%M}')} {local.tzname()}"


def feed_datetime(moment: datetime, zone: str) -> str:
    """Statuspage's time in a feed entry, whose `<var>`s feed parsers read:
    "Mar <var data-var='date'>4</var>, <var data-var='time'>14:30</var> UTC"."""
    local = in_zone(moment, zone)
    day = re.sub(
        rf"\b{local.day}\b",
        f"<var data-var='date'>{local.day}</var>",
        _day(local, with_year=False),
        count=1,
    )
    clock = f"<var data-var='time'>{local:%H:%M}</var>"
    return f"{_date_and_time(day, clock)} {local.tzname()}"


def format_date(day: date) -> str:
    """'Mar 4, 2026'."""
    return _day(day, with_year=True)


def format_month(month: date) -> str:
    """'March 2026' ('März 2026')."""
    return _in_language(date(month.year, month.month, 1), "yMMMM", str(_locale()))


def describe_next_update(due_at: datetime, zone: str) -> str:
    """'Next update by 14:30 UTC': the promise as readers of a page, feed or email see it."""
    return gettext("Next update by %(time)s", time=format_time(due_at, zone))


def describe_countdown(due: datetime, now: datetime) -> str:
    """'due in 12 min' or 'overdue 4 min' (hours past an hour): how a promise stands right now."""
    span = format_span(due, now)
    return f"overdue {span}" if is_overdue(due, now) else f"due in {span}"


def format_span(moment: datetime, now: datetime) -> str:
    """'12 min' or '1 h 05 min': how far the moment is from now, either way, in whole minutes."""
    minutes = int(abs((moment - now).total_seconds()) // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def describe_duration(length: timedelta) -> str:
    """'1 hour 5 minutes', '30 minutes', '45 seconds': to the minute, or to the second under one."""
    seconds = int(length.total_seconds())
    if seconds >= 60:
        seconds -= seconds % 60
    parts = []
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def format_duration(span: timedelta) -> str:
    """'2 d 3 h', '1 h 28 min', '45 min' or 'under a minute': two units at most."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return (
            gettext("%(days)s d %(hours)s h", days=days, hours=hours)
            if hours
            else gettext("%(days)s d", days=days)
        )
    if hours:
        return (
            gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
            if minutes
            else gettext("%(hours)s h", hours=hours)
        )
    return gettext("%(minutes)s min", minutes=minutes) if minutes else gettext("under a minute")


def local_input(moment: datetime | None, zone: str) -> str:
    """An aware time as the value of a datetime-local input, on the zone's wall clock."""
    return "" if moment is None else f"{in_zone(moment, zone):%Y-%m-%dT%H:%M}"


def from_local(moment: datetime | None, zone: str) -> datetime | None:
    """A naive time typed in a form, read on the zone's wall clock, as aware UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


# The years a date or time typed into a form may fall in: far wider than anything a status page
# plans or looks back on, and narrow enough that no sum on them leaves the calendar.
INPUT_YEARS = range(2000, 2100)


def check_input_year(day: date, *, field: str) -> None:
    """Refuse a typed date outside INPUT_YEARS, naming the field."""
    if day.year not in INPUT_YEARS:
        raise ValidationError(
            f"{field.capitalize()} must fall between the years {INPUT_YEARS.start} and "
            f"{INPUT_YEARS.stop - 1}.",
            field=field,
        )


def parse_local_input(value: str | None, zone: str, *, field: str) -> datetime | None:
    """A datetime-local input's value (the zone's wall clock) as aware UTC; blank gives None."""
    if not value or not value.strip():
        return None
    try:
        typed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ValidationError(f"{value!r} is not a date and time.", field=field) from error
    check_input_year(typed, field=field)
    return from_local(typed, zone)


# How the console's maintenance fields are typed: the page zone's wall clock, 24-hour, whatever
# the browser's locale would make of a datetime-local input.
WALL_CLOCK_FORMAT = "YYYY-MM-DD HH:MM"


def wall_clock_input(moment: datetime | None, zone: str) -> str:
    """An aware time as it is typed into a maintenance field: '2026-12-05 02:00' in the zone."""
    return "" if moment is None else f"{in_zone(moment, zone):%Y-%m-%d %H:%M}"


def read_wall_clock(value: str | None, zone: str, *, field: str) -> datetime | None:
    """'2026-12-05 02:00' (or with a T) typed on the zone's wall clock, as aware UTC.

    Blank gives None. A time the zone skips (the clocks went forward over it) or passes twice
    (they went back) names no single instant, so it is refused with a message saying which.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        typed = datetime.strptime(text.replace("T", " ", 1), "%Y-%m-%d %H:%M")
    except ValueError as error:
        raise ValidationError(
            f"{text!r} is not a date and time: write it as {WALL_CLOCK_FORMAT} (24-hour).",
            field=field,
        ) from error
    check_input_year(typed, field=field)
    return wall_clock_instant(typed, zone, field=field)


def wall_clock_instant(typed: datetime, zone: str, *, field: str) -> datetime:
    """A naive wall-clock time in the zone as aware UTC, refusing times skipped or repeated."""
    tz = ZoneInfo(zone)
    first = typed.replace(tzinfo=tz, fold=0)
    second = typed.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != typed:
        raise ValidationError(
            f"{typed:%Y-%m-%d %H:%M} does not exist in {zone}: the clocks go forward over it. "
            "Choose a time outside the change.",
            field=field,
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{typed:%Y-%m-%d %H:%M} happens twice in {zone}: the clocks go back over it. "
            "Choose a time outside the change.",
            field=field,
        )
    return first.astimezone(UTC)


def format_window(start: datetime, end: datetime, zone: str, *, now: datetime) -> str:
    """'Dec 3, 02:00–04:00 UTC', or 'Dec 3, 22:00 UTC – Dec 4, 02:00 UTC' across midnight."""
    local_start, local_end = in_zone(start, zone), in_zone(end, zone)
    if local_start.date() == local_end.date() and local_start.tzname() == local_end.tzname():
        return f"{format_datetime(start, zone, now=now).rsplit(' ', 1)[0]}–{local_end:%H:%M} " + (
            local_end.tzname() or ""
        )
    return f"{format_datetime(start, zone, now=now)} – {format_datetime(end, zone, now=now)}"
