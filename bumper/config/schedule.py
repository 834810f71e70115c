"""The pass schedule: one check of a crontab line and a time zone, and the APScheduler trigger
built from them.

Config loading checks with check_cron/check_timezone, so a bad schedule is a problem at its
line; `serve` builds its trigger with schedule_trigger, which reads the line with the same
parser. That parser also translates crontab's day-of-week numbering (0 and 7 are Sunday) into
APScheduler 3's, which numbers Monday 0. It is written here rather than left to APScheduler's
CronTrigger because importing APScheduler costs ~75 ms, and `run-once` loads the config but
never schedules anything; APScheduler is imported only when a trigger is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bumper.config.problems import close_match

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

    from bumper.config.settings import ScheduleSettings

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 = Sunday


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # numbered from `low`


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 7, _WEEKDAYS),
)


@dataclass(frozen=True, slots=True)
class Crontab:
    """A checked five-field crontab line, its fields as APScheduler 3's CronTrigger takes them."""

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str  # "*" or day names, never numbers: see crontab_weekdays

    @property
    def restricts_both_days(self) -> bool:
        """Cron then runs when either day field matches; CronTrigger alone needs both."""
        return self.day != "*" and self.day_of_week != "*"


@dataclass(frozen=True, slots=True)
class _Part:
    """One comma-separated item of a field: `*`, `N` or `N-M`, with an optional `/STEP`."""

    first: int | None  # None for `*`
    last: int | None  # None without `-M`
    step: int | None
    named: bool  # `first` was written as a name (jan, mon)


def check_cron(value: str) -> str | None:
    """A problem with a five-field crontab line (minute hour day month weekday), or None."""
    try:
        parse_cron(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_cron(value: str) -> Crontab:
    """The fields of a crontab line; ValueError says what is wrong with it."""
    fields = value.split()
    if value.strip().startswith("@"):
        raise ValueError(
            f"`{value.strip()}` shortcuts are not supported; write five fields like 0 3 * * *"
        )
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday), this has "
            f"{len(fields)}; e.g. 0 3 * * *"
        )
    parts = [
        [_part(item.lower(), field) for item in text.split(",")]
        for text, field in zip(fields, _FIELDS, strict=True)
    ]
    for text, field, items in zip(fields[:4], _FIELDS, parts, strict=False):
        for item, part in zip(text.split(","), items, strict=True):
            _check_range(part, item, field)
    minute, hour, day, month, weekday = fields
    return Crontab(minute, hour, day, month, _weekday_names(weekday, parts[4]))


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field in APScheduler 3's terms; ValueError when it is not one.

    APScheduler 3 numbers Monday 0 where crontab numbers Sunday 0 (and 7), so ``1-5`` would
    run Tuesday to Saturday. Spelling the days out as names removes the ambiguity.
    """
    return _weekday_names(field, [_part(item, _FIELDS[4]) for item in field.lower().split(",")])


def _weekday_names(field: str, parts: list[_Part]) -> str:
    if field == "*":
        return field
    days: set[int] = set()
    for part in parts:
        step = part.step or 1
        if part.first is None:
            first, last = 0, 6
        elif part.last is None:
            first = last = part.first % 7
        else:
            # "5-7" and "fri-sun" run through Sunday. "0-7" gives Sunday alone, as it did
            # before this module existed; crontab would read it as every day.
            first = part.first % 7
            last = 7 if part.last == 7 and first > 0 else part.last % 7
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _part(part: str, field: _Field) -> _Part:
    """One item of a field as numbers; ValueError when it is not crontab."""
    span, _, step = part.partition("/")
    if step and (not step.isdecimal() or int(step) == 0):
        raise ValueError(f"{field.name}: step `/{step}` must be a positive number")
    steps = int(step) if step else None
    if span == "*":
        return _Part(None, None, steps, named=False)
    first, dash, last = span.partition("-")
    start = _number(first, field)
    end = _number(last, field) if dash else None
    if end is not None and end < start:
        raise ValueError(f"{field.name}: range {span} runs backwards")
    return _Part(start, end, steps, named=first in field.names)


def _number(token: str, field: _Field) -> int:
    if token in field.names:
        return field.names.index(token) + field.low
    if not token.isdecimal():
        raise ValueError(f"{field.name}: `{token}` is not a number")
    if not field.low <= int(token) <= field.high:
        raise ValueError(f"{field.name} {token} is out of range {field.low}-{field.high}")
    return int(token)


def _check_range(part: _Part, text: str, field: _Field) -> None:
    """Refuse what CronTrigger would refuse in an item that reads as crontab.

    CronTrigger reads a name-first month item by its leading name alone (so `jan-6` and
    `jan-mar/2` pass, and mean what CronTrigger makes of them); a number-first one must be
    numbers throughout, and a step may not be wider than its range.
    """
    if part.named:
        return
    span = text.partition("/")[0]
    if part.last is not None and not span.partition("-")[2].isdecimal():
        raise ValueError(
            f"{field.name}: range {span} mixes a number and a name; write both the same way"
        )
    if part.step is None:
        return
    if part.first is None:
        first, last = field.low, field.high
    else:
        # CronTrigger's own arithmetic, down to reading a range ending in 0 as open-ended.
        first, last = part.first, part.last or field.high
    if part.step > last - first:
        raise ValueError(
            f"{field.name}: step `/{part.step}` is wider than the range {first}-{last}"
        )


def check_timezone(value: str) -> str | None:
    import zoneinfo  # here: only a schedule needs the time zone database

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        match = close_match(value, sorted(zoneinfo.available_timezones()))
        hint = f"; did you mean `{match}`?" if match else "; use an IANA name like Europe/Paris"
        return f"unknown time zone `{value}`{hint}"
    return None


def schedule_trigger(schedule: ScheduleSettings) -> BaseTrigger:
    """The APScheduler trigger for a schedule; ValueError says what is wrong with it.

    A crontab restricting both day of month and day of week runs when either matches, as
    cron does; APScheduler alone would require both.
    """
    import zoneinfo

    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    problem = check_timezone(schedule.timezone)
    if problem:
        raise ValueError(problem)
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    jitter = schedule.jitter_seconds or None
    if schedule.interval_seconds is not None:
        return IntervalTrigger(seconds=schedule.interval_seconds, timezone=zone, jitter=jitter)
    cron = parse_cron(schedule.cron)
    common = {"minute": cron.minute, "hour": cron.hour, "month": cron.month, "timezone": zone}
    if cron.restricts_both_days:
        return OrTrigger(
            [
                CronTrigger(day=cron.day, day_of_week="*", **common),
                CronTrigger(day="*", day_of_week=cron.day_of_week, **common),
            ],
            jitter=jitter,
        )
    return CronTrigger(day=cron.day, day_of_week=cron.day_of_week, jitter=jitter, **common)


def describe_schedule(schedule: ScheduleSettings) -> str:
    if schedule.interval_seconds is not None:
        text = f"every {schedule.interval_seconds:g} s"
    else:
        text = f"cron {schedule.cron} ({schedule.timezone})"
    if schedule.jitter_seconds:
        text += f", up to {schedule.jitter_seconds} s late"
    return text
