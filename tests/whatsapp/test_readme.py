"""The README tells operators what to register at Meta: the template texts are the catalog's, word for word."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from locales import t

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_has_the_template_texts_and_every_whatsapp_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for locale in ("id", "en"):
        assert t(locale, "wa.template_notice") in readme, locale
    assert f"`{Settings.model_fields['whatsapp_template_notice'].default}`" in readme
    for key in (name.upper() for name in Settings.model_fields if name.startswith("whatsapp_")):
        assert key in readme, key
