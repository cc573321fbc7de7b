"""Every key has a translation in every language, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locales import LOCALES, catalog, normalize_locale, placeholders, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_is_translated_in_every_locale() -> None:
    keys = {locale: set(catalog(locale)) for locale in LOCALES}
    every = set().union(*keys.values())
    for locale in LOCALES:
        assert every - keys[locale] == set(), f"{locale} lacks translations"


@pytest.mark.parametrize("key", sorted(catalog("id")))
def test_placeholders_match_across_locales(key: str) -> None:
    expected = placeholders(catalog("id")[key])
    for locale in LOCALES:
        assert placeholders(catalog(locale)[key]) == expected, (locale, key)


def test_every_key_used_in_code_exists() -> None:
    """Literal keys in the product code must all be in the catalog."""
    pattern = re.compile(r"""\bt\(\s*[\w.]+,\s*["']([a-z_]+\.[a-z_.]+)["']""")
    used: set[str] = set()
    for folder in ("bot", "handlers", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys: the pattern is wrong"
    assert used - set(catalog("id")) == set()


def test_html_in_catalog_is_balanced() -> None:
    for locale in LOCALES:
        for key, text in catalog(locale).items():
            for tag in ("b", "i", "code", "a"):
                opened = len(re.findall(rf"<{tag}[ >]", text))
                assert opened == text.count(f"</{tag}>"), (locale, key, tag)


@pytest.mark.parametrize(("code", "expected"), [("en-GB", "en"), ("id", "id"), ("jv", "id"), (None, "id")])
def test_language_codes_map_to_our_locales(code: str | None, expected: str) -> None:
    assert normalize_locale(code) == expected


def test_placeholders_are_filled() -> None:
    assert t("id", "report.submitted", code="LN-ABC234").count("LN-ABC234") == 2
