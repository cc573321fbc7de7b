"""Flood control per sender: a sliding window of messages, told once, never affecting anyone else."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

WINDOW_SECONDS: Final = 60.0


@dataclass(slots=True)
class _Window:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodGuard:
    """Allows `per_minute` messages per key in any 60 s; the first refused one gets a warning."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self._limit = per_minute
        self._max_keys = max_keys
        self._windows: dict[str, _Window] = {}

    def check(self, key: str, now: float) -> str:
        """'ok', 'warn' (refuse and say so once) or 'drop' (refuse silently: we already said it)."""
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._max_keys:
                self._forget_idle(now)
            window = self._windows[key] = _Window()
        while window.times and now - window.times[0] >= WINDOW_SECONDS:
            window.times.popleft()
        if len(window.times) < self._limit:
            window.times.append(now)
            window.warned = False
            return "ok"
        if window.warned:
            return "drop"
        window.warned = True
        return "warn"

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, w in self._windows.items() if not w.times or now - w.times[-1] >= WINDOW_SECONDS]
        for key in idle:
            del self._windows[key]
