"""One handle on everything stored: the database with its repositories, and the evidence files.

Every repository is built here once and reached through the store: some keep state (the triage store
mirrors the answer modes it alone writes), which a second instance on the same database would miss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from storage.db import Database
from storage.drafts import Drafts
from storage.files import EvidenceStore
from storage.inbox import Inbox
from storage.miniapp import MiniAppStore
from storage.ops import OpsFigures, StaleEpisodes
from storage.outbox import Outbox
from storage.reporters import Reporters
from storage.reports import Reports
from storage.retention import Retention
from storage.summary import SummaryStore
from storage.triage import TriageStore
from storage.whatsapp import WhatsAppRecords


class Store:
    def __init__(self, db: Database, files: EvidenceStore) -> None:
        self.db = db
        self.files = files
        self.reporters = Reporters(db)
        self.drafts = Drafts(db)
        self.reports = Reports(db)
        self.outbox = Outbox(db)
        self.inbox = Inbox(db)
        self.triage = TriageStore(db)
        self.whatsapp = WhatsAppRecords(db)
        self.summary = SummaryStore(db)
        self.retention = Retention(db)
        self.miniapp = MiniAppStore(db)
        self.ops = OpsFigures(db)
        self.stale_episodes = StaleEpisodes(db)

    @classmethod
    async def open(cls, database_path: Path, evidence_dir: Path) -> Store:
        evidence_dir.mkdir(parents=True, exist_ok=True)
        return cls(await Database.open(database_path), EvidenceStore(evidence_dir))

    async def release_evidence(self, hashes: Iterable[str]) -> int:
        """Shred each photo that no report and no draft refers to any more (a cancelled draft, a removed
        photo); a content-addressed file shared with another report or draft stays. Returns how many went."""
        released = 0
        for digest in sorted(set(hashes)):
            # Drafts keep their photos inside the JSON of `data`; a SHA-256 is 64 hex digits, so a substring
            # match is exact.
            row = await self.db.fetchone(
                "SELECT 1 FROM evidence WHERE sha256 = ? UNION ALL SELECT 1 FROM drafts WHERE instr(data, ?) > 0"
                " LIMIT 1",
                (digest, digest),
            )
            if row is None and await asyncio.to_thread(self.files.shred, digest):
                released += 1
        return released

    async def sweep_evidence(self, older_than: datetime) -> int:
        """Shred originals older than `older_than` that nothing refers to: photos of drafts pruned or lost
        in a crash between storing the file and saving the turn. Younger files may belong to a turn in
        progress."""
        cutoff = older_than.timestamp()
        candidates = [digest for digest, mtime in await asyncio.to_thread(self.files.originals) if mtime < cutoff]
        return await self.release_evidence(candidates)

    async def close(self) -> None:
        await self.db.close()
