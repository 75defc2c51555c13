"""Dates as found in the wild, parsed explicitly or reported; never guessed silently.

Accepted: ISO (``2023-12-02``, with or without a time), ``20220430``,
``07 October 2023`` / ``7 Oct 2023``, ``6-Jun-25``, ``December 2, 2023``,
and slash dates ``d/m/Y`` (Gaza, OCHA and ACLED exports) or ``m/d/Y`` (US spreadsheets).  ArcGIS FeatureServer
exports write dates as epoch milliseconds (``1730986500000.0``): a number of 12 or 13
digits is read as milliseconds since 1970-01-01 UTC, one of 9 or 10 digits as epoch
seconds (no other date form is written as a bare number of those lengths; 8 digits are
``YYYYMMDD``). An epoch instant is dated in Gaza's time zone (Asia/Gaza), the day a person
there saw: 2024-11-07 23:30 UTC is 8 November. ISO dates with a time keep their written
date.  A slash date is
ambiguous when both parts are 12 or less: :func:`parse_date_column` decides
the order from the whole column (a value with a first part over 12 proves
``d/m``, one with a second part over 12 ``m/d``); when nothing proves the order it reads
the column day-first (the ``slash_dates`` setting) and its warning says so and names the setting. A time
with AM/PM is the US form (month first). A single value (:func:`parse_date` without a column) follows the same
rules by its own parts; a person's date that reads two ways is refused (:func:`to_date`).
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from pandas.api.typing import NaTType

from pipeline.core import settings
from pipeline.core.errors import InputError, SettingError
from pipeline.core.i18n import N_, msg

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DMY_TEXT = re.compile(r"^(\d{1,2})[\s\-/.]+([A-Za-z]{3,9})\.?[\s\-/.,]+(\d{2,4})$")
_MDY_TEXT = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_EPOCH = re.compile(r"^(\d{9,10}|\d{12,13})(?:\.0*)?$")
LOCAL_TZ = "Asia/Gaza"
_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})(?:\s+[\d:]+(\s*[AP]M)?)?$", re.I)


# The dates a column can hold (pandas stores datetimes in nanoseconds: 1677-09-21 to 2262-04-11).
FIRST_STORABLE = pd.Timestamp("1678-01-01")
LAST_STORABLE = pd.Timestamp("2261-12-31")


class DateParseError(ValueError):
    """A value that is not a date this module can read without guessing."""


@dataclass(frozen=True)
class DateProblem:
    row: int
    value: str
    reason: str


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 2:
        return 2000 + n if n < 70 else 1900 + n
    return n


def _month(name: str) -> int:
    key = name[:3].lower()
    if key not in _MONTHS:
        raise DateParseError(msg(N_("unknown month name {name!r}"), name=name))
    return _MONTHS[key]


def epoch_date(text: str) -> date | None:
    """The Gaza-local date of an epoch number (milliseconds if 12-13 digits, seconds if 9-10), else None."""
    m = _EPOCH.match(text)
    if not m:
        return None
    n = int(m[1])
    unit = "ms" if len(m[1]) >= 12 else "s"
    return pd.Timestamp(n, unit=unit, tz="UTC").tz_convert(LOCAL_TZ).date()


def epoch_dates(text: pd.Series) -> pd.Series:
    """Vectorised :func:`epoch_date` over a text column: datetime64 (midnight, Gaza-local) or NaT."""
    parts = text.str.extract(_EPOCH, expand=False)
    nums = pd.to_numeric(parts, errors="coerce")
    ms = nums.where(parts.str.len() >= 12, nums * 1000)
    stamps = pd.to_datetime(ms, unit="ms", utc=True, errors="coerce")
    return stamps.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def parse_date(value: object, *, slash_order: str | None = None) -> date:
    """Parse one value; ``slash_order`` is ``"mdy"`` or ``"dmy"`` for slash dates (a column's order, from
    :func:`slash_order_of`). Without it a slash date is read the way its own parts prove (a first part over 12 is
    a day, a second part over 12 is a day) and otherwise as the ``slash_dates`` setting says (day-first).

    Raises :class:`DateParseError` with the reason when the value is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            raise DateParseError(msg(N_("empty date")))
        return value.date()
    if value is None or (isinstance(value, float) and pd.isna(value)):
        raise DateParseError(msg(N_("empty date")))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value:.0f}" if float(value).is_integer() else value
    text = str(value).strip()
    if not text:
        raise DateParseError(msg(N_("empty date")))
    return _parse_text(text, slash_order)


def slash_readings(text: str) -> tuple[date, date] | None:
    """The two dates a slash date could be when neither part is over 12 (day/month and month/day), else None."""
    m = _SLASH.match(str(text).strip())
    if not m or int(m[1]) > 12 or int(m[2]) > 12 or int(m[1]) == int(m[2]) or m[4]:
        return None
    try:
        return date(_year(m[3]), int(m[2]), int(m[1])), date(_year(m[3]), int(m[1]), int(m[2]))
    except ValueError:  # a zero part: not a date either way (parse_date says why)
        return None


def _parse_text(text: str, slash_order: str | None) -> date:
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if (when := epoch_date(text)) is not None:
            return when
        if m := _COMPACT.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY_TEXT.match(text):
            return date(_year(m[3]), _month(m[2]), int(m[1]))
        if m := _MDY_TEXT.match(text):
            return date(int(m[3]), _month(m[1]), int(m[2]))
        if m := _SLASH.match(text):
            a, b, y = int(m[1]), int(m[2]), _year(m[3])
            order = slash_order or ("dmy" if a > 12 else "mdy" if b > 12 or m[4] else ambiguous_order())
            month, day = (a, b) if order == "mdy" else (b, a)
            return date(y, month, day)
    except ValueError as exc:  # day or month out of range
        raise DateParseError(msg(N_("not a calendar date: {text!r} ({exc})"), text=text,
                                 exc=_calendar_reason(exc))) from exc
    raise DateParseError(msg(N_("unrecognised date format: {text!r}"), text=text))


def _calendar_reason(exc: ValueError) -> str:
    """Python's reason a date does not exist, in the project's words (so the Arabic page can translate it)."""
    text = str(exc)
    if "month must be in" in text:
        return msg(N_("the month must be 1 to 12"))
    if "day is out of range" in text:
        return msg(N_("that month has no such day"))
    if "year" in text and "out of range" in text:
        return msg(N_("the year is out of range"))
    return text


SLASH_ORDERS = {"day-first": "dmy", "month-first": "mdy"}


def ambiguous_order() -> str:
    """``dmy`` or ``mdy``: how a column of slash dates that no value settles is read (``slash_dates``)."""
    value = settings.get(settings.SLASH_DATES).strip().lower()
    if value not in SLASH_ORDERS:
        raise SettingError(f"{settings.SLASH_DATES.env}={value!r} is not valid: setting 'slash_dates' accepts "
                           "day-first or month-first (default day-first); fix or unset the variable")
    return SLASH_ORDERS[value]


_orders_seen: contextvars.ContextVar[list[tuple[str, bool]] | None] = contextvars.ContextVar("gdm_slash_orders",
                                                                                           default=None)


@contextmanager
def slash_orders_seen() -> Iterator[list[tuple[str, bool]]]:
    """The (order, ambiguous) decided for each column of slash dates while the block runs. A file read a chunk at
    a time decides per chunk; the whole file's decision is the same only if every chunk's is."""
    seen: list[tuple[str, bool]] = []
    token = _orders_seen.set(seen)
    try:
        yield seen
    finally:
        _orders_seen.reset(token)


def slash_order_of(values: pd.Series) -> tuple[str, bool]:
    """(order, ambiguous) for a column's slash dates: ``dmy`` if any first part exceeds 12, ``mdy`` if any second
    part does or a time has AM/PM (the US form ArcGIS Hub writes, ``11/7/2024 1:35:00 PM``); else the
    ``slash_dates`` setting's order (day-first), ambiguous."""
    first, second, clock = [], [], False
    for v in values.dropna().astype(str):
        if m := _SLASH.match(v.strip()):
            first.append(int(m[1]))
            second.append(int(m[2]))
            clock = clock or bool(m[4])
    if not first:
        return "mdy", False
    seen = _orders_seen.get()
    if seen is not None:  # a chunked read: the import compares the chunks' decisions (slash_orders_seen)
        seen.append(_order_from(first, second, clock))
    return _order_from(first, second, clock)


def _order_from(first: list[int], second: list[int], clock: bool) -> tuple[str, bool]:
    if any(a > 12 for a in first):
        return "dmy", False
    if any(b > 12 for b in second) or clock:
        return "mdy", False
    return ambiguous_order(), True


def parse_date_column(values: pd.Series) -> tuple[pd.Series, list[DateProblem], str | None]:
    """Parse a column; returns (dates as datetime64 with NaT where unreadable, problems, warning).

    ``warning`` is set when slash dates could be read either way (every part 12 or less).
    """
    order, ambiguous = slash_order_of(values)
    out: list[pd.Timestamp | NaTType] = []
    problems: list[DateProblem] = []
    for i, v in enumerate(values.tolist()):
        try:
            out.append(storable(parse_date(v, slash_order=order)))
        except DateParseError as exc:
            out.append(pd.NaT)
            problems.append(DateProblem(i, "" if v is None else str(v), _reason(exc)))
    warning = None
    if ambiguous:
        name, env = settings.SLASH_DATES.name, settings.SLASH_DATES.env
        warning = (msg(N_("slash dates could be day/month or month/day (no part above 12); read as day/month/year, "
                          "the convention in Gaza and in OCHA and ACLED exports: check a known date, or set {name} "
                          "({env}) to month-first"), name=name, env=env) if order == "dmy" else
                   msg(N_("slash dates could be day/month or month/day (no part above 12); read as month/day/year, "
                          "as the setting {name} ({env}) says: check a known date"), name=name, env=env))
    # pandas-stubs' to_datetime() takes no NaT in a list; pandas does (it becomes NaT).
    return pd.Series(pd.to_datetime(out), index=values.index), problems, warning  # type: ignore[arg-type]


def _reason(exc: Exception) -> str:
    """The sentence an error was raised with (a :class:`pipeline.core.i18n.Message` stays one)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


def storable(d: date) -> pd.Timestamp:
    """``d`` as a timestamp a column can hold, or :class:`DateParseError` naming the placeholder it likely is."""
    if not FIRST_STORABLE.date() <= d <= LAST_STORABLE.date():
        hint = (msg(N_("9999-12-31 and the like stand for 'no end date'")) if d.year > 2261
                else msg(N_("0001-01-01 and the like stand for 'no date'")))
        raise DateParseError(msg(N_("date {isoformat} is outside the years {year}-{year2} that can be stored ({hint}): leave the cell empty, or write the real date"), isoformat=d.isoformat(), year=FIRST_STORABLE.year, year2=LAST_STORABLE.year, hint=hint))
    return pd.Timestamp(d)


def optional_date(value: object) -> date | None:
    """A date, or None for an empty value (None, NaN, NaT, ""); anything else goes through :func:`parse_date`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    # pandas-stubs' isna() has no overload for object; pandas takes any scalar.
    if not isinstance(value, (date, str)) and pd.isna(value):  # type: ignore[call-overload]
        return None
    return parse_date(value)


def to_date(value: object, what: str = "date") -> date:
    """A date given by a person (CLI option, URL, function argument); InputError that names ``what`` if not.
    A slash date that reads two ways (``05/12/2023``) is refused with both readings: one value proves no order."""
    if isinstance(value, str) and (both := slash_readings(value)) is not None:
        raise InputError(msg(N_("{what} {value!r} could be {first} (day/month) or {second} (month/day)"), what=what,
                             value=value, first=both[0].isoformat(), second=both[1].isoformat()), field=what,
                         fix=msg(N_("write it as YYYY-MM-DD")))
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise InputError(msg(N_("{what} {value!r} is not a date ({exc})"), what=what, value=value, exc=_reason(exc)), field=what,
                         fix=msg(N_("write it as YYYY-MM-DD"))) from exc


def window_start(on: date, days: int, since: date | None = None) -> date:
    """First day of "the ``days`` days ending on ``on``" ([on - days + 1, on]), not before ``since``."""
    start = on - timedelta(days=days - 1)
    return start if since is None else max(since, start)
