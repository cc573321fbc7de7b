"""Every key has a translation in every language, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locales import LOCALES, MissingTranslation, catalog, normalize_locale, placeholders, plural_catalog, t, tn

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_is_translated_in_every_locale() -> None:
    keys = {locale: set(catalog(locale)) for locale in LOCALES}
    every = set().union(*keys.values())
    for locale in LOCALES:
        assert every - keys[locale] == set(), f"{locale} lacks translations"


def test_every_plural_key_is_plural_in_every_locale() -> None:
    """A key is a plural entry everywhere or nowhere: `tn` and `t` must not depend on the language."""
    keys = {locale: set(plural_catalog(locale)) for locale in LOCALES}
    every = set().union(*keys.values())
    assert every, "no plural entries were read"
    for locale in LOCALES:
        assert every - keys[locale] == set(), f"{locale} lacks plural translations"
        assert keys[locale] & set(catalog(locale)) == set()


@pytest.mark.parametrize(("locale", "forms"), [("id", 1), ("en", 2)])
def test_plural_entries_have_the_forms_of_their_language(locale: str, forms: int) -> None:
    for key, plural in plural_catalog(locale).items():
        assert len(plural.forms) == forms, (locale, key)


@pytest.mark.parametrize("key", sorted(plural_catalog("id")))
def test_plural_placeholders_match_across_forms_and_locales(key: str) -> None:
    expected = placeholders(plural_catalog("id")[key].forms[0])
    assert expected, f"{key} shows no count"
    for locale in LOCALES:
        for form in plural_catalog(locale)[key].forms:
            assert placeholders(form) == expected, (locale, key, form)


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


def test_every_plural_key_used_in_code_exists() -> None:
    """Literal keys given to `tn` must be plural entries, and every plural entry is used somewhere."""
    pattern = re.compile(r"""\btn\(\s*[\w.]+,\s*["']([a-z_]+\.[a-z_.]+)["']""")
    source = ""
    for folder in ("bot", "handlers", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            source += path.read_text(encoding="utf-8")
    used = set(pattern.findall(source))
    assert used, "the scan found no keys: the pattern is wrong"
    assert used - set(plural_catalog("id")) == set()
    # Keys reach `tn` through a variable too (a page's header key): those are named in the source.
    assert {key for key in plural_catalog("id") if f'"{key}"' not in source} == set()


def test_plural_and_singular_lookups_do_not_mix() -> None:
    with pytest.raises(MissingTranslation):
        t("en", "count.days")
    with pytest.raises(MissingTranslation):
        tn("en", "report.submitted", 1)


def test_html_in_catalog_is_balanced() -> None:
    for locale in LOCALES:
        texts = [
            *catalog(locale).items(),
            *((key, form) for key, plural in plural_catalog(locale).items() for form in plural.forms),
        ]
        for key, text in texts:
            for tag in ("b", "i", "code", "a"):
                opened = len(re.findall(rf"<{tag}[ >]", text))
                assert opened == text.count(f"</{tag}>"), (locale, key, tag)


@pytest.mark.parametrize(("code", "expected"), [("en-GB", "en"), ("id", "id"), ("jv", "id"), (None, "id")])
def test_language_codes_map_to_our_locales(code: str | None, expected: str) -> None:
    assert normalize_locale(code) == expected


def test_placeholders_are_filled() -> None:
    assert t("id", "report.submitted", code="LN-ABC234").count("LN-ABC234") == 2
