"""The Mini App in a real headless browser: Debian's Chromium driven by Playwright, against the real bot
(fake Bot API, real SQLite, real images) and its own server on loopback.

Signed in as Telegram does it (initData in the URL fragment), a supervisor filters the queue, opens a
report, claims it (the group's card is edited, the reporter told), rejects two reports as duplicates in
bulk, and opens the dashboard with its map; a stranger is refused. Screenshots at phone size go to
tests/artifacts/miniapp/. Skipped only when no Chromium binary is installed (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.app import App
from storage.models import ReportState
from tests.fakes.bot_api import FakeBotApi
from tests.miniapp.conftest import ALICE, BOB, OLGA, STRANGER, SURAKARTA
from tests.miniapp.helpers import body_of, card_of, seed_report, signed_init_data, site_url
from tests.telegram.harness import GROUP, make_settings, running_bot, text_of
from tests.triage.helpers import Supervisors

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "miniapp"
PHONE = {"width": 390, "height": 844}
# The browser may reach this machine only: every other name resolves to nothing.
BROWSER_ARGS = [
    "--no-sandbox",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
THEME = '{"bg_color":"#ffffff","text_color":"#1d2733","button_color":"#2481cc","button_text_color":"#ffffff"}'


def launch_url(base: str, init_data: str) -> str:
    """The page as Telegram's client opens it: launch parameters in the fragment."""
    return (
        f"{base}#tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
        f"&tgWebAppThemeParams={quote(THEME, safe='')}"
    )


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def eventually(check: object, timeout: float = 10.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)


async def test_a_supervisor_works_the_queue_in_a_real_browser(api: FakeBotApi, bot: App, browser: object) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    first = await seed_report(bot, address="5001", subject="Budi Santoso", region="kab-klaten", days_ago=5)
    second = await seed_report(
        bot, address="5002", subject="Sri Lestari", region="kab-brebes", days_ago=1, photo_seed=2
    )
    third = await seed_report(
        bot, address="5003", subject="Budi Santoso", region="kab-klaten", days_ago=3, photo_seed=3
    )
    card = await card_of(api, first.code)
    for report in (second, third):
        await card_of(api, report.code)

    async with nullcontext(site_url(bot)) as base:
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2, locale="id-ID")
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        await page.goto(launch_url(base, signed_init_data(ALICE, "Alice Pengawas")))
        await expect(page.locator("body[data-signed-in='true']")).to_have_count(1)
        rows = page.locator("#queue li.item")
        await expect(rows).to_have_count(3)
        # Nearest Bawaslu deadline first: the oldest incident on top.
        assert await rows.locator(".code").all_inner_texts() == [first.code, third.code, second.code]
        await page.screenshot(path=ARTIFACTS / "01-queue.png")

        await page.click("#filters-toggle")
        await page.select_option("#f-region", "kab-klaten")
        await page.click("#apply")
        await expect(rows).to_have_count(2)
        await page.select_option("#f-region", "")
        await page.fill("#f-q", "nama:lestari")
        await page.click("#apply")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Sri Lestari")
        await page.screenshot(path=ARTIFACTS / "02-filtered.png")
        await page.click("text=Atur ulang")
        await expect(page.locator("#filters")).not_to_have_attribute("open", "")
        await expect(rows).to_have_count(3)

        await page.click(f"button[data-code='{first.code}']")
        await expect(page.locator("#card")).to_contain_text(first.code)
        await expect(page.locator("#card")).to_contain_text("Budi Santoso")
        photo = page.locator("#photos img")
        await expect(photo).to_have_count(1)
        await page.wait_for_function("() => document.querySelector('#photos img').naturalWidth > 0")
        await page.screenshot(path=ARTIFACTS / "03-report.png", full_page=True)

        mark = len(api.calls)
        await page.click("#moves [data-action='claim']")
        await expect(page.locator("#report-state")).to_have_text("Diproses")
        await expect(page.locator("#toast")).to_contain_text(first.code)
        await eventually(lambda: "Alice Pengawas" in body_of(api.message(GROUP, card)))
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 5001 and "sedang diperiksa" in text_of(c),
            timeout=10,
            since=mark,
        )
        await expect(page.locator("#history")).to_contain_text("Alice Pengawas")
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=ARTIFACTS / "04-claimed.png")
        await clear_of_each_other(page, "#toast", "header.top")

        await page.click("#back")
        await expect(rows).to_have_count(3)
        for report in (second, third):
            await page.check(f"li.item[data-id='{report.id}'] input[type=checkbox]")
        await page.click("#bulk [data-kind='duplicate']")
        await page.fill("#bulk-code", first.code)
        await page.screenshot(path=ARTIFACTS / "05-bulk.png")
        # The claim's sentence, if its 4 s are not over, stands above the bar, not on its buttons.
        await clear_of_each_other(page, "#toast", "#bulk", if_shown=True)
        await page.click("#bulk-go")
        await expect(page.locator("#toast")).to_contain_text("2 dari 2")
        await clear_of_each_other(page, "#toast", "header.top")
        await clear_of_each_other(page, "#toast", "#bulk", if_shown=True)
        await expect(rows).to_have_count(1)  # the two rejected have left the open queue
        for report in (second, third):
            stored = await bot.services.store.reports.get(report.id)
            assert stored is not None and stored.state is ReportState.DITOLAK
            assert (await bot.services.store.reports.events(report.id))[-1].note == first.code

        await page.click("#tab-dashboard")
        await expect(page.locator("#toast")).to_be_hidden()  # the queue's sentence does not follow
        tiles = page.locator("#map svg g.tile")
        await expect(tiles).to_have_count(35)
        klaten = page.locator("#map g.tile[data-region='kab-klaten'] rect")
        assert await klaten.get_attribute("fill") != "#e9edf1"
        assert await page.locator("#map g.tile[data-region='kab-klaten']").get_attribute("data-count") == "2"
        await expect(page.locator("#new-today")).to_have_text("3")
        # The summary's referral lines: nothing forwarded here, so the line that says so.
        await expect(page.locator("#referrals")).to_contain_text("Tidak ada rujukan dalam 7 hari terakhir")
        await expect(page.locator("#dashboard-scope")).to_have_count(0)  # the provincial group: the province
        await page.screenshot(path=ARTIFACTS / "06-dashboard.png", full_page=True)

        await page.click("#lang")
        await expect(page.locator("#tab-queue")).to_have_text("Queue")
        await page.screenshot(path=ARTIFACTS / "07-dashboard-en.png")
        assert problems == []
        await context.close()


async def clear_of_each_other(page: object, first: str, second: str, *, if_shown: bool = False) -> None:
    """Two shown elements do not overlap (the toast once covered the title and the language switch);
    `if_shown`: nothing to check when either is hidden."""
    from playwright.async_api import Page

    assert isinstance(page, Page)
    a, b = await page.locator(first).bounding_box(), await page.locator(second).bounding_box()
    if if_shown and (a is None or b is None):
        return
    assert a is not None and b is not None, (first, second)
    apart = (
        a["y"] >= b["y"] + b["height"]
        or b["y"] >= a["y"] + a["height"]
        or a["x"] >= b["x"] + b["width"]
        or b["x"] >= a["x"] + a["width"]
    )
    assert apart, f"{first} {a} covers {second} {b}"


async def test_a_regional_supervisor_reads_their_share_on_the_dashboard(
    api: FakeBotApi, tmp_path: Path, browser: object
) -> None:
    """A member of a regional group only: the dashboard's figures and deadline codes are the group's share,
    and the page says so; the map still shades the whole province."""
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    routing = tmp_path / "region-groups.json"
    routing.write_text(
        json.dumps({"groups": [{"chat_id": SURAKARTA, "name": "Bawaslu Surakarta", "covers": ["surakarta"]}]}),
        encoding="utf-8",
    )
    Supervisors(api, SURAKARTA).add(BOB, "Bob Surakarta")
    Supervisors(api).add(ALICE, "Alice Pengawas")
    async with running_bot(make_settings(api, tmp_path, region_groups_file=routing)) as bot:
        klaten = await seed_report(bot, address="5001", subject="Budi Santoso", region="kab-klaten", days_ago=5)
        brebes = await seed_report(
            bot, address="5002", subject="Sri Lestari", region="kab-brebes", days_ago=5, photo_seed=2
        )
        await card_of(api, klaten.code, SURAKARTA)
        await card_of(api, brebes.code, GROUP)
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2, locale="id-ID")
        page = await context.new_page()
        await page.goto(launch_url(site_url(bot), signed_init_data(BOB, "Bob Surakarta")))
        await expect(page.locator("body[data-signed-in='true']")).to_have_count(1)
        await page.click("#tab-dashboard")
        await expect(page.locator("#map svg g.tile")).to_have_count(35)
        await expect(page.locator("#dashboard-scope")).to_contain_text("Bawaslu Surakarta")
        await expect(page.locator("#deadlines li")).to_have_count(1)
        await expect(page.locator("#deadlines")).to_contain_text(klaten.code)
        await expect(page.locator("#new-today")).to_have_text("1")
        assert brebes.code not in await page.locator("#view").inner_text()
        assert await page.locator("#map g.tile[data-region='kab-brebes']").get_attribute("data-count") == "1"
        await page.screenshot(path=ARTIFACTS / "10-regional-dashboard.png", full_page=True)
        await context.close()


async def test_a_stranger_is_refused_and_the_office_reads_only(api: FakeBotApi, bot: App, browser: object) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    await seed_report(bot, address="5001", subject="Budi Santoso")
    async with nullcontext(site_url(bot)) as base:
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2)
        page = await context.new_page()
        await page.goto(launch_url(base, signed_init_data(STRANGER, "Orang Lain")))
        await expect(page.locator("body[data-refused='403']")).to_have_count(1)
        await expect(page.locator("#status")).to_contain_text("bukan anggota")
        await expect(page.locator("#view")).to_be_empty()
        await page.screenshot(path=ARTIFACTS / "08-refused.png")

        await page.goto(base.rstrip("/"))  # no launch parameters (outside Telegram), and no slash: redirected
        await expect(page.locator("#status")).to_contain_text("Buka halaman ini dari Telegram")

        office = await context.new_page()
        # Launched at /app without the slash: the redirect keeps Telegram's fragment.
        await office.goto(launch_url(base.rstrip("/"), signed_init_data(OLGA, "Olga Kantor", language="en")))
        await expect(office.locator("#map svg g.tile")).to_have_count(35)
        await expect(office.locator("#tabs")).to_be_hidden()
        await expect(office.locator("#scope")).to_contain_text("dashboard only")
        await office.screenshot(path=ARTIFACTS / "09-office.png", full_page=True)
        await context.close()
