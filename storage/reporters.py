"""Reporters: who writes to the bot, their language, and the pseudonym supervisors see."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from typing import Final

from storage.db import Database, fetchone_in, iso, utcnow
from storage.models import Channel, Reporter

# Crockford's base32 without I, L, O, U: nothing to misread when a supervisor says it aloud.
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Labels are unique (a UNIQUE index, migration 0008): four characters while that space has room, and one
# more for every eight collisions in a row, up to the 12 that 64 bits of the HMAC fill.
_LENGTH: Final = 4
_ATTEMPTS_PER_LENGTH: Final = 8
_MAX_LENGTH: Final = 12
_MAX_ATTEMPTS: Final = _ATTEMPTS_PER_LENGTH * (_MAX_LENGTH - _LENGTH + 1)
# A report's alias need not be unique (it names one reporter inside one document), only unguessable and
# unlike the four-character labels the groups know, so that no one mistakes the one for the other.
_ALIAS_LENGTH: Final = 6


def row_to_reporter(row: sqlite3.Row) -> Reporter:
    return Reporter(
        id=row["id"],
        channel=Channel(row["channel"]),
        address=row["address"],
        locale=row["locale"],
        pseudonym=row["pseudonym"],
    )


class Reporters:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._secret: bytes | None = None

    async def _pseudonym_secret(self) -> bytes:
        """A random key made once per database: labels are stable yet reveal nothing."""
        if self._secret is None:
            async with self._db.transaction() as conn:
                await conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('pseudonym_key', ?)",
                    (secrets.token_hex(32),),
                )
                row = await fetchone_in(conn, "SELECT value FROM meta WHERE key = 'pseudonym_key'")
            assert row is not None
            self._secret = bytes.fromhex(row[0])
        return self._secret

    async def pseudonym_for(self, channel: Channel, address: str, attempt: int = 0) -> str:
        """The label tried at `attempt`: the first is the one this address always had (four characters).

        Later attempts, after a collision, key the HMAC with the attempt and grow a character every
        `_ATTEMPTS_PER_LENGTH`, so a crowded label space never stops a reporter from being created.
        """
        subject = f"{channel}:{address}" if attempt == 0 else f"{channel}:{address}#{attempt}"
        return await self._label(subject, min(_MAX_LENGTH, _LENGTH + attempt // _ATTEMPTS_PER_LENGTH))

    async def report_alias(self, report_id: int) -> str:
        """The reporter's name in documents that leave the team (the hand-off packet): one per report.

        The groups' pseudonym is per reporter, so it links all of a reporter's reports. Bawaslu receiving
        an anonymous packet and a named one of the same person must not be able to tie them together;
        the team still can, through the report's code.
        """
        return await self._label(f"report:{report_id}", _ALIAS_LENGTH)

    async def _label(self, subject: str, length: int) -> str:
        digest = hmac.new(await self._pseudonym_secret(), subject.encode(), hashlib.sha256)
        number = int.from_bytes(digest.digest()[:8], "big")
        return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(length))

    async def get_or_create(self, channel: Channel, address: str) -> Reporter:
        found = await self._find(channel, address)
        if found is not None:
            return found
        now = iso(utcnow())
        for attempt in range(_MAX_ATTEMPTS):
            pseudonym = await self.pseudonym_for(channel, address, attempt)
            # OR IGNORE covers both unique keys: another task created this reporter meanwhile (read back
            # below), or the label belongs to someone else already (found is None: try the next label).
            await self._db.execute(
                "INSERT OR IGNORE INTO reporters (channel, address, pseudonym, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (channel, address, pseudonym, now, now),
            )
            found = await self._find(channel, address)
            if found is not None:
                return found
        raise RuntimeError("no free reporter pseudonym after many attempts")

    async def _find(self, channel: Channel, address: str) -> Reporter | None:
        row = await self._db.fetchone("SELECT * FROM reporters WHERE channel = ? AND address = ?", (channel, address))
        return row_to_reporter(row) if row is not None else None

    async def get(self, reporter_id: int) -> Reporter | None:
        row = await self._db.fetchone("SELECT * FROM reporters WHERE id = ?", (reporter_id,))
        return row_to_reporter(row) if row else None

    async def set_locale(self, reporter_id: int, locale: str) -> None:
        await self._db.execute("UPDATE reporters SET locale = ? WHERE id = ?", (locale, reporter_id))
