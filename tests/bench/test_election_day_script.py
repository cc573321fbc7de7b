"""The election-day benchmark's citizen types today's conversation: a changed flow must break this test, not
the benchmark's figures (a benchmark whose reports are never acknowledged measures nothing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, is_card, make_settings, running_bot, text_of

ROOT = Path(__file__).resolve().parents[2]


def bench_module() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_election_day", ROOT / "bench/bench_election_day.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


async def test_the_benchmark_citizen_gets_a_ticket(api: FakeBotApi, tmp_path: Path) -> None:
    bench = bench_module()
    citizen = Citizen(api, 5901)
    async with running_bot(make_settings(api, tmp_path)):
        replies = []
        for step in bench.STEPS:
            if step == "<photos>":
                replies = await citizen.send_photos([make_jpeg(640, 480, seed=5), make_jpeg(640, 480, seed=6)])
            else:
                replies = await citizen.say("Kota Surakarta" if step == "<region>" else step)
        ticket = text_of(replies[-1])
        code = bench.CODE_RE.search(ticket)
        assert code is not None, ticket
        await api.wait_for(lambda c: is_card(c, GROUP, code.group(0)), timeout=10)
