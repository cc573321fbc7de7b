"""The long-lived services every channel shares, built once by bot/app.py and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from bot.notify import ReporterNotifier
from bot.outbox import OutboxWorker
from bot.settings import Settings
from handlers.common.regions import RegionCatalog
from handlers.report.intake import Intake
from handlers.summary.service import SummaryService
from handlers.triage.answers import TriageAnswers
from handlers.triage.service import TriageService
from storage.store import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    regions: RegionCatalog
    intake: Intake
    outbox: OutboxWorker
    notifier: ReporterNotifier
    triage: TriageService
    answers: TriageAnswers
    summary: SummaryService

    async def close(self) -> None:
        await self.outbox.stop()
        await self.store.close()
