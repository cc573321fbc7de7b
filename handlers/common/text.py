"""Cleaning what people type before it is stored, and escaping it before it is shown."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

# Bidi overrides and isolates can make a card read differently from what was sent; zero-width spaces and
# BOMs hide text. ZWJ/ZWNJ stay: emoji sequences and some scripts need them.
_INVISIBLE: Final = dict.fromkeys(
    map(ord, "\u200b\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2060"),
    None,
)
# People paste links to the big platforms without the scheme ("instagram.com/p/abc123", as the share
# sheet's "copy" gives on some phones). Only these hosts are taken bare, and only with a path: a bare
# "nama.com" in a story is more often a word than evidence. wa.me is left out on purpose: its path is a
# person's phone number, not a post, and such a number must not reach the supervisors as a "link".
_BARE_HOSTS: Final = (
    r"(?:(?:www|m|mobile|web|vm|vt)\.)?"
    r"(?:instagram\.com|facebook\.com|fb\.com|fb\.watch|x\.com|twitter\.com|tiktok\.com"
    r"|youtube\.com|youtu\.be|threads\.net|threads\.com)"
)
_URL_RE: Final = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|(?<![\w.@/-])" + _BARE_HOSTS + r"/[^\s<>\"']+", re.IGNORECASE
)
_PHONE_RE: Final = re.compile(r"^\+?[\d\s().-]{8,20}$")
MAX_URL: Final = 2000


def clean(text: str) -> str:
    """NFC, no control characters but newlines and tabs, no invisible marks, trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def esc(text: str) -> str:
    """Escape for Telegram's HTML parse mode (and thus for any renderer of our HTML subset)."""
    return html.escape(text, quote=False)


def find_links(text: str) -> list[str]:
    links = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}")
        if not url.lower().startswith(("http://", "https://")):
            host, slash, path = url.partition("/")
            url = "https://" + host.lower() + slash + path  # "www.…" and the bare platform links
        if len(url) <= MAX_URL:
            links.append(url)
    return links


def looks_like_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return bool(_PHONE_RE.match(text.strip())) and 8 <= digits <= 15


def normalize_phone(text: str) -> str:
    """Indonesian numbers in one form, +62…: 0812…, 62812… and +62 812-… compare equal."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("62"):
        return "+" + digits
    return "+" + digits if len(digits) > 10 else digits


def normalize_label(text: str) -> str:
    """For matching typed text to a button label: no emoji, case or extra spaces."""
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum() or ch.isspace())
    return " ".join(kept.lower().split())


def esc_within(text: str, limit: int, ellipsis: str = "…") -> str:
    """Escape `text` and cut it so the escaped form fits `limit` characters, never inside an entity."""
    escaped = esc(text)
    if len(escaped) <= limit:
        return escaped
    low, high = 0, len(text)
    while low < high:  # the longest raw prefix whose escaped form still fits
        middle = (low + high + 1) // 2
        if len(esc(text[:middle])) + len(ellipsis) <= limit:
            low = middle
        else:
            high = middle - 1
    return esc(text[:low].rstrip()) + ellipsis
