"""Links as people paste them (issue 12 item 6): bare platform links are taken and normalised."""

from __future__ import annotations

import pytest

from handlers.common.events import Text
from handlers.common.text import find_links
from tests.report.test_conversation import HAPPY, run


@pytest.mark.parametrize(
    ("typed", "links"),
    [
        ("instagram.com/p/abc123", ["https://instagram.com/p/abc123"]),
        ("lihat instagram.com/p/abc123, ya", ["https://instagram.com/p/abc123"]),
        ("www.instagram.com/reel/C1x/", ["https://www.instagram.com/reel/C1x/"]),
        ("m.facebook.com/story.php?id=1", ["https://m.facebook.com/story.php?id=1"]),
        ("fb.watch/abcDEF/", ["https://fb.watch/abcDEF/"]),
        ("X.com/budi/status/17", ["https://x.com/budi/status/17"]),
        ("twitter.com/budi/status/17", ["https://twitter.com/budi/status/17"]),
        ("vt.tiktok.com/ZS123/", ["https://vt.tiktok.com/ZS123/"]),
        ("youtu.be/dQw4w9", ["https://youtu.be/dQw4w9"]),
        ("youtube.com/watch?v=dQw4w9", ["https://youtube.com/watch?v=dQw4w9"]),
        ("threads.net/@budi/post/C1", ["https://threads.net/@budi/post/C1"]),
        ("https://instagram.com/p/a http://x.com/b", ["https://instagram.com/p/a", "http://x.com/b"]),
    ],
)
def test_bare_links_to_the_common_platforms_are_taken(typed: str, links: list[str]) -> None:
    assert find_links(typed) == links


@pytest.mark.parametrize(
    "typed",
    [
        "instagram.com",  # a platform named in a story, not a post
        "contoh.com/abc",  # unknown hosts still need their scheme
        "budi@instagram.com/x",  # part of an address, not a link
        "wa.me/6281234567890",  # a person's phone number, never a "link" for the supervisors
    ],
)
def test_other_bare_text_is_not_a_link(typed: str) -> None:
    assert find_links(typed) == []


async def test_a_bare_link_is_evidence_in_the_conversation() -> None:
    turn = await run([*HAPPY[:13], Text("instagram.com/p/abc123")])
    assert turn.draft.links == ["https://instagram.com/p/abc123"]
    assert "1 tautan diterima" in turn.replies[-1].text
