"""Contact retention: a reporter's shared name and phone (and the witnesses they named) are deleted some days
after the report closed.

A report is closed when it reached `selesai` or `ditolak`; the moment it did is read from the append-only
event log (the newest event that moved it into its current state). `reports.contact_shared` stays true:
it is history ("the reporter did share a contact"), while the contact itself is gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.db import Database, iso, marks
from storage.models import CLOSED_STATES

_CLOSED = tuple(sorted(CLOSED_STATES))
_PLACEHOLDERS = marks(_CLOSED)

# The closing moment falls back to the report's own update time should a closed report have no event
# for its state (a hand-edited row): such a contact is purged too, never kept forever.
_EXPIRED_IN = """
    SELECT r.id FROM reports r
    WHERE r.state IN ({states})
      AND EXISTS (SELECT 1 FROM {table} c WHERE c.report_id = r.id)
      AND COALESCE((SELECT MAX(e.at) FROM events e WHERE e.report_id = r.id AND e.to_state = r.state),
                   r.updated_at) < ?
"""
_EXPIRED = _EXPIRED_IN.format(states=_PLACEHOLDERS, table="contacts")
# Witnesses are other people's names and phones, kept apart like the contact and purged with it.
_EXPIRED_WITNESSES = _EXPIRED_IN.format(states=_PLACEHOLDERS, table="witnesses")


class Retention:
    """What is deleted when its keeping ends; reached as `store.retention`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def purge_contacts(self, now: datetime, retention_days: int) -> int:
        """Delete the contacts of reports closed more than `retention_days` before `now`; how many."""
        db = self._db
        cutoff = iso(now - timedelta(days=retention_days))
        async with db.transaction() as conn:
            cur = await conn.execute(f"DELETE FROM contacts WHERE report_id IN ({_EXPIRED})", (*_CLOSED, cutoff))
            purged = cur.rowcount
            witnesses = await conn.execute(
                f"DELETE FROM witnesses WHERE report_id IN ({_EXPIRED_WITNESSES})", (*_CLOSED, cutoff)
            )
        if purged or witnesses.rowcount:
            # secure_delete zeroes the rows in the pages; the checkpoint removes the WAL's older copies of them,
            # so the phone numbers are gone from every file at once, not at SQLite's next automatic checkpoint.
            await db.checkpoint()
        return purged

    async def contacts_due(self, now: datetime, retention_days: int) -> int:
        """How many contacts the next purge would delete (for the log and for tests)."""
        cutoff = iso(now - timedelta(days=retention_days))
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM ({_EXPIRED})", (*_CLOSED, cutoff))
        return int(row[0]) if row else 0
