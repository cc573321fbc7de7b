"""A supervisor who leaves the group loses access at once (issue 11, item 10): the `chat_member` update
drops the membership cache, and the commands that hand out evidence or reports ask afresh."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot, text_of
from tests.triage.helpers import Supervisors
from tests.triage.test_e2e_triage import answer_of, file_report

ALICE, BOB = 9101, 9102
REFUSED = "anggota tim pengawas"


async def test_a_member_who_left_is_refused_at_once(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    group.add(BOB, "Bob")
    async with running_bot(settings):
        code, card = await file_report(api, Citizen(api, 5201))
        menu = group.buttons(card)["🙋 Ambil"]
        mark = len(api.calls)
        group.press(ALICE, card, menu)
        assert REFUSED not in str((await answer_of(api, mark, ALICE)).params.get("text"))  # cached now

        # Alice leaves; Telegram tells the bot, which asked for chat_member updates.
        api.push_update(api.member_change(GROUP, ALICE, "left"))
        mark = len(api.calls)
        group.press(ALICE, card, group.buttons(card).get("🙋 Ambil", menu))
        refused = await answer_of(api, mark, ALICE)
        assert REFUSED in refused.params["text"]

        # Bob is kicked without the bot hearing of it: /bukti, /ekspor, /cari and /laporan ask afresh.
        mark = len(api.calls)
        group.command(BOB, "antrian")  # cached from here on
        await api.wait_for(lambda c: c.chat_id == GROUP and c.method == "sendMessage", since=mark)
        api.set_member(GROUP, BOB, "kicked")
        for command, args in (("bukti", code), ("ekspor", ""), ("cari", "status:baru"), ("laporan", code)):
            mark = len(api.calls)
            group.command(BOB, command, args)
            said = await api.wait_for(lambda c: c.chat_id == GROUP and c.method.startswith("send"), since=mark)
            assert REFUSED in text_of(said), command
