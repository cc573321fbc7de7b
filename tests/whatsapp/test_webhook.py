"""The webhook: verification challenge, signatures, malformed and replayed posts, statuses, unsupported types."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from tests.fakes.bot_api import FakeBotApi
from tests.whatsapp.fake_graph import FakeGraphApi
from tests.whatsapp.harness import (
    VERIFY_TOKEN,
    WhatsAppCitizen,
    fixture,
    post,
    post_signed,
    running_whatsapp,
    sign,
    wa_settings,
)


def counts(settings: Settings) -> tuple[int, int, int]:
    with sqlite3.connect(settings.database_path) as db:
        reporters = db.execute("SELECT COUNT(*) FROM reporters").fetchone()[0]
        processed = db.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0]
        statuses = db.execute("SELECT COUNT(*) FROM whatsapp_statuses").fetchone()[0]
    return reporters, processed, statuses


async def test_the_verification_challenge(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{channel.port}/whatsapp"
        query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
        async with session.get(url, params={**query, "hub.verify_token": VERIFY_TOKEN}) as response:
            assert (response.status, await response.text()) == (200, "1158201444")
        async with session.get(url, params={**query, "hub.verify_token": "guess"}) as response:
            assert response.status == 403
        async with session.get(url, params={"hub.verify_token": VERIFY_TOKEN}) as response:
            assert response.status == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),  # unsigned
        ({"X-Hub-Signature-256": sign(b"something else")}, 403),  # a signature of another body
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 403),
        ({"X-Hub-Signature-256": "sha1=abc"}, 403),
        ({"X-Hub-Signature-256": "sha256=ä" + "0" * 63}, 403),  # not even ASCII
    ],
)
async def test_unsigned_or_wrongly_signed_posts_are_refused_and_nothing_happens(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
    headers: dict[str, str],
    status: int,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port)
        body = json.dumps(citizen.payload("text_message", text={"body": "/lapor"})).encode()
        assert (await post(channel.port, body, headers))[0] == status
        # A body signed with another app's secret is refused too.
        assert (await post(channel.port, body, {"X-Hub-Signature-256": sign(body, "x" * 32)}))[0] == 403
    assert graph.sent == [] and counts(settings) == (0, 0, 0)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"object": "whatsapp_business_account"}', b"\xff\xfe"])
async def test_signed_but_malformed_posts_are_refused(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
    body: bytes,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        assert (await post(channel.port, body, {"X-Hub-Signature-256": sign(body)}))[0] == 400
    assert graph.sent == [] and counts(settings) == (0, 0, 0)


async def test_a_replayed_message_is_handled_once_even_after_a_restart(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port)
        await citizen.say("/start")
        payload = citizen.payload("text_message", text={"body": "/lapor"})
        first = await citizen.send(payload)
        assert "1/8" in first[-1].text
        again = len(graph.sent)
        assert (await post_signed(channel.port, payload))[0] == 200  # the very same body
        await graph.settle(citizen.wa_id, len(graph.to(citizen.wa_id)), quiet=0.3, timeout=0.5)
        assert len(graph.sent) == again
    # After a restart pywa's in-memory duplicate check is empty: the wamid recorded with the draft decides.
    async with running_whatsapp(settings) as channel:
        reshaped = json.dumps(payload, indent=1).encode()  # another body, the same message
        assert (await post(channel.port, reshaped, {"X-Hub-Signature-256": sign(reshaped)}))[0] == 200
        await graph.settle(citizen.wa_id, len(graph.to(citizen.wa_id)), quiet=0.3, timeout=0.5)
        assert len(graph.sent) == again


async def test_status_callbacks_are_recorded_and_not_answered(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port)
        replies = await citizen.say("/bantuan")
        reporters_before = counts(settings)[0]
        message_id = replies[0].message_id
        for name in ("status_sent", "status_delivered", "status_read", "status_delivered", "status_failed"):
            payload = fixture(name)
            status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
            status.update({"id": message_id, "recipient_id": citizen.wa_id})
            assert (await post_signed(channel.port, payload))[0] == 200
        await channel.webhook.tasks.drain(5)
        recorded = await channel.records.statuses(message_id)
    # One row per status reached (the repeated "delivered" once), the failure with its error code.
    assert sorted(recorded, key=str) == sorted(
        [("sent", None), ("delivered", None), ("read", None), ("failed", 130472)], key=str
    )
    assert len(graph.sent) == len(replies)  # nothing answered
    assert counts(settings)[0] == reporters_before  # and nobody new


async def test_a_batch_of_messages_from_two_people_is_split(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        ani = WhatsAppCitizen(graph, channel.port, wa_id="6281111111111")
        budi = WhatsAppCitizen(graph, channel.port, wa_id="6282222222222")
        batch = ani.payload("text_message", text={"body": "/bantuan"})
        other = budi.payload("text_message", text={"body": "/bantuan"})["entry"][0]["changes"][0]["value"]
        value = batch["entry"][0]["changes"][0]["value"]
        value["contacts"] += other["contacts"]
        value["messages"] += other["messages"]
        assert (await post_signed(channel.port, batch))[0] == 200
        await graph.wait_for(1, ani.wa_id)
        await graph.wait_for(1, budi.wa_id)
    assert "Bantuan" in graph.to(ani.wa_id)[0].text and "Bantuan" in graph.to(budi.wa_id)[0].text


async def test_too_much_waiting_work_asks_meta_to_come_back(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        channel.webhook.tasks._limit = 0
        citizen = WhatsAppCitizen(graph, channel.port)
        assert (await post_signed(channel.port, citizen.payload("text_message")))[0] == 503
    assert graph.sent == []


@pytest.mark.parametrize(
    ("name", "fields", "expected"),
    [
        ("sticker_message", {}, "Stiker tidak dapat kami proses"),
        ("reaction_message", {}, "Reaksi tidak dapat kami proses"),
        ("voice_message", {}, "Pesan suara tidak dapat kami proses"),
        ("video_message", {}, "Video belum dapat diterima"),
        ("unsupported_message", {}, "Jenis pesan itu tidak dapat kami proses"),
        ("document_message", {}, "Berkas itu bukan gambar"),  # the fixture's PDF
    ],
)
async def test_unsupported_messages_get_the_polite_explanation(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
    name: str,
    fields: dict[str, object],
    expected: str,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port)
        await citizen.say("/lapor")
        replies = await citizen.send(citizen.payload(name, **fields))
    assert expected in replies[0].text
    assert "1/8" in replies[-1].text  # and the question again


async def test_a_reaction_taken_back_is_not_answered(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port)
        await citizen.say("/lapor")
        before = len(graph.sent)
        payload = citizen.payload("reaction_message", reaction={"message_id": "wamid.x", "emoji": ""})
        assert (await post_signed(channel.port, payload))[0] == 200
        await channel.webhook.tasks.drain(5)
    assert len(graph.sent) == before


async def test_logs_carry_no_phone_number(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    caplog.set_level(logging.INFO)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281298765432")
        await citizen.say("Halo")
        await citizen.say("/lapor")
        await citizen.send(citizen.payload("sticker_message"))
        await post(channel.port, b"{}", {})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and "98765432" not in logged


@pytest.mark.parametrize("shape", ["with user_id", "older, without user_id"])
async def test_both_contact_shapes_are_answered_and_identified_by_wa_id(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    shape: str,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    caplog.set_level(logging.WARNING)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234567042")
        payload = citizen.payload("text_message", text={"body": "/lapor"})
        contact = payload["entry"][0]["changes"][0]["value"]["contacts"][0]
        if shape != "with user_id":
            del contact["user_id"], contact["parent_user_id"]
        replies = await citizen.send(payload)
    assert replies and "1/8" in replies[-1].text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT address FROM reporters").fetchall() == [("+6281234567042",)]
