"""The operators' view: /healthz and /metrics on the running bot's HTTP server, and the stale-card warning."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp

from bot.telegram.pacer import Pacer, paced
from bot.telegram.pacing import Budget, Priority
from bot.watch import GROUP_COSTS, PRIVATE_KINDS, StaleWatch, recall_last_minute
from bot.web.ops import REPORTERS, Destinations, OpsSources, chat_label, healthz, metrics
from handlers.common import owed
from handlers.triage.machine import Action
from handlers.triage.service import MoveResult, TriageService
from locales import tn
from storage.db import utcnow
from storage.models import Channel, ReportState
from storage.ops import OpsFigures
from storage.store import Store
from tests.fakes.bot_api import FakeBotApi, Limits, RetryAfter
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot
from tests.telegram.test_pacer import eventually
from tests.triage.helpers import ALICE, REGIONS, TZ, add_report, photo
from tests.triage.test_regional_groups import SEMARANG, SURAKARTA, write_routing

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
    assert samples(text, "lapor_outbox_pending") == {
        f'{{chat="{GROUP}",kind="forward_report"}}': 0.0,  # the group's cards: none waiting, and shown as 0
        f'{{chat="{GROUP}",kind="triage_group_post"}}': 1.0,
    }
    assert samples(text, "lapor_database_up") == {"": 1.0}
    assert str(citizen.user_id) not in text  # a private chat id is a person


async def test_metrics_values_two_groups_backlogs_a_quiet_group_a_429_and_the_hours_figures(
    api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    for chat in (SURAKARTA, SEMARANG):
        api.set_blocked(chat)  # what is owed to the two regional groups stays pending
    async with running_bot(settings) as app:
        store, triage = app.services.store, app.services.triage
        reports = [
            await add_report(store, address="5401", region="kab-klaten", now=utcnow()),
            await add_report(store, address="5402", region="kab-klaten", now=utcnow(), channel=Channel.WHATSAPP),
            await add_report(store, address="5403", region="kota-semarang", now=utcnow()),
        ]
        for report in reports:
            await store.outbox.enqueue(owed.forward_report(report.id))
        app.services.outbox.wake()
        await api.wait_for(lambda c: c.chat_id == SEMARANG, failed=True)
        claimed = await triage.move(reports[0].id, Action.CLAIM, ReportState.BARU, ALICE)
        assert claimed.result is MoveResult.DONE
        api.fail("sendMessage", 1, RetryAfter(1), chat_id=GROUP)
        await app.application.bot.send_message(GROUP, "pengumuman")  # answered 429 once, then sent
        async with aiohttp.ClientSession() as session, session.get(f"{app.http.url}/metrics") as response:
            text = await response.text()
    pending = samples(text, "lapor_outbox_pending")
    assert pending[f'{{chat="{SURAKARTA}",kind="forward_report"}}'] == 2.0
    assert pending[f'{{chat="{SEMARANG}",kind="forward_report"}}'] == 1.0
    assert pending[f'{{chat="{GROUP}",kind="forward_report"}}'] == 0.0  # a quiet group: a 0 series, not none
    oldest = samples(text, "lapor_outbox_oldest_waiting_seconds")
    assert oldest[f'{{chat="{SURAKARTA}"}}'] > 0 and oldest[f'{{chat="{SEMARANG}"}}'] > 0
    assert oldest[f'{{chat="{GROUP}"}}'] == 0.0
    assert samples(text, "lapor_telegram_429_total") == {
        f'{{chat="{GROUP}"}}': 1.0,
        f'{{chat="{SURAKARTA}"}}': 0.0,
        f'{{chat="{SEMARANG}"}}': 0.0,
        '{chat="reporters"}': 0.0,
    }
    assert samples(text, "lapor_pacer_waiting")[f'{{chat="{SEMARANG}"}}'] == 0.0
    # WhatsApp is off here, so it has no 0 series; its report (made in storage) still counts.
    assert samples(text, "lapor_reports_last_hour") == {'{channel="telegram"}': 2.0, '{channel="whatsapp"}': 1.0}
    assert samples(text, "lapor_triage_moves_last_hour") == {'{channel="telegram"}': 1.0}


async def test_the_hours_figures_count_each_channel_and_show_0_for_a_quiet_one(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        whatsapp = await add_report(store, address="6281", now=utcnow(), channel=Channel.WHATSAPP)
        for address in ("6282", "6283"):
            await add_report(store, address=address, now=utcnow(), channel=Channel.WHATSAPP)
        service = TriageService(store, REGIONS, "id", TZ)
        assert (await service.move(whatsapp.id, Action.CLAIM, ReportState.BARU, ALICE)).result is MoveResult.DONE
        channels = ("telegram", "whatsapp")
        sources = OpsSources(
            OpsFigures(store.db),
            Destinations(lambda r: GROUP, GROUP),
            lambda: 0,
            None,
            lambda: 1.0,
            utcnow,
            (GROUP,),
            channels,
        )
        text = (await metrics(sources)).text or ""
    finally:
        await store.close()
    assert samples(text, "lapor_reports_last_hour") == {'{channel="telegram"}': 0.0, '{channel="whatsapp"}': 3.0}
    assert samples(text, "lapor_triage_moves_last_hour") == {'{channel="telegram"}': 0.0, '{channel="whatsapp"}': 1.0}


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


def stale_watch(
    store: Store,
    clock: Callable[[], datetime],
    *,
    minutes: int = 10,
    group_name: Callable[[str], str] = str,
    wake: Callable[[], None] = lambda: None,
) -> StaleWatch:
    """The stale-card watch over one provincial group, as the composition root makes it."""
    return StaleWatch(
        OpsFigures(store.db),
        store.stale_episodes,
        minutes=minutes,
        destination=Destinations(lambda region: GROUP, GROUP),
        group_name=group_name,
        locale="id",
        clock=clock,
        wake=wake,
    )


async def test_a_group_whose_oldest_card_waits_too_long_is_announced_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    woken: list[int] = []
    try:
        for report_id in (41, 42):
            await store.outbox.enqueue(owed.forward_report(report_id))
        later = utcnow() + timedelta(minutes=11, seconds=5)
        watch = stale_watch(
            store, lambda: later, group_name=lambda chat: "Karesidenan <Surakarta>", wake=lambda: woken.append(1)
        )
        assert await watch.check() == 1
        assert await watch.check() == 1  # still late: the same episode, nothing owed again
        early = stale_watch(store, lambda: later, minutes=30, wake=lambda: woken.append(1))
        assert await early.check() == 0
        rows = await store.db.fetchall("SELECT kind, payload FROM outbox WHERE dedupe_key GLOB 'stale:*'")
    finally:
        await store.close()
    assert len(rows) == 1 and rows[0]["kind"] == owed.OPS_WARNING
    expected = tn("id", "ops.stale_cards", 2, group="Karesidenan &lt;Surakarta&gt;", minutes=11, count=2)
    assert json.loads(rows[0]["payload"]) == {"text": expected}
    assert woken == [1]  # once: the second look owed nothing new, so the outbox had nothing to wake for


async def test_a_stuck_group_is_warned_once_per_episode_however_many_of_its_cards_leave(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    clock = [utcnow() + timedelta(minutes=11)]
    try:
        for report_id in (41, 42, 43):
            await store.outbox.enqueue(owed.forward_report(report_id))
        watch = stale_watch(store, lambda: clock[0])
        assert await watch.check() == 1
        # The saturated group delivers its oldest cards one by one: the oldest id changes, the episode does not.
        for item in (await store.outbox.due(utcnow()))[:2]:
            await store.outbox.mark_sent(item.id)
            clock[0] += timedelta(seconds=30)
            assert await watch.check() == 1
        warned = await store.db.fetchall("SELECT dedupe_key FROM outbox WHERE kind = ?", (owed.OPS_WARNING,))
        assert len(warned) == 1
        # The backlog clears: the episode ends; a group late again later is a new episode, announced again.
        for item in await store.outbox.due(utcnow()):
            if item.kind == owed.FORWARD_REPORT:
                await store.outbox.mark_sent(item.id)
        assert await watch.check() == 0
        await store.outbox.enqueue(owed.forward_report(44))
        clock[0] = utcnow() + timedelta(minutes=12)
        assert await watch.check() == 1
        warned = await store.db.fetchall("SELECT dedupe_key FROM outbox WHERE kind = ?", (owed.OPS_WARNING,))
    finally:
        await store.close()
    assert len(warned) == 2


async def test_a_restart_in_the_middle_of_a_stale_episode_does_not_announce_it_again(tmp_path: Path) -> None:
    async def warnings(store: Store) -> int:
        return len(await store.db.fetchall("SELECT 1 FROM outbox WHERE kind = ?", (owed.OPS_WARNING,)))

    database, evidence = tmp_path / "db.sqlite3", tmp_path / "evidence"
    late = utcnow() + timedelta(minutes=11)
    store = await Store.open(database, evidence)
    try:
        for report_id in (41, 42):
            await store.outbox.enqueue(owed.forward_report(report_id))
        assert await stale_watch(store, lambda: late).check() == 1
        assert await warnings(store) == 1
    finally:
        await store.close()
    # The bot restarts with the group still late: the same episode, nothing announced a second time.
    store = await Store.open(database, evidence)
    try:
        assert await stale_watch(store, lambda: late + timedelta(minutes=2)).check() == 1
        assert await warnings(store) == 1
        # The backlog clears and the episode ends; the end is remembered across the next restart too.
        for item in await store.outbox.due(utcnow()):
            if item.kind == owed.FORWARD_REPORT:
                await store.outbox.mark_sent(item.id)
        assert await stale_watch(store, lambda: late + timedelta(minutes=3)).check() == 0
        assert await store.stale_episodes.open() == set()
    finally:
        await store.close()
    store = await Store.open(database, evidence)
    try:
        await store.outbox.enqueue(owed.forward_report(43))
        assert await stale_watch(store, lambda: utcnow() + timedelta(minutes=12)).check() == 1
        assert await warnings(store) == 2  # a new episode after the restart is announced
    finally:
        await store.close()


async def test_the_stale_warning_goes_ahead_of_the_cards_waiting_in_a_saturated_group(
    api: FakeBotApi, tmp_path: Path
) -> None:
    api.flood.limits = Limits(group_per_minute=2, group_window=4.0)
    async with running_bot(make_settings(api, tmp_path), budget=Budget(group_per_minute=2, group_window=4.0)) as app:
        store, bot = app.services.store, app.application.bot
        with paced(Priority.BULK):  # the group's budget is spent for the window
            for n in range(2):
                await bot.send_message(GROUP, f"pengumuman {n}")
        mark = len(api.calls)
        reports = [await add_report(store, address=f"52{n}", now=utcnow()) for n in range(3)]
        for report in reports:
            await store.outbox.enqueue(owed.forward_report(report.id))
        app.services.outbox.wake()
        await eventually(lambda: app.pacer is not None and app.pacer.waiting().get(GROUP, 0) == 3)
        await store.outbox.enqueue(owed.stale_warning(str(GROUP), utcnow(), "Kartu menunggu"))
        app.services.outbox.wake()
        await api.wait_for(lambda c: c.chat_id == GROUP and c.params.get("text") == "Kartu menunggu", 15, since=mark)
    first = next(c for c in api.calls[mark:] if c.chat_id == GROUP)
    assert first.params.get("text") == "Kartu menunggu"  # before any of the three cards owed before it


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


async def test_a_restarted_pacer_recalls_photos_posted_on_demand_and_moved_cards(tmp_path: Path) -> None:
    solo, semarang = -1002000000001, -1002000000002
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        report = await add_report(store, photos=(photo("a" * 64), photo("b" * 64), photo("c" * 64)), now=utcnow())
        await store.outbox.enqueue(owed.evidence_album(report.id, solo, 7))  # two photos: the card shows one
        await store.outbox.enqueue(owed.card_moved(report.id, 1, semarang, 8, "caption"))
        for item in await store.outbox.due(utcnow()):
            await store.outbox.mark_sent(item.id)
        pacer = Pacer(Budget(group_per_minute=3))
        assert await recall_last_minute(pacer, OpsFigures(store.db), provincial=GROUP, clock=utcnow) == 3
    finally:
        await store.close()
    queue = pacer._queue
    for chat in (solo, semarang):
        for _ in range(3):
            queue.push(chat, 1, Priority.CARD)
    granted, _ = queue.release(time.monotonic())
    assert [t.chat for t in granted].count(solo) == 1  # 3 a minute, the album's two already spent
    assert [t.chat for t in granted].count(semarang) == 2  # the moved card's edit, in its old group


def test_every_outbox_kind_is_either_counted_for_its_group_or_private() -> None:
    assert set(GROUP_COSTS) | PRIVATE_KINDS == owed.KINDS and not set(GROUP_COSTS) & PRIVATE_KINDS
