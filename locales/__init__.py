"""Every sentence a user reads, in gettext `.po` catalogs that translators edit.

Message ids are stable keys (`report.ask_place`); the catalogs are read with Babel at start and kept in
memory, so no compiled `.mo` file lives in git. Placeholders use `str.format` names (`{code}`).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

from handlers.common.errors import LaporNetralError

LOCALES: Final = ("id", "en")
DEFAULT_LOCALE: Final = "id"
_DIR: Final = Path(__file__).parent


class MissingTranslation(LaporNetralError, KeyError):
    """A key has no text in a catalog: a programming error that the catalog test catches first."""


@cache
def catalog(locale: str) -> dict[str, str]:
    """The key → text mapping of one locale, read once from all its `.po` domains.

    One domain per area (messages, triage, summary, whatsapp) keeps catalogs small for translators.
    """
    texts: dict[str, str] = {}
    for path in sorted((_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=locale)
        for message in po:
            if message.id and message.string and not message.fuzzy:
                if message.id in texts:
                    raise ValueError(f"{path.name}: key {message.id} defined twice")
                texts[str(message.id)] = str(message.string)
    return texts


def normalize_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram/WhatsApp language code ("en-GB", "id") to a locale we have."""
    if code:
        base = code.split("-")[0].split("_")[0].lower()
        if base in LOCALES:
            return base
    return default


def t(locale: str, key: str, /, **values: object) -> str:
    """The text for `key` in `locale`, with `{placeholders}` filled."""
    text = catalog(locale).get(key)
    if text is None:
        text = catalog(DEFAULT_LOCALE).get(key)
        if text is None:
            raise MissingTranslation(key)
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    """The `{names}` a text expects, for the catalog consistency test."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
