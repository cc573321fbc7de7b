"""Reporter pseudonyms: unique however many reporters, stable for each, and made unique in old databases."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from storage.db import Database, migrations
from storage.models import Channel
from storage.reporters import Reporters

MANY = 6_000  # 20 bits would give ~17 shared labels among these


async def test_thousands_of_reporters_each_get_their_own_pseudonym(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        reporters = Reporters(db)
        made = [await reporters.get_or_create(Channel.TELEGRAM, str(5_550_000_000 + n)) for n in range(MANY)]
        made.append(await reporters.get_or_create(Channel.WHATSAPP, "+6281234567001"))
        labels = [r.pseudonym for r in made]
        assert len(set(labels)) == len(labels)
        assert Counter(len(label) for label in labels)[4] >= len(labels) - 10  # the format keeps its look
        again = await reporters.get_or_create(Channel.TELEGRAM, str(5_550_000_000 + 17))
        assert again.pseudonym == made[17].pseudonym
    finally:
        await db.close()


async def test_a_taken_label_is_passed_over(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        reporters = Reporters(db)
        wanted = await reporters.pseudonym_for(Channel.TELEGRAM, "1001")
        await db.execute(
            "INSERT INTO reporters (channel, address, pseudonym, created_at, last_seen_at)"
            " VALUES ('telegram', 'someone-else', ?, 'x', 'x')",
            (wanted,),
        )
        reporter = await reporters.get_or_create(Channel.TELEGRAM, "1001")
        assert reporter.pseudonym != wanted and len(reporter.pseudonym) == 4
        assert (await reporters.get_or_create(Channel.TELEGRAM, "1001")).pseudonym == reporter.pseudonym
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            await db.execute("UPDATE reporters SET pseudonym = ? WHERE address = '1001'", (wanted,))
    finally:
        await db.close()


async def test_the_migration_makes_shared_labels_unique_and_keeps_the_first(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:  # a database as version 7 left it, with shared labels
        for version, script in migrations():
            if version <= 7:
                conn.executescript(script)
        conn.execute("PRAGMA user_version=7")
        rows = [("7F3K", n) for n in range(34)] + [("AB12", 100), ("AB12", 101), ("ZZ99", 200)]
        conn.executemany(
            "INSERT INTO reporters (channel, address, pseudonym, created_at, last_seen_at)"
            " VALUES ('telegram', ?, ?, 'x', 'x')",
            [(str(address), label) for label, address in rows],
        )
    db = await Database.open(path)
    try:
        found = {
            row["address"]: row["pseudonym"] for row in await db.fetchall("SELECT address, pseudonym FROM reporters")
        }
    finally:
        await db.close()
    assert len(set(found.values())) == len(found) == 37
    assert found["0"] == "7F3K" and found["1"] == "7F3K1" and found["31"] == "7F3KZ" and found["33"] == "7F3K11"
    assert found["100"] == "AB12" and found["101"] == "AB121" and found["200"] == "ZZ99"


async def test_a_reports_alias_is_its_own_stable_and_unlike_the_reporters_label(tmp_path: Path) -> None:
    """The packet's alias: the same for a report every time it is made, another for each report."""
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        reporters = Reporters(db)
        label = (await reporters.get_or_create(Channel.TELEGRAM, "1001")).pseudonym
        aliases = [await reporters.report_alias(report_id) for report_id in range(1, 2_001)]
        assert len(set(aliases)) >= 1_995  # 30 bits: a shared alias among 2,000 is rare, and harmless
        assert all(len(a) == 6 for a in aliases) and label not in aliases
        assert await Reporters(db).report_alias(7) == aliases[6]  # the key is the database's, not the process's
    finally:
        await db.close()
