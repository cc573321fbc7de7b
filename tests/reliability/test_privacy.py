"""Privacy: the reporter's chat id, names, username and phone reach no log, group, summary or export.

The bot runs with the production logging set-up at LOG_LEVEL=DEBUG, the most a deployment can log,
and every record is captured before and after the handler's filters. One citizen files an anonymous
report and one with a shared contact; a supervisor claims them, exports the queue, and the office asks
for the day's summary. The shared contact may appear where it was shared to (that report's card and
export row); nothing else may appear anywhere. The token appears in no log output at all.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.logs import LIBRARY_FLOORS, setup_logging
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, TOKEN, Citizen, group_posts, make_settings, running_bot, shown, text_of
from tests.telegram.test_telegram_report import DESCRIPTION, fill_until_evidence, finish_report
from tests.triage.helpers import ALICE, Supervisors
from tests.whatsapp import test_whatsapp_report as whatsapp_report
from tests.whatsapp.fake_graph import TOKEN as WA_TOKEN
from tests.whatsapp.fake_graph import FakeGraphApi
from tests.whatsapp.harness import APP_SECRET, VERIFY_TOKEN, WhatsAppCitizen, running_whatsapp, wa_settings

OFFICE = -1009876500001
CHAT_ID = 7_770_001_234
FIRST, LAST, USERNAME, PHONE = "Sutarmi", "Wibowo", "sutarmi_jtg", "+6281234567890"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def production_logs() -> Iterator[tuple[Records, io.StringIO]]:
    """setup_logging as `python -m bot` does it, with its stream and every raw record captured."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in LIBRARY_FLOORS})
    setup_logging("DEBUG", [TOKEN, WA_TOKEN, APP_SECRET, VERIFY_TOKEN])
    stream = io.StringIO()
    production = root.handlers[0]
    assert isinstance(production, logging.StreamHandler)
    production.setStream(stream)
    raw = Records()
    root.addHandler(raw)
    try:
        yield raw, stream
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def chat_texts(api: FakeBotApi, chat_id: int) -> list[tuple[Call, str]]:
    """Everything the bot sent to a chat, as text: messages, captions, and the content of files."""
    found = []
    for call in api.calls:
        if call.chat_id != chat_id:
            continue
        parts = [str(call.params.get(k, "")) for k in ("text", "caption", "media")]
        for data in call.files.values():
            parts.append(data.decode("utf-8", "replace"))
            if data.startswith(b"PK"):  # xlsx: the sheet's XML inside the zip
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        found.append((call, "\n".join(parts)))
    return found


async def test_no_identity_leaks_anywhere(
    api: FakeBotApi, tmp_path: Path, production_logs: tuple[Records, io.StringIO]
) -> None:
    raw, stream = production_logs
    settings = make_settings(
        api, tmp_path, summary_chat_id=OFFICE, messages_per_minute=60
    )  # two whole reports inside a minute
    supervisors = Supervisors(api)
    supervisors.add(ALICE.user_id, "Alice")
    api.add_group(OFFICE, "Kantor Gubernur")
    async with running_bot(settings):
        citizen = Citizen(api, CHAT_ID)
        api.add_user(CHAT_ID, FIRST, last_name=LAST, username=USERNAME)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(640, 480, seed=71)])
        anonymous = await finish_report(citizen)

        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(640, 480, seed=72)])
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        mark = len(api.calls)
        api.push_update(api.private_contact(CHAT_ID, PHONE, FIRST, contact_user_id=CHAT_ID))
        await citizen.settle(mark, quiet=0.4)
        shared = text_of((await citizen.press("rv:send"))[-1]).split("<code>")[1].split("</code>")[0]

        for code in (anonymous, shared):
            await api.wait_for(lambda c, code=code: bool(group_posts(api, GROUP, code)[1]), timeout=10)
            card = max(m["message_id"] for m in api.messages(GROUP) if code in shown(m).split("\n", 1)[0])
            mark = len(api.calls)
            supervisors.press(ALICE.user_id, card, supervisors.buttons(card)["🙋 Ambil"])
            await api.wait_for("answerCallbackQuery", since=mark)
        mark = len(api.calls)
        supervisors.command(ALICE.user_id, "ekspor")
        await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark, timeout=10)
        today = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%d/%m/%Y")
        api.push_update(api.group_command(OFFICE, ALICE.user_id, "ringkasan", today))
        await api.wait_for(lambda c: c.chat_id == OFFICE and c.method == "sendDocument", since=mark, timeout=15)
        await citizen.settle(len(api.calls), quiet=1.0)  # card edits through the outbox

    never = (str(CHAT_ID), USERNAME, LAST)
    logs = "\n".join(raw.lines) + "\n" + stream.getvalue()
    assert any("committed" in line for line in raw.lines)  # the capture did see the bot at work
    for secret in (*never, FIRST, PHONE, PHONE[1:], "81234567890", DESCRIPTION, DESCRIPTION[:30]):
        assert secret not in logs, secret
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs

    sent = chat_texts(api, GROUP) + chat_texts(api, OFFICE)
    assert any(anonymous in text for _, text in sent) and any(c.chat_id == OFFICE for c, _ in sent)
    for call, text in sent:
        for secret in never:
            assert secret not in text, (secret, call.method)
        if shared not in text:
            assert FIRST not in text and "81234567890" not in text, call.method
    # Where the contact was shared to, it is there: the card of that report.
    assert any(
        shared in text and "81234567890" in text for call, text in sent if call.method in ("sendMessage", "sendPhoto")
    )
    # In an export, only on that report's row.
    exported = [
        row
        for call in api.calls
        if call.method == "sendDocument" and call.chat_id == GROUP
        for data in call.files.values()
        for row in export_rows(data)
    ]
    assert any(anonymous in row for row in exported) and any(shared in row for row in exported)
    for row in exported:
        if anonymous in row:
            assert not any(FIRST in cell or "81234567890" in cell for cell in row), row


WA_ID, WA_NAME = "6281298765401", "Siti Rahayu Wulandari"


class NamedCitizen(WhatsAppCitizen):
    """A WhatsApp user whose profile name Meta sends with every message."""

    def payload(self, name: str, **message: object) -> dict[str, object]:
        data = super().payload(name, **message)
        data["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"] = {"name": WA_NAME}  # type: ignore[index]
        return data


async def test_a_whatsapp_report_at_debug_logs_nothing_of_the_reporter(
    api: FakeBotApi,
    tmp_path: Path,
    production_logs: tuple[Records, io.StringIO],
) -> None:
    raw, stream = production_logs
    async with FakeGraphApi() as graph:
        settings = wa_settings(api, graph, tmp_path)
        async with running_whatsapp(settings, telegram=True) as channel:
            citizen = NamedCitizen(graph, channel.port, wa_id=WA_ID)
            await whatsapp_report.fill_until_evidence(citizen)
            await citizen.send_image(make_jpeg(640, 480, seed=73), media_id="media-73")
            await citizen.press("ev:done")
            await citizen.press("wit:none")
            await citizen.press("ct:skip")
            ticket = (await citizen.press("rv:send"))[-1].text
            assert "Terima kasih atas laporan Anda" in ticket
            await api.wait_for(lambda c: c.method in ("sendMessage", "sendPhoto") and c.chat_id == GROUP, timeout=10)
    logs = "\n".join(raw.lines) + "\n" + stream.getvalue()
    assert any(line.startswith("pywa") for line in raw.lines) or any("whatsapp" in line for line in raw.lines)
    for secret in (
        WA_ID,
        WA_ID[2:],
        "+" + WA_ID,
        WA_NAME,
        WA_NAME.split()[1],
        whatsapp_report.DESCRIPTION,
        whatsapp_report.DESCRIPTION[:30],
    ):
        assert secret not in logs, secret
    for secret in (TOKEN, WA_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in stream.getvalue()


def export_rows(data: bytes) -> list[list[str]]:
    """The rows of an exported spreadsheet (xlsx) or table (csv), as text cells."""
    if data.startswith(b"PK"):
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_handler_filter_redacts_long_numbers_and_secrets_should_a_line_slip_through() -> None:
    from bot.logs import RedactSecrets

    try:
        raise ValueError(f"chat {CHAT_ID} not found")
    except ValueError:
        record = logging.LogRecord(
            "somelib",
            logging.ERROR,
            __file__,
            1,
            "sent %s to %s with %s at %s",
            ("12 reports", PHONE, TOKEN, "2024-11-15T10:30"),
            sys.exc_info(),
        )
    assert RedactSecrets([TOKEN]).filter(record)
    line = logging.Formatter().format(record)
    assert "12 reports" in line and "2024-11-15T10:30" in line and "[REDACTED]" in line
    for secret in (PHONE, PHONE[1:], str(CHAT_ID), TOKEN, TOKEN.split(":")[1]):
        assert secret not in line, secret
    for args in ({"from": {"first_name": FIRST}},), ([FIRST], "x"):
        message = "received %r" if len(args) == 1 else "received %r %s"
        payload = logging.LogRecord("somelib", logging.CRITICAL, __file__, 1, message, args, None)
        assert RedactSecrets([]).filter(payload)
        assert FIRST not in payload.getMessage() and "withheld" in payload.getMessage()
