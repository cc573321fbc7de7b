"""/aplikasi: the groups get a URL button to the bot's main Mini App link (web_app buttons are for
private chats only); elsewhere, and before MINIAPP_URL is set, a short answer instead."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import GROUP, make_settings, markup_of, running_bot, text_of
from tests.triage.helpers import Supervisors

ALICE = 9101
ELSEWHERE = -1004440000004


async def test_the_group_gets_a_button_to_the_mini_app(api: FakeBotApi, tmp_path: Path) -> None:
    group = Supervisors(api)
    group.add(ALICE, "Alice Pengawas")
    api.add_group(ELSEWHERE, "Grup lain")
    settings = make_settings(api, tmp_path, miniapp_url="https://lapor.example.go.id/app/")
    async with running_bot(settings):
        mark = len(api.calls)
        group.command(ALICE, "aplikasi")
        sent = await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP, timeout=10, since=mark)
        buttons = [b for row in markup_of(sent)["inline_keyboard"] for b in row]
        assert [b["url"] for b in buttons] == ["https://t.me/LaporNetralTestBot?startapp"]
        assert "web_app" not in buttons[0]

        mark = len(api.calls)
        group.command(ALICE, "aplikasi", chat_id=ELSEWHERE)
        refused = await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == ELSEWHERE, 10, since=mark)
        assert "hanya berlaku" in text_of(refused) and not markup_of(refused)


async def test_without_a_mini_app_url_the_group_is_told_so(api: FakeBotApi, tmp_path: Path) -> None:
    group = Supervisors(api)
    group.add(ALICE, "Alice Pengawas")
    async with running_bot(make_settings(api, tmp_path)):
        mark = len(api.calls)
        group.command(ALICE, "aplikasi")
        sent = await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP, timeout=10, since=mark)
        assert "MINIAPP_URL" in text_of(sent) and not markup_of(sent)
