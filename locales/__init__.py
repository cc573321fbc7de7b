"""Every sentence a user reads, in gettext `.po` catalogs that translators edit.

Message ids are stable keys (`report.ask_place`); the catalogs are read with Babel at start and kept in
memory, so no compiled `.mo` file lives in git. Placeholders use `str.format` names (`{code}`).

A text that counts something is a gettext plural entry (`msgid_plural`, `msgstr[N]`) read with `tn`,
which picks the form by the catalog's own `Plural-Forms` header: Indonesian has one form
(`nplurals=1; plural=0;`), English two (`plural=(n != 1)`). A text with two counts is never one plural
entry: each count is pluralised on its own (a `count.*` entry) and passed in as a value.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Plural:
    """The forms of one plural entry and the rule of the catalog it came from."""

    forms: tuple[str, ...]
    expression: str  # the `plural=` of the catalog's Plural-Forms, e.g. "(n != 1)"

    def form(self, n: int) -> str:
        """The form gettext's rule picks for `n` (the last form should a rule overshoot)."""
        index = _rule(self.expression)(n)
        return self.forms[min(index, len(self.forms) - 1)]


@cache
def _rule(expression: str) -> Callable[[int], int]:
    # gettext's own translation of a C plural expression into a function: the same rule msgfmt applies.
    return gettext.c2py(expression)


@dataclass(frozen=True, slots=True)
class _Catalog:
    texts: dict[str, str]
    plurals: dict[str, Plural]


@cache
def _load(locale: str) -> _Catalog:
    """Every domain of one locale, read once; singular and plural entries kept apart."""
    texts: dict[str, str] = {}
    plurals: dict[str, Plural] = {}
    for path in sorted((_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=locale)
        for message in po:
            if not message.id or message.fuzzy:
                continue
            key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
            if key in texts or key in plurals:
                raise ValueError(f"{path.name}: key {key} defined twice")
            if isinstance(message.id, (tuple, list)):
                forms = tuple(str(form) for form in message.string or ())
                if len(forms) != po.num_plurals or not all(forms):
                    raise ValueError(f"{path.name}: {key} needs {po.num_plurals} plural forms")
                plurals[key] = Plural(forms, po.plural_expr)
            elif message.string:
                texts[key] = str(message.string)
    return _Catalog(texts, plurals)


def catalog(locale: str) -> dict[str, str]:
    """The key → text mapping of one locale's singular entries, read once from all its `.po` domains.

    One domain per area (messages, triage, summary, whatsapp) keeps catalogs small for translators.
    """
    return _load(locale).texts


def plural_catalog(locale: str) -> dict[str, Plural]:
    """The key → forms mapping of one locale's plural entries."""
    return _load(locale).plurals


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


def tn(locale: str, key: str, n: int, /, **values: object) -> str:
    """The form of plural entry `key` that `locale` uses for the count `n`, with `{placeholders}` filled.

    `n` only chooses the form; the count is shown through a placeholder like any value, so a caller
    may pass it formatted for the locale ("1.072").
    """
    plural = plural_catalog(locale).get(key)
    if plural is None:
        plural = plural_catalog(DEFAULT_LOCALE).get(key)
        if plural is None:
            raise MissingTranslation(key)
    text = plural.form(n)
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    """The `{names}` a text expects, for the catalog consistency test."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
