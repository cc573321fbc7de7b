"""The benchmarks' citizens type today's conversation (bench/conversation.py): a changed flow must break
this test, not the benchmarks' figures (a benchmark whose reports never reach Kirim measures nothing)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, is_card, make_settings, running_bot, text_of

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def conversation() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        import conversation

        yield conversation
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize(
    "benchmark",
    ["bench_election_day", "bench_intake"],
)
async def test_a_benchmark_citizen_gets_a_ticket(
    api: FakeBotApi, tmp_path: Path, conversation: ModuleType, benchmark: str
) -> None:
    script: Sequence[str] = {
        "bench_election_day": conversation.steps(),
        "bench_intake": conversation.steps(region="klaten", evidence=(conversation.PHOTO, conversation.PHOTO)),
    }[benchmark]
    assert script == _module_steps(benchmark)  # what the benchmark itself types
    citizen = Citizen(api, 5901)
    async with running_bot(make_settings(api, tmp_path)):
        replies = []
        for n, step in enumerate(script):
            if step == conversation.PHOTOS:
                replies = await citizen.send_photos([make_jpeg(640, 480, seed=5), make_jpeg(640, 480, seed=6)])
            elif step == conversation.PHOTO:
                replies = await citizen.send_photos([make_jpeg(640, 480, seed=n)])
            else:
                replies = await citizen.say("Kota Surakarta" if step == conversation.REGION else step)
        ticket = text_of(replies[-1])
        code = conversation.CODE_RE.search(ticket)
        assert code is not None, ticket
        await api.wait_for(lambda c: is_card(c, GROUP, code.group(0)), timeout=10)


def _module_steps(name: str) -> tuple[str, ...]:
    """The STEPS the benchmark script defines, read without running it (it starts servers only in main)."""
    import importlib

    module = sys.modules.get(name) or importlib.import_module(name)
    return tuple(module.STEPS)
