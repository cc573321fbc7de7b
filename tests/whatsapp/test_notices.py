"""Notices to WhatsApp reporters through the outbox: free-form inside the 24-hour window, a template after."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.whatsapp.channel import WhatsAppChannel
from handlers.common import owed
from handlers.common.events import Event, Reply, Text
from locales import t
from storage.models import Channel, Reporter
from tests.fakes.bot_api import FakeBotApi
from tests.whatsapp.fake_graph import FakeGraphApi, Sent
from tests.whatsapp.harness import WhatsAppCitizen, fixture, post_signed, running_whatsapp, wa_settings

T0 = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Setup:
    channel: WhatsAppChannel
    citizen: WhatsAppCitizen
    reporter: Reporter
    graph: FakeGraphApi
    now: list[datetime]
    answers: list[tuple[Event, str | None]]

    def at(self, moment: datetime) -> None:
        self.now[0] = moment

    async def notify(self, event_id: int, *, code: str = "LN-ABC234") -> list[Sent]:
        """Owe the reporter a notice (with a button) and let the outbox deliver it."""
        services = self.channel.services
        await services.store.outbox.enqueue(
            owed.notice(
                event_id,
                self.reporter.id,
                "report.submitted",
                {"code": code},
                buttons=(("report.another", "go:start"),),
            )
        )
        mark = len(self.graph.to(self.citizen.wa_id))
        await services.outbox.deliver_due()
        return self.graph.to(self.citizen.wa_id)[mark:]

    def outbox(self) -> list[tuple[str, str, int]]:
        path = self.channel.services.settings.database_path
        with sqlite3.connect(path) as db:
            rows = db.execute(
                "SELECT dedupe_key, state, attempts FROM outbox WHERE kind = 'notify_reporter' ORDER BY id"
            ).fetchall()
        return [(str(k), str(s), int(a)) for k, s, a in rows]


@pytest.fixture
async def setup(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> AsyncIterator[Setup]:
    now = [T0]
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings, clock=lambda: now[0]) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234500001", clock=lambda: now[0].timestamp())
        answers: list[tuple[Event, str | None]] = []

        async def router(reporter: Reporter, locale: str, event: Event, reply_to: str | None) -> list[Reply] | None:
            # Stands in for triage's answer router: a reply to a notice is claimed before the conversation.
            if reply_to is None or not isinstance(event, Text):
                return None
            answers.append((event, reply_to))
            return [Reply("ok")]

        channel.services.intake.add_router(router)
        await citizen.say("Halo")  # the reporter's last message: the window opens at T0
        reporter = await channel.services.store.reporters.get_or_create(Channel.WHATSAPP, "+6281234500001")
        yield Setup(channel, citizen, reporter, graph, now, answers)


async def test_inside_the_window_a_notice_is_a_normal_message_with_its_buttons(setup: Setup) -> None:
    setup.at(T0 + timedelta(hours=23))
    [sent] = await setup.notify(1)
    assert sent.type == "interactive" and sent.choices() == {"go:start": t("id", "report.another")}
    assert "```LN-ABC234```" in sent.text
    assert await setup.channel.records.notice(sent.message_id) is not None
    assert setup.outbox() == [("notice:1", "sent", 0)]


async def test_outside_the_window_the_template_carries_code_and_text(setup: Setup) -> None:
    setup.at(T0 + timedelta(hours=24, minutes=1))
    [sent] = await setup.notify(1)
    template = sent.body["template"]
    assert sent.type == "template" and template["name"] == "lapor_netral_notice"
    assert template["language"] == {"code": "id"}
    [body] = template["components"]
    code, text = (p["text"] for p in body["parameters"])
    assert code == "LN-ABC234" and text.startswith("✅ *Terima kasih atas laporan Anda.*")
    assert "\n" not in text
    # The reporter answers the template: their reply is recognised as an answer to that message.
    await setup.citizen.send(
        setup.citizen.payload(
            "reply_with_context",
            text={"body": "Kantornya di Jl. Pemuda"},
            context={"from": "6281100000000", "id": sent.message_id},
        )
    )
    assert setup.answers == [(Text("Kantornya di Jl. Pemuda"), sent.message_id)]


async def test_the_safety_margin_and_an_english_reporter(setup: Setup) -> None:
    await setup.channel.services.store.reporters.set_locale(setup.reporter.id, "en")
    setup.at(T0 + timedelta(hours=23, minutes=55))  # inside 24 hours, but too close to its end
    [sent] = await setup.notify(1)
    assert sent.type == "template" and sent.body["template"]["language"] == {"code": "en_US"}
    assert sent.text.startswith("LN-ABC234 | ✅ *Thank you for your report.*")


async def test_writing_again_reopens_the_window(setup: Setup) -> None:
    setup.at(T0 + timedelta(hours=30))
    await setup.citizen.say("/status")
    setup.at(T0 + timedelta(hours=31))
    [sent] = await setup.notify(1)
    assert sent.type == "interactive"


async def test_a_refusal_at_once_falls_back_to_the_template(setup: Setup) -> None:
    setup.at(T0 + timedelta(hours=2))
    setup.graph.fail_next("interactive", 131047)
    [sent] = await setup.notify(1)
    assert sent.type == "template"
    # WhatsApp knows best: until the reporter writes again, notices go as templates.
    [again] = await setup.notify(2, code="LN-DEF567")
    assert again.type == "template" and again.text.startswith("LN-DEF567")


async def test_a_late_refusal_in_a_status_callback_sends_the_notice_again_as_template(setup: Setup) -> None:
    setup.at(T0 + timedelta(hours=2))
    [sent] = await setup.notify(1)
    assert sent.type == "interactive"
    failed = fixture("status_failed")
    status = failed["entry"][0]["changes"][0]["value"]["statuses"][0]
    status.update(
        {
            "id": sent.message_id,
            "recipient_id": setup.citizen.wa_id,
            "timestamp": str(int((T0 + timedelta(hours=2)).timestamp())),
        }
    )
    status["errors"][0].update({"code": 131047, "title": "Re-engagement message"})
    assert (await post_signed(setup.channel.port, failed))[0] == 200
    await setup.channel.webhook.tasks.drain(5)
    mark = len(setup.graph.to(setup.citizen.wa_id))
    await setup.channel.services.outbox.deliver_due()
    [resent] = setup.graph.to(setup.citizen.wa_id)[mark:]
    assert resent.type == "template" and resent.text.startswith("LN-ABC234")
    assert [state for _, state, _ in setup.outbox()] == ["sent", "sent"]


async def test_whatsapp_errors_become_retry_decisions(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.at(T0 + timedelta(hours=2))
    setup.graph.fail_next("*", 130429, status=429)  # throughput reached: later
    assert await setup.notify(1) == []
    setup.at(T0 + timedelta(days=3))
    setup.graph.fail_next("template", 132001)  # the template is not registered: an operator must act
    assert await setup.notify(2) == []
    setup.graph.fail_next("template", 131026)  # not a WhatsApp user any more: give up
    assert await setup.notify(3) == []
    assert setup.outbox() == [("notice:1", "pending", 1), ("notice:2", "pending", 1), ("notice:3", "dead", 1)]
    assert any("refused template" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
