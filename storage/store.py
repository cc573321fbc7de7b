"""One handle on everything stored: the database with its repositories, and the evidence files.

Every repository is built here once and reached through the store: some keep state (the triage store
mirrors the answer modes it alone writes), which a second instance on the same database would miss.
"""

from __future__ import annotations

from pathlib import Path

from storage.db import Database
from storage.drafts import Drafts
from storage.files import EvidenceStore
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.reporters import Reporters
from storage.reports import Reports
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

    @classmethod
    async def open(cls, database_path: Path, evidence_dir: Path) -> Store:
        evidence_dir.mkdir(parents=True, exist_ok=True)
        return cls(await Database.open(database_path), EvidenceStore(evidence_dir))

    async def close(self) -> None:
        await self.db.close()
