"""Triage with a WhatsApp reporter: the supervisors' "Minta info" reaches WhatsApp, the answer comes back.

Inside the 24-hour window the question is a normal message with the Jawab button; after it, the
template, and a reply to the template is the answer just the same.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from storage.db import utcnow
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import is_card, shown
from tests.triage.helpers import Supervisors
from tests.whatsapp.fake_graph import FakeGraphApi, Sent
from tests.whatsapp.harness import GROUP, WhatsAppCitizen, running_whatsapp, wa_settings
from tests.whatsapp.test_whatsapp_report import fill_until_evidence

ALICE = 9101


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


async def file_report(citizen: WhatsAppCitizen) -> str:
    await fill_until_evidence(citizen)
    await citizen.send_image(make_jpeg(800, 600, seed=11), media_id="media-t1")
    await citizen.press("ev:done")
    await citizen.press("wit:none")
    await citizen.press("ct:skip")
    replies = await citizen.press("rv:send")
    return replies[-1].text.split("```")[1]


async def card_of(api: FakeBotApi, code: str) -> int:
    await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=10)
    for message in api.messages(GROUP):
        if message.get("from", {}).get("is_bot") and code in shown(message) and message.get("reply_markup"):
            return int(message["message_id"])
    raise AssertionError(f"no card for {code}")


async def press(api: FakeBotApi, group: Supervisors, message_id: int, label: str) -> None:
    # The card's buttons change by an outbox edit after the previous move: wait for the one to press.
    for _ in range(200):
        if label in group.buttons(message_id):
            break
        await asyncio.sleep(0.05)
    mark = len(api.calls)
    group.press(ALICE, message_id, group.buttons(message_id)[label])
    await api.wait_for(lambda c: c.method == "answerCallbackQuery", since=mark)


async def ask(api: FakeBotApi, group: Supervisors, card: int, question: str) -> None:
    """A supervisor's "Minta info": the button, then the question as a reply to the card."""
    await press(api, group, card, "❓ Minta info")
    await api.wait_for(
        lambda c: (
            c.method == "sendMessage" and c.chat_id == GROUP and "force_reply" in str(c.params.get("reply_markup"))
        )
    )
    mark = len(api.calls)
    group.reply(ALICE, card, question)
    await api.wait_for(lambda c: c.chat_id == GROUP and "Pertanyaan dikirim" in text_of(c), since=mark)


async def notice_with(graph: FakeGraphApi, wa_id: str, text: str, timeout: float = 10.0) -> Sent:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for sent in reversed(graph.to(wa_id)):
            if text in sent.text:
                return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {text!r}: {[s.text for s in graph.to(wa_id)]}")


async def test_a_question_reaches_the_whatsapp_reporter_and_the_answer_the_group(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    now = [utcnow()]
    settings = wa_settings(api, graph, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice", "administrator")
    async with running_whatsapp(settings, telegram=True, clock=lambda: now[0]) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234511111", clock=lambda: now[0].timestamp())
        code = await file_report(citizen)
        card = await card_of(api, code)
        await press(api, group, card, "🙋 Ambil")
        claimed = await notice_with(graph, citizen.wa_id, "sedang diperiksa tim pengawas")
        assert code in claimed.text and "Alice" not in claimed.text

        # Inside the window: a normal message with the Jawab button; the reporter presses it and answers.
        await ask(api, group, card, "Siapa saja yang hadir? <mohon> sebutkan")
        question = await notice_with(graph, citizen.wa_id, "Siapa saja yang hadir? <mohon>")
        assert question.type == "interactive" and "✍️ Jawab" in question.choices().values()
        assert "Alice" not in question.text and "9101" not in question.text
        mark = len(api.calls)
        answer_data = next(k for k, v in question.choices().items() if v == "✍️ Jawab")
        await citizen.press(answer_data)
        await citizen.say("Hadir kepala dinas dan dua camat.")
        posted = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and "Hadir kepala dinas" in text_of(c),
            since=mark,
            timeout=10,
        )
        assert posted.params["reply_parameters"]["message_id"] == card
        assert citizen.wa_id not in text_of(posted) and "1234511111" not in text_of(posted)

        # A day later the window has closed: the next question goes as the template, and a reply to it
        # (WhatsApp's reply context names the template's message) is the answer.
        now[0] += timedelta(hours=25)
        await ask(api, group, card, "Jam berapa acaranya?")
        template = await notice_with(graph, citizen.wa_id, "Jam berapa acaranya?")
        assert template.type == "template" and template.text.startswith(f"{code} | ")
        mark = len(api.calls)
        await citizen.send(
            citizen.payload(
                "reply_with_context",
                text={"body": "Sekitar pukul sembilan pagi."},
                context={"from": "6281100000000", "id": template.message_id},
            )
        )
        posted = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and "pukul sembilan" in text_of(c),
            since=mark,
            timeout=10,
        )
        assert posted.params["reply_parameters"]["message_id"] == card
