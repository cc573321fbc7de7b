"""Random faults by rate: the rule and the methods it leaves alone."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.fakes.bot_api.faults import Fault

# Methods a global ``fail_rate(None, ...)`` leaves alone by default: failing the bootstrap
# or the polling loop tests PTB's retry loop rather than the bot under test.
DEFAULT_RATE_EXCLUDE: frozenset[str] = frozenset(
    {"getMe", "getUpdates", "deleteWebhook", "setWebhook", "getWebhookInfo", "logOut", "close"}
)


@dataclass
class _RateRule:
    rate: float
    modes: list[Fault]
    rng: random.Random
    exclude: frozenset[str] = field(default_factory=frozenset)
