"""The schedule: which crontab lines load, and when the trigger built from them fires.

Crontab numbers Sunday 0 (and 7) where APScheduler 3 numbers Monday 0; these check that a
schedule means what cron means, and that every line the config accepts builds a trigger.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bumper.config.schedule import check_cron, crontab_weekdays, schedule_trigger
from bumper.config.settings import ScheduleSettings


@pytest.mark.parametrize(
    ("crontab", "apscheduler"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("sat,sun", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("MON-wed", "mon,tue,wed"),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(crontab: str, apscheduler: str) -> None:
    assert crontab_weekdays(crontab) == apscheduler


@pytest.mark.parametrize("bad", ["8", "fri-mon", "x", "1/0"])
def test_impossible_weekdays_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="day of week"):
        crontab_weekdays(bad)


def _fire_times(cron: str, count: int, tz: str = "UTC") -> list[datetime]:
    trigger = schedule_trigger(ScheduleSettings(cron=cron, timezone=tz))
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo(tz))  # a Thursday
    times: list[datetime] = []
    previous = None
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        times.append(nxt)
        previous, now = nxt, nxt
    return times


def test_weekday_schedule_fires_on_the_crontab_weekday() -> None:
    fires = _fire_times("30 6 * * 1-5", 5)
    assert [f.strftime("%a %H:%M") for f in fires] == [
        "Thu 06:30",
        "Fri 06:30",
        "Mon 06:30",
        "Tue 06:30",
        "Wed 06:30",
    ]


def test_day_of_month_or_weekday_fires_on_either_as_cron_does() -> None:
    fires = _fire_times("0 0 1 * 0", 3)  # the 1st, and every Sunday
    assert [f.strftime("%a %d") for f in fires] == ["Thu 01", "Sun 04", "Sun 11"]


def test_schedule_uses_its_timezone() -> None:
    (fire,) = _fire_times("0 3 * * *", 1, tz="Europe/Rome")
    assert fire.utcoffset() is not None and fire.hour == 3
    assert fire.astimezone(ZoneInfo("UTC")).hour == 2


def test_jitter_delays_a_pass_by_at_most_the_jitter() -> None:
    trigger = schedule_trigger(ScheduleSettings(cron="0 3 * * *", jitter_seconds=600))
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    delays = {
        (trigger.get_next_fire_time(None, now) - now.replace(hour=3)).total_seconds()
        for _ in range(50)
    }
    assert all(0 <= d <= 600 for d in delays)
    assert len(delays) > 1


def test_bad_timezone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        schedule_trigger(ScheduleSettings(timezone="Mars/Olympus"))


@pytest.mark.parametrize(
    ("cron", "phrase"),
    [
        ("*/60 * * * *", "minute: step `/60` is wider than the range 0-59"),
        ("0-5/10 * * * *", "minute: step `/10` is wider than the range 0-5"),
        ("0 0 * 1-jan *", "month: range 1-jan mixes a number and a name; write both the same way"),
        ("0 0 * */12 *", "month: step `/12` is wider than the range 1-12"),
        ("\u00b2 * * * *", "minute: `\u00b2` is not a number"),
    ],
)
def test_lines_the_trigger_cannot_take_are_refused_when_the_config_loads(
    cron: str, phrase: str
) -> None:
    assert check_cron(cron) == phrase


_ITEMS = st.sampled_from(
    ["*", "0", "1", "5", "7", "07", "12", "23", "31", "59", "jan", "dec", "sun", "fri", "sat"]
)
_STEPS = st.sampled_from(["", "/1", "/2", "/7", "/11", "/12", "/24", "/30", "/31", "/59", "/60"])


@st.composite
def _fields(draw: st.DrawFn) -> str:
    items = []
    for _ in range(draw(st.integers(1, 2))):
        item = draw(_ITEMS)
        if draw(st.booleans()):
            item += "-" + draw(_ITEMS)
        items.append(item + draw(_STEPS))
    return ",".join(items)


@settings(max_examples=400, deadline=None)
@given(st.lists(_fields(), min_size=5, max_size=5))
def test_every_line_the_config_accepts_builds_a_trigger(fields: list[str]) -> None:
    cron = " ".join(fields)
    if check_cron(cron) is None:
        schedule_trigger(ScheduleSettings(cron=cron))


def test_loading_the_config_does_not_import_apscheduler() -> None:
    # run-once loads the config but never schedules; APScheduler costs ~75 ms to import.
    code = "import sys, bumper.config; assert 'apscheduler' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
