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

LOCALES: Final = ("id", "en")
DEFAULT_LOCALE: Final = "id"
_DIR: Final = Path(__file__).parent


class MissingTranslation(KeyError):
    """A key has no text in a catalog: a programming error that the catalog test catches first."""


@cache
def catalog(locale: str) -> dict[str, str]:
    """The key → text mapping of one locale, read from its `.po` file once."""
    with (_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


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
