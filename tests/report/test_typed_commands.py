"""WhatsApp users type commands as words ("status", not "/status"): no text they can read names a slash command.

Every citizen text that names a command has a `_typed` twin (as `help.text` has had); these tests render each
one through the code that sends it, for a WhatsApp reporter in both languages, and check the catalogs so that a
new text naming a command cannot skip its twin.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.notify import ReporterNotifier
from bot.whatsapp.events import COMMAND_WORDS
from handlers.common.callbacks import ANSWER, ANSWER_DONE
from handlers.common.events import COMMAND_NAMES, TYPED_SUFFIX, Choice, Command, Event, Reply, Text, command
from handlers.common.owed import NOTIFY_REPORTER
from handlers.triage.machine import Action, RejectReason
from locales import LOCALES, catalog
from storage.models import Channel, OutboxItem, Reporter
from storage.models import ReportState as S
from tests.report.test_intake import REPORT, open_intake
from tests.triage.helpers import ALICE, add_report, open_store, outbox, service_for
from tests.triage.test_answers import answers_for

# A slash command as a citizen would read it; "</b>" and links are not commands.
SLASH = re.compile(r"(?<![\w<:/.])/[a-z]+")
# The commands of the citizen's side; the supervisors' (/paket, /cari, …) are read on Telegram only.
CITIZEN_SLASH = re.compile(
    r"(?<![\w<:/.])/(start|mulai|menu|lapor|report|status|cek|batal|cancel|bantuan|help|bahasa|language|formulir)\b"
)
# Texts naming a citizen command that only supervisors read (in Telegram, where "/" is right).
SUPERVISORS_ONLY = frozenset({"triage.bukti_originals_blocked", "triage.arsip_blocked"})


# The name of each command that each language's WhatsApp texts use: its own words, which WhatsApp takes.
WORD = {
    "id": {"lapor": "lapor", "bantuan": "bantuan", "formulir": "formulir"},
    "en": {"lapor": "report", "bantuan": "help", "formulir": "form"},
}


def slashes(text: str) -> list[str]:
    return SLASH.findall(text)


async def talk(tmp_path: Path, channel: Channel, locale: str, events: list[Event]) -> list[list[Reply]]:
    """Each event's replies, from a new reporter of `channel` whose phone is set to `locale`."""
    store, intake = await open_intake(tmp_path)
    try:
        answers = []
        for number, event in enumerate(events):
            answer = await intake.handle(channel, "6281234567001", event, update_id=str(number), language_hint=locale)
            answers.append(answer.replies)
        return answers
    finally:
        await store.close()


def the_code(ticket: str) -> str:
    return ticket.split("<code>")[1].split("</code>")[0]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_text_naming_a_command_shows_words_on_whatsapp(tmp_path: Path, locale: str) -> None:
    events: list[Event] = [
        Command("start"),  # the welcome, and the idle hint below it
        Command("bantuan"),
        Command("paket"),  # "/paket" typed on WhatsApp: an unknown command
        Command("formulir"),  # without a code: how to ask for the form
        *REPORT,  # the ticket
        Command("status"),  # the list, and how to see one report
        Text("halo"),  # idle again: the hint
    ]
    said = await talk(tmp_path / "wa", Channel.WHATSAPP, locale, events)
    texts = {
        "welcome": said[0][0].text,
        "idle hint": said[0][-1].text,
        "help": said[1][0].text,
        "unknown command": said[2][0].text,
        "form usage": said[3][0].text,
        "ticket": said[4 + len(REPORT) - 1][0].text,
        "status list": said[-2][0].text,
        "idle hint again": said[-1][-1].text,
    }
    for name, text in texts.items():
        assert not slashes(text), f"{name} ({locale}) names {slashes(text)}: {text}"
    code = the_code(texts["ticket"])
    assert f"status {code}" in texts["ticket"]
    word = WORD[locale]
    assert word["lapor"] in texts["welcome"] and "status" in texts["welcome"] and word["bantuan"] in texts["welcome"]
    assert "status" in texts["idle hint"] and f"{word['formulir']} LN-" in texts["form usage"]
    assert code in texts["status list"] and "status " in texts["status list"].splitlines()[-1]

    # Telegram keeps its slash commands, which its menu offers.
    telegram = await talk(tmp_path / "tg", Channel.TELEGRAM, locale, events)
    assert "/lapor" in telegram[0][0].text and "/status" in telegram[0][-1].text
    assert f"/status {the_code(telegram[4 + len(REPORT) - 1][0].text)}" in telegram[4 + len(REPORT) - 1][0].text


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_hint_after_switching_language_on_whatsapp_shows_words(tmp_path: Path, locale: str) -> None:
    other = LOCALES[(LOCALES.index(locale) + 1) % len(LOCALES)]
    said = await talk(tmp_path, Channel.WHATSAPP, locale, [Command("start"), Command("bahasa")])
    hint = said[1][-1].text
    assert ("Make a report" if other == "en" else "Buat laporan") in hint  # the new language's hint
    assert not slashes(hint) and "status" in hint, hint


@pytest.mark.parametrize("locale", LOCALES)
async def test_reporters_notices_and_answers_on_whatsapp_show_words(tmp_path: Path, locale: str) -> None:
    """A rejection notice ("make a new report with …"), "Done" after an answer, and an answer to a closed report."""
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        report = await add_report(store, address="+6281234567002", channel=Channel.WHATSAPP)
        reporter = await store.reporters.get(report.reporter_id)
        assert reporter is not None
        await store.reporters.set_locale(reporter.id, locale)
        # Asked, then rejected: the reporter may still press the question's Answer button.
        await service.move(report.id, Action.CLAIM, S.BARU, ALICE)
        await service.move(report.id, Action.REQUEST_INFO, S.DIPROSES, ALICE, note="Siapa saksinya?")
        await service.move(report.id, Action.REJECT, S.BUTUH_INFO, ALICE, reason=RejectReason.SPAM)

        sent: list[Reply] = []

        async def capture(to: Reporter, reply: Reply, language: str) -> str:
            sent.append(reply)
            return "wamid.1"

        notifier = ReporterNotifier(store, "id")
        notifier.register(Channel.WHATSAPP, capture)
        payload = outbox(store.db.path, NOTIFY_REPORTER)[-1]
        await notifier(OutboxItem(id=1, kind=NOTIFY_REPORTER, payload=payload, attempts=0, progress={}))
        done = await answers.route(reporter, locale, Choice(ANSWER_DONE.pack(report.id)), None)
        closed = await answers.route(reporter, locale, Choice(ANSWER.pack(report.id)), None)
    assert done is not None and closed is not None
    for text in (sent[0].text, done[0].text, closed[0].text):
        assert not slashes(text) and re.search(rf"\b{WORD[locale]['lapor']}\b", text), text


def citizen_keys_naming_commands() -> list[str]:
    keys = {
        key
        for locale in LOCALES
        for key, text in catalog(locale).items()
        if CITIZEN_SLASH.search(text) and not key.endswith(TYPED_SUFFIX)
    }
    return sorted(keys - SUPERVISORS_ONLY)


def test_the_texts_naming_commands_are_the_known_ones() -> None:
    # Not an accident of the regex: these are the texts this file renders above.
    assert citizen_keys_naming_commands() == [
        "command.unknown",
        "help.text",
        "report.submitted",
        "start.idle_hint",
        "start.welcome",
        "status.form_usage",
        "status.list_footer",
        "triage.answer_closed",
        "triage.answer_done",
        "triage.notice_rejected",
    ]


@pytest.mark.parametrize("key", citizen_keys_naming_commands())
@pytest.mark.parametrize("locale", LOCALES)
def test_each_has_a_typed_twin_naming_words_whatsapp_accepts(locale: str, key: str) -> None:
    plain, typed = catalog(locale)[key], catalog(locale).get(key + TYPED_SUFFIX)
    assert typed is not None, f"{key}{TYPED_SUFFIX} missing in {locale}"
    assert not slashes(typed), typed
    for name in CITIZEN_SLASH.findall(plain):
        # Each command the Telegram text names is named in the twin by a word WhatsApp takes as that command.
        names = COMMAND_NAMES[command(name).name]
        assert set(names) <= COMMAND_WORDS
        assert any(re.search(rf"\b{n}\b", typed) for n in names), (name, typed)


async def test_the_english_words_the_english_texts_name_work_on_whatsapp(tmp_path: Path) -> None:
    """What the English help tells a WhatsApp user to type, typed: each word does what the help says."""
    from bot.whatsapp.events import parse_text

    typed = ["help", "form", "report", "cancel"]
    said = await talk(tmp_path, Channel.WHATSAPP, "en", [parse_text(word) for word in typed])
    help_text, form_usage, first_question, cancel = (replies[0].text for replies in said)
    assert all(re.search(rf"\b{word}\b", help_text.lower()) for word in typed), help_text
    assert "form LN-" in form_usage
    assert "Type of violation" in said[2][-1].text, first_question
    assert cancel != help_text and "?" in cancel, cancel  # asked to confirm the cancel
