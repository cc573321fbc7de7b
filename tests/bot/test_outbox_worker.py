"""The outbox worker stops when told, whatever it was doing at that moment.

CI once hung for two minutes in a test's shut-down: the worker was cancelled in the very tick its wake-up
came, Python 3.11's `asyncio.wait_for` returned the wake-up and dropped the cancellation, and `stop()`
waited for a loop that went on polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.outbox import OutboxWorker
from storage.store import Store
from tests.triage.helpers import open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path) as opened:
        yield opened


async def stops_within(worker: OutboxWorker, seconds: float) -> None:
    """`stop()` returns within `seconds` (awaited from a task of its own, so nothing can swallow the limit)."""
    stopping = asyncio.create_task(worker.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    assert stopping in done, f"the outbox worker did not stop within {seconds} s"
    stopping.result()


async def idle(worker: OutboxWorker) -> None:
    """Let the worker's first pass find nothing due and go to sleep on its wake-up."""
    for _ in range(50):
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("woken", [False, True], ids=["idle", "woken-in-the-same-tick"])
async def test_stop_ends_the_worker(store: Store, woken: bool) -> None:
    worker = OutboxWorker(store.outbox, {}, idle_poll=5.0)
    worker.start()
    await idle(worker)
    if woken:
        worker.wake()  # an enqueue lands just as the program shuts down
    await stops_within(worker, 1.0)
    assert worker.in_flight() == 0


async def test_a_stopped_worker_can_start_again(store: Store) -> None:
    worker = OutboxWorker(store.outbox, {}, idle_poll=5.0)
    for _ in range(3):
        worker.start()
        await idle(worker)
        worker.wake()
        await stops_within(worker, 1.0)
