"""The Mini App's API against the real bot (fake Bot API, real SQLite, real images): sessions, refusals,
scoping, and moves that edit the group's card and tell the reporter, exactly as the card's buttons do."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp

from bot.app import App
from handlers.summary.figures import referral_lines
from storage.models import Report, ReportState
from tests.fakes.bot_api import FakeBotApi
from tests.miniapp.conftest import ALICE, BOB, OLGA, STRANGER, SURAKARTA
from tests.miniapp.helpers import body_of, card_of, seed_report, signed_init_data, site_url
from tests.telegram.harness import GROUP, make_settings, running_bot, text_of
from tests.triage.helpers import Supervisors


async def card_shows(api: FakeBotApi, message_id: int, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        current = body_of(api.message(GROUP, message_id))
        if text in current:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"the card never showed {text!r}: {current}")
        await asyncio.sleep(0.05)


class Client:
    """One person's browser: a session from signed initData, then the API with its bearer token."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.token = ""

    async def sign_in(self, init_data: str) -> aiohttp.ClientResponse:
        response = await self.http.post(self.base + "api/session", json={"initData": init_data})
        if response.status == 200:
            self.token = (await response.json())["token"]
        return response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        return await self.http.get(
            self.base + path, headers={"Authorization": f"Bearer {self.token}", **(headers or {})}
        )

    async def post(self, path: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.http.post(self.base + path, json=body, headers={"Authorization": f"Bearer {self.token}"})


async def test_sign_in_sessions_and_refusals(api: FakeBotApi, bot: App) -> None:
    async with (
        nullcontext(site_url(bot)) as base,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        bare = await http.get(base.rstrip("/"), allow_redirects=False)
        assert bare.status == 308 and bare.headers["Location"] == "/app/"
        shell = await http.get(base)
        assert shell.status == 200 and "static/app.js" in await shell.text()
        csp = shell.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors" in csp
        assert "unsafe-inline" not in csp

        anonymous = await http.get(base + "api/queue")
        assert anonymous.status == 401 and "Sesi berakhir" in (await anonymous.json())["message"]

        alice = Client(http, base)
        signed = await alice.sign_in(signed_init_data(ALICE, "Alice"))
        assert signed.status == 200
        cookie = signed.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/app" in cookie
        assert (await alice.get("api/queue")).status == 200
        # The cookie alone is a session too (Telegram's own webviews), a forged bearer is not.
        assert (await http.get(base + "api/me")).status == 200
        forged = await http.get(base + "api/me", headers={"Authorization": "Bearer " + alice.token[:-2] + "xx"})
        assert forged.status == 401

        stranger = Client(aiohttp.ClientSession(), base)
        async with stranger.http:
            refused = await stranger.sign_in(signed_init_data(STRANGER, "Orang", language="en"))
            assert refused.status == 403 and "not a member" in (await refused.json())["message"]
            tampered = signed_init_data(STRANGER, "Orang").replace("9666", "9101")
            assert (await stranger.sign_in(tampered)).status == 401
            stale = await stranger.sign_in(signed_init_data(ALICE, "Alice", auth_date=int(time.time()) - 7200))
            assert stale.status == 401 and "sudah lama" in (await stale.json())["message"]
            assert (await stranger.http.post(base + "api/session", data=b"not json")).status == 400
            # Each sign-in asks Telegram about every group: a stranger trying again and again is slowed down.
            statuses = [(await stranger.sign_in(signed_init_data(STRANGER, "Orang"))).status for _ in range(5)]
            assert statuses[:3] == [403, 403, 403] and statuses[-1] == 429
            slowed = await stranger.sign_in(signed_init_data(STRANGER, "Orang"))
            assert slowed.status == 429 and "Terlalu sering" in (await slowed.json())["message"]

        # A form from elsewhere cannot move anything: moves take JSON only.
        form = await http.post(
            base + "api/bulk", data={"action": "claim"}, headers={"Authorization": "Bearer " + alice.token}
        )
        assert form.status == 415

        # Leaving the group ends access at the next request (the chat_member update clears the cache).
        api.push_update(api.member_change(GROUP, ALICE, "left"))
        deadline = time.monotonic() + 5
        while (await alice.get("api/me")).status != 403:
            assert time.monotonic() < deadline, "a member who left kept access"
            await asyncio.sleep(0.05)


async def test_a_hash_that_is_not_hex_is_refused_not_a_server_error(api: FakeBotApi, bot: App) -> None:
    """compare_digest raises TypeError on a non-ASCII str: such a hash once answered 500."""
    good = dict(parse_qsl(signed_init_data(ALICE, "Alice")))
    async with aiohttp.ClientSession() as http:
        client = Client(http, site_url(bot))
        for bad in ("é" * 64, good["hash"][:-1] + "é", good["hash"].upper(), good["hash"] + "00"):
            refused = await client.sign_in(urlencode({**good, "hash": bad}))
            assert refused.status == 401, bad
            assert "Telegram" in (await refused.json())["message"]
        assert (await client.sign_in(urlencode(good))).status == 200


async def test_the_office_sees_the_dashboard_read_only(api: FakeBotApi, bot: App) -> None:
    report = await seed_report(bot, address="5001", subject="Budi Santoso")
    await card_of(api, report.code)
    async with nullcontext(site_url(bot)) as base, aiohttp.ClientSession() as http:
        olga = Client(http, base)
        assert (await olga.sign_in(signed_init_data(OLGA, "Olga"))).status == 200
        me = await (await olga.get("api/me")).json()
        assert me["triage"] is False and me["dashboard"] is True and me["regions"] == []
        for path in ("api/queue", f"api/reports/{report.id}", f"api/reports/{report.id}/photos/1"):
            assert (await olga.get(path)).status == 403, path
        claim = await olga.post(f"api/reports/{report.id}/move", {"action": "claim", "expected": "b"})
        assert claim.status == 403
        figures = await (await olga.get("api/dashboard")).json()
        assert figures["new_reports"] == 1 and len(figures["trend"]) == 8 and figures["trend"][-1]["count"] == 1
        assert {"state": "baru", "label": "Baru", "count": 1} in figures["states"]
        svg = await (await olga.get("api/map.svg")).text()
        assert svg.count('class="tile"') == 35
        assert 'data-region="kab-klaten" data-count="1"' in svg and 'data-region="kab-brebes" data-count="0"' in svg
    assert (await bot.services.store.reports.get(report.id)).state is ReportState.BARU  # type: ignore[union-attr]


async def test_a_move_is_the_cards_move(api: FakeBotApi, bot: App) -> None:
    first = await seed_report(bot, address="5001", subject="Budi Santoso", days_ago=5, photo_seed=1)
    second = await seed_report(bot, address="5002", subject="Sri Lestari", days_ago=1, photo_seed=2)
    card = await card_of(api, first.code)
    await card_of(api, second.code)
    async with nullcontext(site_url(bot)) as base, aiohttp.ClientSession() as http:
        alice = Client(http, base)
        assert (await alice.sign_in(signed_init_data(ALICE, "Alice Pengawas"))).status == 200
        queue = await (await alice.get("api/queue")).json()
        assert [i["code"] for i in queue["items"]] == [first.code, second.code]  # nearest deadline first
        found = await (await alice.get("api/queue?q=nama:lestari")).json()
        assert [i["code"] for i in found["items"]] == [second.code]
        bad = await alice.get("api/queue?q=wilayah:atlantis")
        assert bad.status == 422 and "atlantis" in (await bad.json())["message"]

        page = await (await alice.get(f"api/reports/{first.id}")).json()
        assert page["code"] == first.code and [m["action"] for m in page["moves"]] == ["claim", "reject"]
        assert "Pelapor " in page["card_html"] and "5001" not in page["card_html"]
        preview = await alice.get(f"api/reports/{first.id}/photos/1")
        evidence = await bot.services.store.reports.evidence(first.id)
        assert evidence[0].photo is not None
        assert await preview.read() == await bot.services.store.files.get_derived(evidence[0].photo.sha256, "preview")
        assert (await alice.get(f"api/reports/{first.id}/photos/2")).status == 404

        mark = len(api.calls)
        moved = await alice.post(f"api/reports/{first.id}/move", {"action": "claim", "expected": "b"})
        assert moved.status == 200 and first.code in (await moved.json())["message"]
        await card_shows(api, card, "Alice Pengawas")
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 5001 and "sedang diperiksa" in text_of(c),
            timeout=10,
            since=mark,
        )
        again = await alice.post(f"api/reports/{first.id}/move", {"action": "claim", "expected": "b"})
        assert again.status == 409 and "pengawas lain" in (await again.json())["message"]
        illegal = await alice.post(f"api/reports/{first.id}/move", {"action": "close", "expected": "p"})
        assert illegal.status == 409
        empty = await alice.post(
            f"api/reports/{first.id}/move", {"action": "request_info", "expected": "p", "text": " "}
        )
        assert empty.status == 409
        asked = await alice.post(
            f"api/reports/{first.id}/move", {"action": "request_info", "expected": "p", "text": "Di mana tepatnya?"}
        )
        assert asked.status == 200
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 5001 and "Di mana tepatnya?" in text_of(c), timeout=10
        )

        # A bulk reject as a duplicate: each report its own audited move, the original's code kept.
        bulk = await alice.post(
            "api/bulk",
            {"action": "duplicate", "duplicate_of": first.code.lower(), "items": [{"id": second.id, "expected": "b"}]},
        )
        result = await bulk.json()
        assert bulk.status == 200 and result["done"] == 1, result
        rejected = await bot.services.store.reports.get(second.id)
        assert rejected is not None and rejected.state is ReportState.DITOLAK
        events = await bot.services.store.reports.events(second.id)
        assert events[-1].detail == "reason:duplicate" and events[-1].note == first.code
        assert events[-1].actor == f"supervisor:{ALICE}" and events[-1].actor_name == "Alice Pengawas"
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 5002 and "Alasan" in text_of(c), timeout=10
        )
        self_dup = await alice.post(
            "api/bulk",
            {"action": "duplicate", "duplicate_of": first.code, "items": [{"id": first.id, "expected": "i"}]},
        )
        assert (await self_dup.json())["results"][0]["result"] == "invalid"
        unknown = await alice.post(
            "api/bulk",
            {"action": "duplicate", "duplicate_of": "LN-ZZZZZZ", "items": [{"id": first.id, "expected": "i"}]},
        )
        assert unknown.status == 400


async def verified(client: Client, *reports: Report) -> None:
    for report in reports:
        for action, expected in (("claim", "b"), ("verify", "p")):
            moved = await client.post(f"api/reports/{report.id}/move", {"action": action, "expected": expected})
            assert moved.status == 200, await moved.text()


async def test_forward_from_the_mini_app_sends_the_packet_and_tells_each_reporter(api: FakeBotApi, bot: App) -> None:
    """Teruskan from the Mini App is the card's Teruskan: the state, the PDF packet under the group's card,
    the reporter's notice, the audit event; and the dashboard counts the hand-offs as the summary does."""
    reports = [
        await seed_report(bot, address=str(5001 + n), subject=name, photo_seed=n + 1)
        for n, name in enumerate(("Budi Santoso", "Sri Lestari", "Agus Salim"))
    ]
    cards = {r.code: await card_of(api, r.code) for r in reports}
    first, second, third = reports
    async with aiohttp.ClientSession() as http:
        alice = Client(http, site_url(bot))
        assert (await alice.sign_in(signed_init_data(ALICE, "Alice Pengawas"))).status == 200
        await verified(alice, *reports)
        early = await alice.post("api/bulk", {"action": "forward", "target": "bawaslu", "items": []})
        assert early.status == 400
        no_target = await alice.post("api/bulk", {"action": "forward", "items": [{"id": first.id, "expected": "v"}]})
        assert no_target.status == 400

        mark = len(api.calls)
        bulk = await alice.post(
            "api/bulk",
            {
                "action": "forward",
                "target": "bawaslu",
                "items": [{"id": first.id, "expected": "v"}, {"id": second.id, "expected": "v"}],
            },
        )
        result = await bulk.json()
        assert bulk.status == 200 and result["done"] == 2, result
        assert {r["id"]: r["result"] for r in result["results"]} == {first.id: "done", second.id: "done"}
        for report, address in ((first, 5001), (second, 5002)):
            stored = await bot.services.store.reports.get(report.id)
            assert stored is not None and stored.state is ReportState.DITERUSKAN
            events = await bot.services.store.reports.events(report.id)
            forwarded = events[-1]
            assert (forwarded.action, forwarded.detail) == ("forward", "target:bawaslu"), forwarded
            assert forwarded.actor == f"supervisor:{ALICE}" and forwarded.actor_name == "Alice Pengawas"
            assert (forwarded.from_state, forwarded.to_state) == (ReportState.TERVERIFIKASI, ReportState.DITERUSKAN)
            packet = await api.wait_for(
                lambda c, code=report.code: (
                    c.method == "sendDocument" and c.chat_id == GROUP and code in str(c.params.get("caption"))
                ),
                timeout=20,
                since=mark,
            )
            assert packet.params["reply_parameters"]["message_id"] == cards[report.code]
            assert next(iter(packet.files.values())).startswith(b"%PDF")
            await api.wait_for(
                lambda c, a=address, code=report.code: (
                    c.method == "sendMessage"
                    and c.chat_id == a
                    and "diteruskan kepada" in text_of(c)
                    and code in text_of(c)
                ),
                timeout=10,
                since=mark,
            )
        # The same press again: each report has moved on, nothing is sent twice.
        again = await alice.post(
            "api/bulk", {"action": "forward", "target": "bawaslu", "items": [{"id": first.id, "expected": "v"}]}
        )
        assert (await again.json())["results"][0]["result"] != "done"

        # One from its page, to another office.
        single = await alice.post(
            f"api/reports/{third.id}/move", {"action": "forward", "expected": "v", "target": "bkn"}
        )
        assert single.status == 200 and third.code in (await single.json())["message"]
        await api.wait_for(
            lambda c: c.method == "sendDocument" and c.chat_id == GROUP and third.code in str(c.params.get("caption")),
            timeout=20,
            since=mark,
        )
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 5003 and "diteruskan kepada" in text_of(c),
            timeout=10,
            since=mark,
        )
        packets = [c for c in api.calls[mark:] if c.method == "sendDocument" and c.chat_id == GROUP]
        assert len(packets) == 3

        # The dashboard's referral lines are the summary's: three forwarded in the last 7 days, none decided.
        summary = await bot.services.summary.figures(bot.services.summary.today(), bot.services.summary.clock())
        assert summary.referrals is not None and summary.referrals.forwarded_total == 3
        for locale, forwarded, outcomes in (
            ("id", "Diteruskan", "Hasil diterima: belum ada"),
            ("en", "Forwarded", "Outcomes received: none yet"),
        ):
            board = await (await alice.get("api/dashboard", headers={"X-Lang": locale})).json()
            referrals = board["referrals"]
            assert (referrals["forwarded"], referrals["outcomes"]) == (3, 0)
            assert referrals["lines"] == referral_lines(summary.referrals, bot.services.regions, locale)
            assert forwarded in referrals["lines"][0] and "Bawaslu" in referrals["lines"][0], referrals
            assert any(outcomes in line for line in referrals["lines"]), referrals
            assert referrals["title"]


async def test_a_regional_group_sees_only_its_share(api: FakeBotApi, tmp_path: Path) -> None:
    """With REGION_GROUPS_FILE, a regional group's member sees that group's share, as its /antrian does."""
    routing = tmp_path / "region-groups.json"
    routing.write_text(
        json.dumps({"groups": [{"chat_id": SURAKARTA, "name": "Bawaslu Surakarta", "covers": ["surakarta"]}]}),
        encoding="utf-8",
    )
    solo = Supervisors(api, SURAKARTA)
    solo.add(BOB, "Bob Surakarta")
    Supervisors(api).add(ALICE, "Alice Pengawas")
    settings = make_settings(api, tmp_path, region_groups_file=routing)
    async with running_bot(settings) as bot, aiohttp.ClientSession() as http:
        # Known five days ago: both are on the dashboard's list of Bawaslu deadlines (due in two days).
        klaten = await seed_report(bot, address="5001", subject="Budi Santoso", region="kab-klaten", days_ago=5)
        brebes = await seed_report(
            bot, address="5002", subject="Sri Lestari", region="kab-brebes", photo_seed=2, days_ago=5
        )
        await card_of(api, klaten.code, SURAKARTA)
        await card_of(api, brebes.code, GROUP)
        bob = Client(http, site_url(bot))
        assert (await bob.sign_in(signed_init_data(BOB, "Bob"))).status == 200

        # The dashboard: Surakarta's share only, said so on the page; the map still shades the province.
        board = await (await bob.get("api/dashboard")).json()
        assert [d["code"] for d in board["deadlines"]] == [klaten.code] and board["deadline_count"] == 1
        assert board["new_reports"] == 1 and board["trend"][-1]["count"] == 1 and board["backlog"] == 1
        assert [r["label"] for r in board["by_region"]] == ["Kab. Klaten"]
        assert sum(s["count"] for s in board["states"]) == 1
        assert [g["label"] for g in board["by_group"]] == ["Bawaslu Surakarta"]
        assert "Bawaslu Surakarta" in board["scope_text"] and brebes.code not in json.dumps(board)
        svg = await (await bob.get("api/map.svg")).text()
        assert 'data-region="kab-brebes" data-count="1"' in svg and brebes.code not in svg
        alice = Client(http, site_url(bot))
        assert (await alice.sign_in(signed_init_data(ALICE, "Alice"))).status == 200
        whole = await (await alice.get("api/dashboard")).json()
        assert {d["code"] for d in whole["deadlines"]} == {klaten.code, brebes.code} and whole["new_reports"] == 2
        assert len(whole["by_group"]) == 2 and whole["scope_text"] is None
        me = await (await bob.get("api/me")).json()
        assert {r["value"] for r in me["regions"]} == {
            r.id for r in bot.services.regions.regions if r.group_id == "surakarta"
        }
        queue = await (await bob.get("api/queue?state=")).json()
        assert [i["code"] for i in queue["items"]] == [klaten.code]
        assert (await (await bob.get("api/queue?region=kab-brebes")).json())["total"] == 0
        assert (await bob.get(f"api/reports/{brebes.id}")).status == 404
        move = await bob.post(f"api/reports/{brebes.id}/move", {"action": "claim", "expected": "b"})
        assert move.status == 404
        items = [{"id": brebes.id, "expected": "b"}, {"id": klaten.id, "expected": "b"}]
        bulk = await bob.post("api/bulk", {"action": "claim", "items": items})
        assert {r["id"]: r["result"] for r in (await bulk.json())["results"]} == {
            brebes.id: "unknown",
            klaten.id: "done",
        }
        still = await bot.services.store.reports.get(brebes.id)
        assert still is not None and still.state is ReportState.BARU

        # The provincial group moves the Brebes report to Surakarta's group, as the card's "Pindah wilayah"
        # does: its card is posted there, and it joins Surakarta's share whatever its region.
        assert (await (await alice.get("api/queue?state=")).json())["total"] == 2
        page = await (await alice.get(f"api/reports/{brebes.id}")).json()
        assert page["group_here"] == 0 and page["groups"] == [{"value": 1, "label": "Bawaslu Surakarta"}]
        assert "move_group" in [m["action"] for m in page["moves"]]
        moved = await alice.post(f"api/reports/{brebes.id}/move", {"action": "move_group", "to": 1, "from": 0})
        assert moved.status == 200 and "Bawaslu Surakarta" in (await moved.json())["message"]
        again = await alice.post(f"api/reports/{brebes.id}/move", {"action": "move_group", "to": 1, "from": 0})
        assert again.status == 409
        await card_of(api, brebes.code, SURAKARTA)
        events = await bot.services.store.reports.events(brebes.id)
        assert events[-1].action == "move_group" and events[-1].actor_name == "Alice"
        queue = await (await bob.get("api/queue?state=")).json()
        assert {i["code"] for i in queue["items"]} == {klaten.code, brebes.code}
        assert (await bob.get(f"api/reports/{brebes.id}")).status == 200


async def test_a_kicked_member_loses_the_report_page_at_once(api: FakeBotApi, bot: App) -> None:
    carol = 9401
    api.add_user(carol, "Carol Pengawas")
    api.set_member(GROUP, carol, "member")
    report = await seed_report(bot, address="5001", subject="Budi Santoso")
    async with aiohttp.ClientSession() as http:
        client = Client(http, site_url(bot))
        assert (await client.sign_in(signed_init_data(carol, "Carol"))).status == 200
        assert (await client.get(f"api/reports/{report.id}")).status == 200
        # Kicked without the bot hearing of it: the list may serve a minute from the cache, a whole card never.
        api.set_member(GROUP, carol, "kicked")
        assert (await client.get(f"api/reports/{report.id}")).status == 403
        api.set_member(GROUP, carol, "restricted")
        assert (await client.sign_in(signed_init_data(carol, "Carol"))).status == 403
