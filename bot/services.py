"""The long-lived services every channel shares, opened and closed together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.notify import ReporterNotifier
from bot.outbox import OutboxWorker
from bot.settings import Settings
from handlers.common.owed import NOTIFY_REPORTER
from handlers.common.regions import RegionCatalog
from handlers.report.intake import Intake, IntakeConfig
from storage.db import utcnow
from storage.store import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    regions: RegionCatalog
    intake: Intake
    outbox: OutboxWorker
    notifier: ReporterNotifier

    @classmethod
    async def open(
        cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow, outbox_base_delay: float = 2.0,
    ) -> Services:
        store = await Store.open(settings.database_path, settings.evidence_dir)
        regions = RegionCatalog.load(settings.region_file)
        worker = OutboxWorker(store.outbox, {}, base_delay=outbox_base_delay)
        max_bytes = settings.max_image_bytes
        if not settings.custom_api_server:
            max_bytes = min(max_bytes, 20 * 1024 * 1024)  # the cloud Bot API downloads at most 20 MB
        config = IntakeConfig(
            default_locale=settings.default_locale, tz=settings.tz, max_image_bytes=max_bytes,
            max_photos=settings.max_photos, messages_per_minute=settings.messages_per_minute,
            reports_per_day=settings.reports_per_day,
        )
        intake = Intake(store, regions, config, clock, on_report=worker.wake)
        notifier = ReporterNotifier(store, settings.default_locale)
        worker.register(NOTIFY_REPORTER, notifier)
        return cls(settings, store, regions, intake, worker, notifier)

    async def close(self) -> None:
        await self.outbox.stop()
        await self.store.close()
