"""The operators' door on the bot's HTTP server: `GET /healthz` (JSON) and `GET /metrics` (Prometheus text).

Both are for the machine next door (Prometheus, a load balancer's probe) and must not be exposed by the
reverse proxy (README, *Operations*). No figure names a reporter: notices are counted as one destination,
"reporters"; groups are named by their chat id, which the routing table names.

Every group the routing table knows (and the reporters' one label) has its series even when it is zero:
a group with nothing waiting shows 0 rather than no line, and a counter exists at 0 before its first
increment, so that `increase(lapor_telegram_429_total[10m])` sees the first 429 (a series born at 1 has no
earlier sample to increase from). Likewise the hour's figures for every channel the bot serves.

/healthz answers 503 when the database does not answer, or when messages are waiting and Telegram has not
answered for `CONTACT_MAX` seconds (the bot cannot deliver); otherwise 200.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from aiohttp import web

from handlers.common import owed
from storage.models import Channel
from storage.ops import Backlog, OpsFigures

CONTACT_MAX: Final = 300.0
REPORTERS: Final = "reporters"  # the one label for every private chat
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


class PacerView(Protocol):
    floods: int
    floods_by_chat: dict[int | str | None, int]

    def waiting(self) -> dict[int | str | None, int]: ...


@dataclass(frozen=True, slots=True)
class OpsSources:
    """Where the figures come from (wired by bot/app.py)."""

    figures: OpsFigures
    destination: Callable[[Backlog], str]  # a backlog row's group chat id (as text), or REPORTERS
    in_flight: Callable[[], int]  # outbox deliveries under way
    pacer: PacerView | None
    last_contact: Callable[[], float | None]  # seconds since Telegram last answered (None: never)
    clock: Callable[[], datetime]
    groups: tuple[int, ...] = ()  # every group the routing table knows: each has its series, zero or not
    channels: tuple[str, ...] = (Channel.TELEGRAM.value,)  # the channels served: the hour's figures for each


def chat_label(chat: int | str | None) -> str:
    """A group by its id; every private chat as one label (a private chat id is a person)."""
    if (isinstance(chat, int) and chat < 0) or (isinstance(chat, str) and chat.startswith("@")):
        return str(chat)
    return REPORTERS


class Destinations:
    """Where a backlog row is going: its card's group; for a card not posted yet, its region's group; every
    reporter's notice to REPORTERS; anything else (the reminder, the summary) to the provincial group."""

    def __init__(self, route: Callable[[str], int], provincial: int) -> None:
        self._route = route
        self._provincial = provincial

    def __call__(self, row: Backlog) -> str:
        if row.kind == owed.NOTIFY_REPORTER:
            return REPORTERS
        if row.card_chat_id is not None:
            return str(row.card_chat_id)
        if row.region_id is not None:
            return str(self._route(row.region_id))
        return str(self._provincial)


def ops_routes(sources: OpsSources) -> list[web.RouteDef]:
    """`/healthz` and `/metrics`, for the bot's HTTP server (bot/web/server.py) to serve at its root."""

    async def on_healthz(request: web.Request) -> web.Response:
        return await healthz(sources)

    async def on_metrics(request: web.Request) -> web.Response:
        return await metrics(sources)

    return [web.get("/healthz", on_healthz), web.get("/metrics", on_metrics)]


async def healthz(sources: OpsSources) -> web.Response:
    database = await sources.figures.ping()
    backlog = await sources.figures.backlog() if database else []
    now = sources.clock()
    pending = sum(b.pending for b in backlog)
    oldest = max(((now - b.oldest_created).total_seconds() for b in backlog), default=None)
    contact = sources.last_contact()
    cut_off = pending > 0 and (contact is None or contact > CONTACT_MAX)
    healthy = database and not cut_off
    body = {
        "status": "ok" if healthy else "unhealthy",
        "database": database,
        "outbox_pending": pending,
        "oldest_waiting_seconds": round(oldest, 1) if oldest is not None else None,
        "last_telegram_contact_seconds": round(contact, 1) if contact is not None else None,
    }
    return web.json_response(body, status=200 if healthy else 503)


async def metrics(sources: OpsSources) -> web.Response:
    text = Exposition()
    database = await sources.figures.ping()
    text.gauge("lapor_database_up", "1 when the database answers", [({}, int(database))])
    now = sources.clock()
    if database:
        backlog = await sources.figures.backlog()
        # A group's cards waiting, and its oldest item's age, are 0 rather than absent when nothing waits.
        pending: dict[tuple[str, str], int] = {(str(g), owed.FORWARD_REPORT): 0 for g in sources.groups}
        oldest: dict[str, float] = {str(g): 0.0 for g in sources.groups}
        for row in backlog:
            chat = sources.destination(row)
            pending[chat, row.kind] = pending.get((chat, row.kind), 0) + row.pending
            age = (now - row.oldest_created).total_seconds()
            oldest[chat] = max(oldest.get(chat, 0.0), age)
        text.gauge(
            "lapor_outbox_pending",
            "Messages owed and not yet delivered, by destination and kind",
            [({"chat": chat, "kind": kind}, n) for (chat, kind), n in sorted(pending.items())],
        )
        text.gauge(
            "lapor_outbox_oldest_waiting_seconds",
            "Age of the oldest undelivered message, by destination",
            [({"chat": chat}, round(age, 1)) for chat, age in sorted(oldest.items())],
        )
        hour = await sources.figures.last_hour(now)
        zeros = dict.fromkeys(sources.channels, 0)
        text.gauge(
            "lapor_reports_last_hour",
            "Reports received in the last hour, by channel",
            [({"channel": c}, n) for c, n in sorted({**zeros, **hour.reports}.items())],
        )
        text.gauge(
            "lapor_triage_moves_last_hour",
            "Supervisor moves in the last hour, by the report's channel",
            [({"channel": c}, n) for c, n in sorted({**zeros, **hour.moves}.items())],
        )
    text.gauge("lapor_outbox_in_flight", "Outbox deliveries under way", [({}, sources.in_flight())])
    pacer = sources.pacer
    if pacer is not None:
        known: dict[int | str | None, int] = {g: 0 for g in sources.groups}
        known[None] = 0  # the reporters' label
        text.gauge(
            "lapor_pacer_waiting", "Requests held for their chat's budget", _by_chat({**known, **pacer.waiting()})
        )
        text.counter(
            "lapor_telegram_429_total",
            "429 answers received from Telegram",
            _by_chat({**known, **pacer.floods_by_chat}),
        )
    contact = sources.last_contact()
    if contact is not None:
        text.gauge(
            "lapor_telegram_last_contact_seconds", "Seconds since Telegram last answered", [({}, round(contact, 1))]
        )
    return web.Response(text=text.render(), content_type=CONTENT_TYPE.split(";")[0], charset="utf-8")


def _by_chat(counts: dict[int | str | None, int]) -> list[tuple[dict[str, str], float]]:
    merged: dict[str, int] = {}
    for chat, n in counts.items():
        label = chat_label(chat)
        merged[label] = merged.get(label, 0) + n
    return [({"chat": label}, n) for label, n in sorted(merged.items())]


class Exposition:
    """Prometheus' text format, version 0.0.4: `# HELP`, `# TYPE`, then one line per labelled sample."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def gauge(self, name: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self._family(name, "gauge", help_text, samples)

    def counter(self, name: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self._family(name, "counter", help_text, samples)

    def _family(self, name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self._lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples:
            inner = ",".join(f'{key}="{_escape(str(v))}"' for key, v in labels.items())
            self._lines.append(f"{name}{{{inner}}} {_number(value)}" if inner else f"{name} {_number(value)}")

    def render(self) -> str:
        return "\n".join(self._lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
