"""The Mini App's queries: the queue sorted by Bawaslu's deadline, and the dashboard's counts.

The queue takes the same `ReportFilter` as /cari (storage/triage.py) and the shares of the user's groups
(`GroupScope`, the same SQL as a group's own lists); it is ordered by the known-day, which is the deadline
less seven days. Counts are bounded by `reports_by_created`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from storage.db import Database, iso
from storage.models import Report
from storage.reports import row_to_report
from storage.triage import GroupScope, ReportFilter, filter_sql

QUEUE_MAX: Final = 100


class MiniAppStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def queue(
        self, where: ReportFilter, scopes: Sequence[GroupScope] | None, *, limit: int, offset: int
    ) -> tuple[list[Report], int]:
        """One page of matching reports within the groups' shares, the nearest Bawaslu deadline first, and how
        many match in all."""
        sql_where, params = filter_sql(where, scopes)
        total = await self._db.fetchone(f"SELECT COUNT(*) FROM reports{sql_where}", params)
        rows = await self._db.fetchall(
            f"SELECT * FROM reports{sql_where} ORDER BY known_date, created_at, id LIMIT ? OFFSET ?",
            [*params, min(max(1, limit), QUEUE_MAX), max(0, offset)],
        )
        return [row_to_report(r) for r in rows], int(total[0]) if total else 0

    async def received_between(
        self, bounds: Sequence[datetime], scopes: Sequence[GroupScope] | None = None
    ) -> list[int]:
        """How many reports arrived in each interval [bounds[i], bounds[i+1]) (the trend's weeks), within the
        shares of some groups (None: every report)."""
        counts: list[int] = []
        for start, end in itertools.pairwise(bounds):
            sql_where, params = filter_sql(ReportFilter(received_from=start, received_before=end), scopes)
            row = await self._db.fetchone(f"SELECT COUNT(*) FROM reports{sql_where}", params)
            counts.append(int(row[0]) if row else 0)
        return counts

    async def by_region_since(self, since: datetime) -> dict[str, int]:
        rows = await self._db.fetchall(
            "SELECT region_id, COUNT(*) FROM reports WHERE created_at >= ? GROUP BY region_id", (iso(since),)
        )
        return {str(r[0]): int(r[1]) for r in rows}
