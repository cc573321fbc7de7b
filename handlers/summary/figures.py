"""The daily summary for the governor's office: which figures, and how they read.

Pure: given the aggregates storage returns, a region catalog, a locale, a time zone and the instant of
the snapshot, it builds `SummaryFigures` and the HTML text. No clock is read and nothing is sent here;
handlers/summary/service.py decides when, and the chart and the spreadsheet are drawn by summary_chart / summary_sheet.
"""

from __future__ import annotations

import html
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from handlers.common.regions import RegionCatalog
from handlers.common.text import esc
from handlers.common.when import format_long_date, format_short_date
from handlers.handoff.referral import outcome_key
from handlers.report.prompts import category_label, region_text
from handlers.report.reading import format_moment
from handlers.summary.referrals import ReferralFigures, build_referrals, referral_query
from handlers.triage.machine import target_key
from locales import DEFAULT_LOCALE, t, tn
from storage.models import CLOSED_STATES, Category, Record, ReportState
from storage.summary import SummaryData, SummaryQuery, Window
from storage.triage import GroupScope

# UU 7/2017: a formal report to Bawaslu is due within 7 days; the summary warns two days ahead.
BAWASLU_WINDOW_DAYS: Final = 7
DEADLINE_WARNING_DAYS: Final = 2
TOP_REGIONS: Final = 5
DEADLINE_LIST_MAX: Final = 10
OPEN_STATES: Final = tuple(s for s in ReportState if s not in CLOSED_STATES)


class RegionFigure(Record):
    region_id: str
    total: int
    by_state: dict[ReportState, int]


class DeadlineFigure(Record):
    code: str
    region_id: str
    deadline: date
    days_left: int
    state: ReportState


class GroupFigure(Record):
    """One supervisors' group's backlog at the snapshot (with regional groups: a line each)."""

    name: str
    backlog: int
    oldest: datetime | None


class SummaryFigures(Record):
    """Everything the text and the chart show; stored in the outbox so a retry sends the same figures."""

    day: date
    as_of: datetime  # the snapshot: the day's end, or the moment it was made while the day lasted
    new_reports: int
    previous_day: int
    week_before: int
    by_category: dict[Category, int]
    by_region: tuple[RegionFigure, ...]  # regions with new reports, most first
    states_now: dict[ReportState, int]
    backlog: int
    backlog_oldest: datetime | None
    first_actions: int
    first_action_median: float | None  # seconds
    deadline_count: int
    deadlines: tuple[DeadlineFigure, ...]
    # None in an outbox item queued before referrals were counted: its message goes out without them.
    referrals: ReferralFigures | None = None
    by_group: tuple[GroupFigure, ...] = ()  # empty without regional groups


def day_window(day: date, tz: ZoneInfo) -> Window:
    """00:00–24:00 local time of `day`, in UTC; a day is 23 or 25 hours long where clocks change."""
    # In UTC: Python subtracts two datetimes of one zone by wall clock, which would hide the odd hour.
    start = datetime.combine(day, time(), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    return Window(start=start, end=end)


def snapshot_at(day: date, tz: ZoneInfo, now: datetime) -> datetime:
    """The instant a summary of `day` counts as of: the day's end, or `now` while the day is not over.

    Every figure is as of this instant, however much later the summary is made: the states then, the
    backlog then and its age then, only the reports created by then.
    """
    return min(day_window(day, tz).end, now.astimezone(UTC))


def summary_query(
    day: date,
    tz: ZoneInfo,
    as_of: datetime,
    referral_overdue_days: int = 30,
    scopes: tuple[GroupScope, ...] | None = None,
) -> SummaryQuery:
    """The windows and bounds one summary counts over (`scopes`: only those groups' shares; None: every report).

    Deadlines are reckoned from the morning the summary is read (the day after `day`): a report whose
    window ends on that day or within DEADLINE_WARNING_DAYS after it is listed.
    """
    reference = day + timedelta(days=1)
    whole = day_window(day, tz)
    return SummaryQuery(
        day=Window(start=whole.start, end=min(whole.end, as_of)),  # today so far: only what exists by now
        previous_day=day_window(day - timedelta(days=1), tz),
        week_before=day_window(day - timedelta(days=7), tz),
        as_of=as_of,
        deadline_first=reference - timedelta(days=BAWASLU_WINDOW_DAYS),
        deadline_last=reference + timedelta(days=DEADLINE_WARNING_DAYS - BAWASLU_WINDOW_DAYS),
        open_states=OPEN_STATES,
        deadline_limit=DEADLINE_LIST_MAX,
        referrals=referral_query(day, tz, as_of, referral_overdue_days),
        scopes=scopes,
    )


def _region_sort_key(regions: RegionCatalog) -> dict[str, int]:
    return {region.id: position for position, region in enumerate(regions.regions)}


def build_figures(
    day: date,
    as_of: datetime,
    data: SummaryData,
    regions: RegionCatalog,
    tz: ZoneInfo,
    referral_overdue_days: int = 30,
) -> SummaryFigures:
    """Turn raw aggregates into the summary's figures: totals, rankings, the median, days left."""
    by_category: Counter[Category] = Counter()
    by_region: defaultdict[str, Counter[ReportState]] = defaultdict(Counter)
    for group in data.groups:
        by_category[group.category] += group.count
        by_region[group.region_id][group.state] += group.count
    order = _region_sort_key(regions)
    # Most reports first; ties in catalog order so the ranking does not change from run to run.
    ranked = sorted(by_region.items(), key=lambda item: (-item[1].total(), order.get(item[0], len(order)), item[0]))
    reference = day + timedelta(days=1)
    deadlines = tuple(
        DeadlineFigure(
            code=r.code,
            region_id=r.region_id,
            state=r.state,
            deadline=r.known_date + timedelta(days=BAWASLU_WINDOW_DAYS),
            days_left=(r.known_date + timedelta(days=BAWASLU_WINDOW_DAYS) - reference).days,
        )
        for r in data.deadline_reports
    )
    seconds = data.first_action_seconds
    return SummaryFigures(
        day=day,
        as_of=as_of,
        new_reports=data.new_reports,
        previous_day=data.previous_day,
        week_before=data.week_before,
        by_category={category: by_category[category] for category in Category},
        by_region=tuple(
            RegionFigure(
                region_id=region_id, total=counts.total(), by_state={state: counts[state] for state in ReportState}
            )
            for region_id, counts in ranked
        ),
        states_now=dict(data.states_now),
        backlog=data.backlog.count,
        backlog_oldest=data.backlog.oldest,
        first_actions=len(seconds),
        first_action_median=statistics.median(seconds) if seconds else None,
        deadline_count=data.deadline_count,
        deadlines=deadlines,
        referrals=build_referrals(day, as_of, data.referrals, tz, referral_overdue_days),
    )


# ---------------------------------------------------------------------------------------- wording


def num(value: int, locale: str) -> str:
    """1.234 in Indonesian, 1,234 in English."""
    return str(format_decimal(value, locale=locale))


def format_duration(seconds: float, locale: str) -> str:
    """A span as people say it: minutes under an hour, hours and minutes under a day, then days and hours."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return t(locale, "summary.duration_under_minute")
    if minutes < 60:
        return t(locale, "summary.duration_minutes", minutes=num(minutes, locale))
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return t(locale, "summary.duration_hours", hours=num(hours, locale), minutes=num(minutes, locale))
    days, hours = divmod(hours, 24)
    return t(locale, "summary.duration_days", days=num(days, locale), hours=num(hours, locale))


def change_text(current: int, base: int, locale: str) -> str:
    delta = current - base
    if delta == 0:
        return t(locale, "summary.change_same")
    key = "summary.change_up" if delta > 0 else "summary.change_down"
    if base == 0:
        return t(locale, f"{key}_from_zero", delta=num(abs(delta), locale))
    percent = str(format_percent(abs(delta) / base, locale=locale))
    return t(locale, key, delta=num(abs(delta), locale), percent=percent)


def region_name(regions: RegionCatalog, region_id: str, locale: str = DEFAULT_LOCALE) -> str:
    """The catalog's name; a region dropped from the catalog since still shows, by its id; reports whose
    reporter did not know the kab/kota are "Tidak tahu / di media sosial"."""
    return region_text(region_id, None, regions, locale)


def plain_label(text: str) -> str:
    """A catalog label without its leading emoji, for the chart and the spreadsheet."""
    return re.sub(r"^[^\w(]+", "", text).strip()


def _zone(figures: SummaryFigures, tz: ZoneInfo) -> str:
    return datetime.combine(figures.day, time(), tz).tzname() or ""


def _header(figures: SummaryFigures, locale: str, tz: ZoneInfo, late: bool) -> list[str]:
    zone = _zone(figures, tz)
    lines = [
        t(locale, "summary.title_late" if late else "summary.title"),
        t(locale, "summary.period", date=format_long_date(figures.day, locale), zone=zone),
    ]
    if late:
        lines.append(t(locale, "summary.late_note"))
    return lines


def _comparison(figures: SummaryFigures, locale: str) -> list[str]:
    previous = figures.day - timedelta(days=1)
    week = figures.day - timedelta(days=7)
    return [
        tn(
            locale,
            "summary.compare_previous",
            figures.previous_day,
            date=format_long_date(previous, locale),
            count=num(figures.previous_day, locale),
            change=change_text(figures.new_reports, figures.previous_day, locale),
        ),
        tn(
            locale,
            "summary.compare_week",
            figures.week_before,
            date=format_long_date(week, locale),
            count=num(figures.week_before, locale),
            change=change_text(figures.new_reports, figures.week_before, locale),
        ),
    ]


def _follow_up(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> list[str]:
    """Backlog, response time and deadlines: what needs someone's attention today."""
    lines: list[str] = []
    if figures.backlog and figures.backlog_oldest is not None:
        age = format_duration((figures.as_of - figures.backlog_oldest).total_seconds(), locale)
        lines.append(tn(locale, "summary.backlog", figures.backlog, count=num(figures.backlog, locale), age=age))
    else:
        lines.append(t(locale, "summary.backlog_none"))
    if figures.first_action_median is not None:
        lines.append(
            tn(
                locale,
                "summary.first_action",
                figures.first_actions,
                duration=format_duration(figures.first_action_median, locale),
                count=num(figures.first_actions, locale),
            )
        )
    else:
        lines.append(t(locale, "summary.first_action_none"))
    if not figures.deadline_count:
        lines.append(
            tn(locale, "summary.deadline_none", DEADLINE_WARNING_DAYS, days=num(DEADLINE_WARNING_DAYS, locale))
        )
        return lines
    # Two counts in one line: each is pluralised on its own.
    lines.append(
        t(
            locale,
            "summary.deadline",
            count=tn(locale, "count.reports", figures.deadline_count, n=num(figures.deadline_count, locale)),
            days=tn(locale, "count.days", DEADLINE_WARNING_DAYS, n=num(DEADLINE_WARNING_DAYS, locale)),
        )
    )
    for item in figures.deadlines:
        left = (
            t(locale, "summary.days_left_today")
            if item.days_left == 0
            else tn(locale, "summary.days_left", item.days_left, days=num(item.days_left, locale))
        )
        lines.append(
            t(
                locale,
                "summary.deadline_item",
                code=esc(item.code),
                region=esc(region_name(regions, item.region_id, locale)),
                date=format_short_date(item.deadline, locale),
                left=left,
            )
        )
    if figures.deadline_count > len(figures.deadlines):
        more = figures.deadline_count - len(figures.deadlines)
        lines.append(tn(locale, "summary.deadline_more", more, count=num(more, locale)))
    return lines


def _referral_parts(counts: dict[str, int], locale: str) -> str:
    """ "Bawaslu 3; BKN 1": the non-zero counts by label. Semicolons, because an outcome's label has a comma of
    its own ("terbukti, sanksi dijatuhkan")."""
    return "; ".join(
        t(locale, "summary.referral_part", label=label, count=num(count, locale))
        for label, count in counts.items()
        if count
    )


def _referrals(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> list[str]:
    """The hand-offs of the last 7 days and the ones still waiting for an outcome; nothing when there are none."""
    referrals = figures.referrals
    if referrals is None or not referrals.anything:
        return []
    return ["", referral_heading(figures, referrals, locale), *referral_lines(referrals, regions, locale)]


def referral_heading(figures: SummaryFigures, referrals: ReferralFigures, locale: str) -> str:
    """ "Rujukan 25 Nov – 1 Des": the window the referral lines count (the Mini App's dashboard heads them too)."""
    return t(
        locale,
        "summary.referrals",
        first=format_short_date(referrals.first_day, locale),
        last=format_short_date(figures.day, locale),
    )


def referral_lines(referrals: ReferralFigures, regions: RegionCatalog, locale: str) -> list[str]:
    """Forwarded, numbered and decided in the window, and what is overdue: the summary's lines, which the
    Mini App's dashboard shows as they are."""
    lines: list[str] = []
    targets = _referral_parts({t(locale, target_key(k)): n for k, n in referrals.forwarded.items()}, locale)
    total = referrals.forwarded_total
    lines.append(
        tn(locale, "summary.referrals_forwarded", total, count=num(total, locale), parts=targets)
        if total
        else t(locale, "summary.referrals_forwarded_none")
    )
    lines.append(
        tn(locale, "summary.referrals_references", referrals.references, count=num(referrals.references, locale))
    )
    outcomes = _referral_parts({t(locale, outcome_key(k)): n for k, n in referrals.outcomes.items()}, locale)
    received = referrals.outcomes_total
    lines.append(
        tn(locale, "summary.referrals_outcomes", received, count=num(received, locale), parts=outcomes)
        if received
        else t(locale, "summary.referrals_outcomes_none")
    )
    days = tn(locale, "count.days", referrals.overdue_days, n=num(referrals.overdue_days, locale))
    if not referrals.overdue_count:
        lines.append(t(locale, "summary.referrals_overdue_none", days=days))
        return lines
    lines.append(
        t(
            locale,
            "summary.referrals_overdue",
            days=days,
            count=tn(locale, "count.reports", referrals.overdue_count, n=num(referrals.overdue_count, locale)),
        )
    )
    for item in referrals.overdue:
        lines.append(
            t(
                locale,
                "summary.referral_overdue_item",
                code=esc(item.code),
                region=esc(region_name(regions, item.region_id)),
                target=t(locale, target_key(item.target)) if item.target else "?",
                date=format_short_date(item.forwarded_on, locale),
                days=tn(locale, "count.days", item.days, n=num(item.days, locale)),
                reference=t(locale, "summary.referral_has_number" if item.referenced else "summary.referral_no_number"),
            )
        )
    if referrals.overdue_count > len(referrals.overdue):
        more = referrals.overdue_count - len(referrals.overdue)
        lines.append(tn(locale, "summary.referrals_overdue_more", more, count=num(more, locale)))
    return lines


def summary_text(
    figures: SummaryFigures,
    regions: RegionCatalog,
    locale: str,
    tz: ZoneInfo,
    *,
    late: bool = False,
) -> str:
    """The message: Telegram HTML, every name from data escaped, well under 4,096 characters."""
    lines = _header(figures, locale, tz, late)
    lines.append("")
    if not figures.new_reports:
        # A quiet day still gets its message, short: what is still open matters more than zeros.
        lines.append(t(locale, "summary.no_reports"))
        lines += _comparison(figures, locale)
        lines.append("")
        lines += _follow_up(figures, regions, locale)
        lines += _referrals(figures, regions, locale)
        lines += _by_group(figures, locale, tz)
        return "\n".join(lines)
    lines.append(t(locale, "summary.new_reports", count=num(figures.new_reports, locale)))
    lines += _comparison(figures, locale)
    lines += ["", t(locale, "summary.by_category")]
    categories = sorted((item for item in figures.by_category.items() if item[1]), key=lambda item: -item[1])
    lines += [
        t(locale, "summary.item", label=category_label(locale, category), count=num(count, locale))
        for category, count in categories
    ]
    lines += ["", t(locale, "summary.by_region")]
    for rank, region in enumerate(figures.by_region[:TOP_REGIONS], 1):
        lines.append(
            t(
                locale,
                "summary.region_item",
                rank=rank,
                name=esc(region_name(regions, region.region_id, locale)),
                count=num(region.total, locale),
            )
        )
    if len(figures.by_region) > TOP_REGIONS:
        more = len(figures.by_region) - TOP_REGIONS
        lines.append(tn(locale, "summary.region_more", more, count=num(more, locale)))
    day_over = figures.as_of >= day_window(figures.day, tz).end
    lines += [
        "",
        t(locale, "summary.states_day_end", zone=_zone(figures, tz))
        if day_over
        else t(locale, "summary.states", moment=format_moment(figures.as_of, locale, tz)),
    ]
    lines += [
        t(locale, "summary.item", label=t(locale, f"state.{state}"), count=num(count, locale))
        for state, count in figures.states_now.items()
    ]
    lines.append("")
    lines += _follow_up(figures, regions, locale)
    lines += _referrals(figures, regions, locale)
    lines += _by_group(figures, locale, tz)
    return "\n".join(lines)


def _by_group(figures: SummaryFigures, locale: str, tz: ZoneInfo) -> list[str]:
    """A line per region group: its backlog and how long its oldest report has waited."""
    if not figures.by_group:
        return []
    lines = ["", t(locale, "summary.by_group")]
    for group in figures.by_group:
        oldest = (
            t(locale, "summary.group_oldest", moment=format_moment(group.oldest, locale, tz))
            if group.oldest is not None
            else t(locale, "summary.group_oldest_none")
        )
        lines.append(
            tn(
                locale,
                "summary.group_item",
                group.backlog,
                name=esc(group.name),
                count=num(group.backlog, locale),
                oldest=oldest,
            )
        )
    return lines


def plain_text(text: str) -> str:
    """The HTML message as a terminal shows it (the command line prints the summary)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def file_stem(day: date, locale: str) -> str:
    return t(locale, "summary.file_stem", date=day.isoformat())
