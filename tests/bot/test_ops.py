"""The operators' view: /healthz and /metrics on the running bot's HTTP server, and the stale-card warning."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import aiohttp

from bot.telegram.pacer import Pacer
from bot.telegram.pacing import Priority
from bot.watch import StaleWatch, recall_last_minute
from bot.web.ops import REPORTERS, Destinations, OpsSources, chat_label, healthz
from handlers.common import owed
from locales import tn
from storage.db import utcnow
from storage.ops import OpsFigures
from storage.store import Store
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot

SAMPLE = re.compile(r'^[a-z_0-9]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9][0-9.e+-]*$')


def samples(text: str, name: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, value = line.rsplit(" ", 1)
            found[labels[len(name) :]] = float(value)
    return found


async def test_health_and_metrics_show_the_backlog_by_group_and_no_reporter(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    api.set_blocked(GROUP)  # the group refuses the bot: what is owed to it stays pending
    async with running_bot(settings) as app:
        citizen = Citizen(api, 7_300_001)
        await citizen.say("/start")  # a reply: Telegram has answered the bot
        await app.services.store.outbox.enqueue(owed.reminder(utcnow().date(), "Pengingat pagi"))
        app.services.outbox.wake()
        await api.wait_for(lambda c: c.chat_id == GROUP, failed=True)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{app.http.url}/healthz") as response:
                health = await response.json()
                assert response.status == 200
            async with session.get(f"{app.http.url}/metrics") as response:
                assert response.headers["Content-Type"].startswith("text/plain")
                text = await response.text()
    assert health["database"] is True and health["status"] == "ok"
    assert health["outbox_pending"] == 1 and health["oldest_waiting_seconds"] >= 0
    assert 0 <= health["last_telegram_contact_seconds"] < 60
    families = re.findall(r"^# TYPE (\w+) (gauge|counter)$", text, flags=re.M)
    assert {name for name, _ in families} >= {
        "lapor_database_up",
        "lapor_outbox_pending",
        "lapor_outbox_oldest_waiting_seconds",
        "lapor_outbox_in_flight",
        "lapor_pacer_waiting",
        "lapor_telegram_429_total",
        "lapor_telegram_last_contact_seconds",
        "lapor_reports_last_hour",
        "lapor_triage_moves_last_hour",
    }
    for line in text.splitlines():
        assert line.startswith("# ") or SAMPLE.match(line), line
    assert samples(text, "lapor_outbox_pending") == {f'{{chat="{GROUP}",kind="triage_group_post"}}': 1.0}
    assert samples(text, "lapor_database_up") == {"": 1.0}
    assert str(citizen.user_id) not in text  # a private chat id is a person


async def test_healthz_is_503_when_messages_wait_and_telegram_never_answered(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        await store.outbox.enqueue(owed.reminder(utcnow().date(), "Pengingat pagi"))
        figures = OpsFigures(store.db)
        sources = OpsSources(figures, Destinations(lambda region: GROUP, GROUP), lambda: 0, None, lambda: None, utcnow)
        response = await healthz(sources)
        assert response.status == 503
        reached = OpsSources(figures, Destinations(lambda region: GROUP, GROUP), lambda: 0, None, lambda: 3.0, utcnow)
        assert (await healthz(reached)).status == 200
    finally:
        await store.close()
    assert chat_label(GROUP) == str(GROUP) and chat_label(4242) == REPORTERS and chat_label(None) == REPORTERS


async def test_a_group_whose_oldest_card_waits_too_long_is_announced_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    woken: list[int] = []
    try:
        for report_id in (41, 42):
            await store.outbox.enqueue(owed.forward_report(report_id))
        later = utcnow() + timedelta(minutes=11, seconds=5)
        watch = StaleWatch(
            OpsFigures(store.db),
            store.outbox,
            minutes=10,
            destination=Destinations(lambda region: GROUP, GROUP),
            group_name=lambda chat: "Karesidenan <Surakarta>",
            locale="id",
            clock=lambda: later,
            wake=lambda: woken.append(1),
        )
        assert await watch.check() == 1
        assert await watch.check() == 1  # still late: owed again, but deduplicated
        early = StaleWatch(
            OpsFigures(store.db),
            store.outbox,
            minutes=30,
            destination=Destinations(lambda region: GROUP, GROUP),
            group_name=str,
            locale="id",
            clock=lambda: later,
            wake=lambda: woken.append(1),
        )
        assert await early.check() == 0
        rows = await store.db.fetchall("SELECT kind, payload FROM outbox WHERE dedupe_key GLOB 'stale:*'")
    finally:
        await store.close()
    assert len(rows) == 1 and rows[0]["kind"] == owed.GROUP_POST
    expected = tn("id", "ops.stale_cards", 2, group="Karesidenan &lt;Surakarta&gt;", minutes=11, count=2)
    assert json.loads(rows[0]["payload"]) == {"text": expected}
    assert woken == [1, 1]


async def test_a_restarted_pacer_recalls_what_the_outbox_sent_into_groups_in_the_last_minute(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        for day in range(3):
            await store.outbox.enqueue(owed.reminder(utcnow().date() - timedelta(days=day), "Pengingat"))
        for item in await store.outbox.due(utcnow()):
            await store.outbox.mark_sent(item.id)
        pacer = Pacer()
        assert await recall_last_minute(pacer, OpsFigures(store.db), provincial=GROUP, clock=utcnow) == 3
    finally:
        await store.close()
    queue = pacer._queue
    for _ in range(18):
        queue.push(GROUP, 1, Priority.CARD)
    granted, next_at = queue.release(time.monotonic())
    assert len(granted) == 17 and next_at is not None  # 20 a minute, three of them already spent
