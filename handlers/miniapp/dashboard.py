"""The office's dashboard: the daily summary's figures for today so far, the weekly trend, the map.

The figures are the summary's own (handlers/summary/figures.py), worded the same way; this only lays
them out for the page. Read-only: nothing here moves a report.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from babel.dates import format_date

from handlers.common.when import format_long_date, format_short_date
from handlers.miniapp.tilemap import tile_map_svg
from handlers.report.prompts import category_label
from handlers.report.reading import format_moment
from handlers.summary.figures import (
    SummaryFigures,
    change_text,
    format_duration,
    num,
    referral_heading,
    referral_lines,
    region_name,
)
from handlers.summary.service import SummaryService
from locales import t, tn
from storage.miniapp import MiniAppStore
from storage.triage import GroupScope

TREND_WEEKS: Final = 8
MAP_DAYS: Final = 30


def _midnight(day: date, service: SummaryService) -> datetime:
    return datetime.combine(day, time(), service.tz).astimezone(UTC)


class Dashboard:
    def __init__(self, summary: SummaryService, store: MiniAppStore) -> None:
        self.summary = summary
        self.store = store

    async def figures(self, locale: str, scopes: tuple[GroupScope, ...] | None = None) -> dict[str, object]:
        """Today so far, as the summary would count it now, plus the trend of the last weeks; with `scopes`,
        of those groups' shares only (a regional group's member: `Access.figure_scopes`)."""
        service = self.summary
        now = service.clock()
        today = now.astimezone(service.tz).date()
        figures = await service.figures(today, now, scopes=scopes)
        regions = service.regions
        backlog_age = (
            format_duration((figures.as_of - figures.backlog_oldest).total_seconds(), locale)
            if figures.backlog and figures.backlog_oldest is not None
            else None
        )
        return {
            "title": t(locale, "miniapp.dashboard_today", date=format_long_date(today, locale)),
            "new_reports": figures.new_reports,
            "new_reports_text": num(figures.new_reports, locale),
            "compare": [
                t(
                    locale,
                    "miniapp.compare_yesterday",
                    change=change_text(figures.new_reports, figures.previous_day, locale),
                ),
                t(locale, "miniapp.compare_week", change=change_text(figures.new_reports, figures.week_before, locale)),
            ],
            "by_category": [
                {"label": category_label(locale, category), "count": count}
                for category, count in sorted(figures.by_category.items(), key=lambda item: -item[1])
                if count
            ],
            "by_region": [
                {"label": region_name(regions, r.region_id), "count": r.total} for r in figures.by_region[:5]
            ],
            "states": [
                {"state": state.value, "label": t(locale, f"state.{state}"), "count": count}
                for state, count in figures.states_now.items()
            ],
            "backlog": figures.backlog,
            "backlog_text": (
                tn(locale, "summary.backlog", figures.backlog, count=num(figures.backlog, locale), age=backlog_age)
                if backlog_age
                else t(locale, "summary.backlog_none")
            ),
            "first_action_text": (
                tn(
                    locale,
                    "summary.first_action",
                    figures.first_actions,
                    duration=format_duration(figures.first_action_median, locale),
                    count=num(figures.first_actions, locale),
                )
                if figures.first_action_median is not None
                else t(locale, "summary.first_action_none")
            ),
            "deadlines": [
                {
                    "code": d.code,
                    "region": region_name(regions, d.region_id),
                    "date": format_short_date(d.deadline, locale),
                    "days_left": d.days_left,
                }
                for d in figures.deadlines
            ],
            "deadline_count": figures.deadline_count,
            # With regional groups: each group's unclaimed reports, and since when the oldest waits.
            "by_group": [
                {
                    "label": g.name,
                    "count": g.backlog,
                    "oldest": format_moment(g.oldest, locale, service.tz) if g.oldest is not None else None,
                }
                for g in figures.by_group
            ],
            "referrals": self.referrals(figures, locale),
            # Said on the page, so a regional supervisor does not read their share as the province's.
            "scope_text": (
                t(
                    locale,
                    "miniapp.dashboard_scope",
                    groups=", ".join(self.group_name(scope.chat_id, locale) for scope in scopes),
                )
                if scopes is not None
                else None
            ),
            "trend": await self.trend(today, locale, scopes),
        }

    def group_name(self, chat_id: int, locale: str) -> str:
        routing = self.summary.routing
        provincial = t(locale, "triage.group_provincial")
        return routing.name(chat_id, provincial) if routing is not None else provincial

    def referrals(self, figures: SummaryFigures, locale: str) -> dict[str, object]:
        """The summary's referral lines (the last 7 days' hand-offs and outcomes, what is overdue), worded by
        the summary's own code; a line saying so when there were none."""
        referrals = figures.referrals
        if referrals is None:
            return {"title": None, "lines": [t(locale, "miniapp.referrals_none")], "forwarded": 0, "outcomes": 0}
        return {
            "title": referral_heading(figures, referrals, locale),
            "lines": (
                referral_lines(referrals, self.summary.regions, locale)
                if referrals.anything
                else [t(locale, "miniapp.referrals_none")]
            ),
            "forwarded": referrals.forwarded_total,
            "outcomes": referrals.outcomes_total,
        }

    async def trend(
        self, today: date, locale: str, scopes: tuple[GroupScope, ...] | None = None
    ) -> list[dict[str, object]]:
        """Reports received per week (Monday to Sunday, local time), the last TREND_WEEKS weeks."""
        monday = today - timedelta(days=today.weekday())
        starts = [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
        bounds = [_midnight(day, self.summary) for day in [*starts, monday + timedelta(weeks=1)]]
        counts = await self.store.received_between(bounds, scopes)
        return [
            {
                "week": start.isoformat(),
                "label": str(format_date(start, "d MMM", locale=locale)),
                "date": format_short_date(start, locale),
                "count": count,
            }
            for start, count in zip(starts, counts, strict=True)
        ]

    async def map_svg(self, locale: str) -> str:
        since = self.summary.clock() - timedelta(days=MAP_DAYS)
        counts = await self.store.by_region_since(since)
        return tile_map_svg(counts, self.summary.regions, locale)
