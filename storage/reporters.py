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


def row_to_reporter(row: sqlite3.Row) -> Reporter:
    return Reporter(
        id=row["id"], channel=Channel(row["channel"]), address=row["address"],
        locale=row["locale"], pseudonym=row["pseudonym"],
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

    async def pseudonym_for(self, channel: Channel, address: str) -> str:
        digest = hmac.new(await self._pseudonym_secret(), f"{channel}:{address}".encode(), hashlib.sha256)
        number = int.from_bytes(digest.digest()[:8], "big")
        label = "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(4))
        return label

    async def get_or_create(self, channel: Channel, address: str) -> Reporter:
        row = await self._db.fetchone(
            "SELECT * FROM reporters WHERE channel = ? AND address = ?", (channel, address)
        )
        if row is not None:
            return row_to_reporter(row)
        pseudonym = await self.pseudonym_for(channel, address)
        now = iso(utcnow())
        # OR IGNORE: another task may have created them meanwhile; either way the row is read back.
        await self._db.execute(
            "INSERT OR IGNORE INTO reporters (channel, address, pseudonym, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (channel, address, pseudonym, now, now),
        )
        created = await self._db.fetchone(
            "SELECT * FROM reporters WHERE channel = ? AND address = ?", (channel, address)
        )
        assert created is not None
        return row_to_reporter(created)

    async def get(self, reporter_id: int) -> Reporter | None:
        row = await self._db.fetchone("SELECT * FROM reporters WHERE id = ?", (reporter_id,))
        return row_to_reporter(row) if row else None

    async def set_locale(self, reporter_id: int, locale: str) -> None:
        await self._db.execute("UPDATE reporters SET locale = ? WHERE id = ?", (locale, reporter_id))
