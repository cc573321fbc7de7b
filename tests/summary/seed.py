"""A database seeded with reports across days, states, regions and categories, and the expected figures
computed from the seed list in plain Python: no SQL, no code from handlers/summary/figures.py.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from storage.db import Database

TZ = ZoneInfo("Asia/Jakarta")
DAY = date(2024, 1, 10)  # a Wednesday; the summary read on Thursday 11 January at 07:00 WIB
AS_OF = datetime.combine(DAY + timedelta(days=1), time(7, 0), TZ).astimezone(UTC)
STATES = ("baru", "diproses", "butuh_info", "terverifikasi", "diteruskan", "selesai", "ditolak")
OPEN = ("baru", "diproses", "butuh_info", "terverifikasi", "diteruskan")
CATEGORIES = ("medsos", "foto", "kampanye", "alat_peraga", "fasilitas", "keputusan", "partai", "lainnya")
STATUSES = ("pns", "pppk", "non_asn", "unknown")
SECRET_ADDRESS_PREFIX = "88877"  # reporters' chat ids: must never reach the spreadsheet
SECRET_PHONE = "+6281299990000"
SECRET_NAME = "Pelapor Rahasia"
SECRET_DESCRIPTION = "uraian-rahasia"
TYPED_PHONE = "(0812) 9999-0000"  # SECRET_PHONE as a reporter types it into the chronology
TYPED_NIK = "3302 1234 5678 0001"


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=TZ).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Seed:
    id: int
    code: str
    created_at: datetime
    state: str
    category: str
    region_id: str
    incident_date: date
    subject_name: str | None
    place: str
    photos: int
    links: int
    contact: bool
    supervisor_moves: list[datetime] = field(default_factory=list)
    other_events: list[tuple[datetime, str]] = field(default_factory=list)

    def history(self) -> list[tuple[datetime, str, str]]:
        """(at, from_state, to_state) of each move: from "baru" through the middle states to its state now."""
        if self.state == "baru":
            return []  # moves on a report still "baru" are notes, not state changes
        steps: list[tuple[datetime, str, str]] = []
        current = "baru"
        for number, at in enumerate(self.supervisor_moves):
            last = number == len(self.supervisor_moves) - 1
            target = self.state if last else ("diproses", "butuh_info")[number % 2]
            steps.append((at, current, target))
            current = target
        return steps

    def state_at(self, moment: datetime) -> str:
        """What the report's state was at `moment`, replayed from its moves."""
        state = "baru"
        for at, _, target in self.history():
            if at < moment:
                state = target
        return state


def make_seeds(regions: RegionCatalog, rng_seed: int = 4) -> list[Seed]:
    rng = random.Random(rng_seed)
    region_ids = [r.id for r in regions.regions]
    # A few regions get most reports, so the ranking has a clear head and ties further down.
    weights = [12 if i < 3 else 4 if i < 10 else 1 for i in range(len(region_ids))]
    seeds: list[Seed] = []

    def add(created: datetime, **overrides: object) -> Seed:
        number = len(seeds) + 1
        incident = created.astimezone(TZ).date() - timedelta(days=rng.choice([0, 0, 1, 2, 3, 5, 6]))
        seed = Seed(
            id=number,
            code=f"LN-T{number:05d}",
            created_at=created,
            state=rng.choice(STATES),
            category=rng.choice(CATEGORIES),
            region_id=rng.choices(region_ids, weights)[0],
            incident_date=incident,
            subject_name=rng.choice([None, "Budi", '=HYPERLINK("http://x")', "Sri"]),
            place=rng.choice(["Balai desa", "Kantor dinas", "+62 alun-alun", "@grup"]),
            photos=rng.randint(0, 3),
            links=rng.randint(0, 2),
            contact=rng.random() < 0.3,
        )
        for key, value in overrides.items():
            setattr(seed, key, value)
        if seed.state != "baru" or rng.random() < 0.1:
            # Moves by supervisors: the first within minutes to days, maybe more later.
            first = created + timedelta(seconds=rng.randint(60, 3 * 86400))
            seed.supervisor_moves = sorted(
                [first] + [first + timedelta(hours=rng.randint(1, 40)) for _ in range(rng.randint(0, 2))]
            )
        if rng.random() < 0.3:
            seed.other_events.append((created + timedelta(hours=rng.randint(1, 48)), "system"))
        seeds.append(seed)
        return seed

    for offset in range(-15, 2):
        day = DAY + timedelta(days=offset)
        for _ in range(rng.randint(8, 40) if day != DAY else 60):
            add(local(day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))
    # The day's edges: the first and last instant belong to the day, the next midnight does not.
    add(local(DAY), state="baru")
    add(local(DAY, 23, 59, 59, 999999))
    add(local(DAY + timedelta(days=1)))
    add(local(DAY - timedelta(days=1), 23, 59, 59, 999999))
    # Deadlines: windows ending on the 11th, 12th and 13th, one already past, one closed, one new after AS_OF.
    for days_back, state in (
        (7, "baru"),
        (6, "diproses"),
        (5, "butuh_info"),
        (8, "baru"),
        (6, "selesai"),
        (7, "ditolak"),
        (5, "diteruskan"),
    ):
        incident = DAY + timedelta(days=1 - days_back)  # window ends 7 - days_back days after the 11th
        add(local(incident, 9), incident_date=incident, state=state)
    add(AS_OF + timedelta(minutes=5), incident_date=DAY - timedelta(days=6), state="baru")
    # A supervisor's first move on an old report, on the day; and a second move that day on a report first
    # handled before the day (must not count).
    add(local(DAY - timedelta(days=4), 10), state="diproses", supervisor_moves=[local(DAY, 8)])
    add(
        local(DAY - timedelta(days=2), 10),
        state="diproses",
        supervisor_moves=[local(DAY - timedelta(days=1), 9), local(DAY, 9)],
    )
    return seeds


def description(seed: Seed) -> str:
    """The reporter's chronology: one in four has their phone number typed into it, one in four their NIK."""
    typed = {1: f", hubungi saya di {TYPED_PHONE}", 3: f", NIK saya {TYPED_NIK}."}.get(seed.id % 4, "")
    return f"{SECRET_DESCRIPTION} {seed.id} pada 10-01 pukul 09.30{typed}"


async def insert_seeds(db: Database, seeds: list[Seed]) -> None:
    """Plain SQL, as any writer would leave the rows; events in time order as the event log keeps them."""
    async with db.transaction() as conn:
        for seed in seeds:
            await conn.execute(
                "INSERT INTO reporters (id, channel, address, locale, pseudonym, created_at, last_seen_at)"
                " VALUES (?, 'telegram', ?, 'id', ?, ?, ?)",
                (
                    seed.id,
                    f"{SECRET_ADDRESS_PREFIX}{seed.id:04d}",
                    f"Warga-{seed.id}",
                    iso(seed.created_at),
                    iso(seed.created_at),
                ),
            )
            await conn.execute(
                "INSERT INTO reports (id, code, reporter_id, channel, state, category, subject_name,"
                " subject_agency, subject_status, region_id, place, incident_date, description, contact_shared,"
                " locale, created_at, updated_at) VALUES (?, ?, ?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " 'id', ?, ?)",
                (
                    seed.id,
                    seed.code,
                    seed.id,
                    seed.state,
                    seed.category,
                    seed.subject_name,
                    "Dinas Contoh",
                    STATUSES[seed.id % len(STATUSES)],
                    seed.region_id,
                    seed.place,
                    seed.incident_date.isoformat(),
                    description(seed),
                    int(seed.contact),
                    iso(seed.created_at),
                    iso(seed.created_at),
                ),
            )
            for position in range(seed.photos):
                await conn.execute(
                    "INSERT INTO evidence (report_id, position, kind, sha256, added_at) VALUES (?, ?, 'photo', ?, ?)",
                    (seed.id, position, f"{seed.id:08d}{position:056d}", iso(seed.created_at)),
                )
            for position in range(seed.photos, seed.photos + seed.links):
                await conn.execute(
                    "INSERT INTO evidence (report_id, position, kind, url, added_at) VALUES (?, ?, 'link', ?, ?)",
                    (seed.id, position, f"https://example.org/{seed.id}/{position}", iso(seed.created_at)),
                )
            if seed.contact:
                await conn.execute(
                    "INSERT INTO contacts (report_id, name, phone, created_at) VALUES (?, ?, ?, ?)",
                    (seed.id, SECRET_NAME, SECRET_PHONE, iso(seed.created_at)),
                )
        Event = tuple[datetime, int, str, str, str | None, str | None]
        events: list[Event] = [(s.created_at, s.id, "reporter", "created", None, "baru") for s in seeds]
        for s in seeds:
            moves = {at: (source, target) for at, source, target in s.history()}
            events += [
                (at, s.id, f"supervisor:{700 + s.id % 3}", "move", *moves.get(at, (None, None)))
                for at in s.supervisor_moves
            ]
        events += [(at, s.id, actor, "remind", None, None) for s in seeds for at, actor in s.other_events]
        for at, report_id, actor, action, source, target in sorted(events, key=lambda e: (e[0], e[1])):
            await conn.execute(
                "INSERT INTO events (report_id, at, actor, action, from_state, to_state) VALUES (?, ?, ?, ?, ?, ?)",
                (report_id, iso(at), actor, action, source, target),
            )


# ------------------------------------------------------------------------------- expected figures


def window(day: date) -> tuple[datetime, datetime]:
    return local(day), local(day + timedelta(days=1))


def created_on(seeds: list[Seed], day: date) -> list[Seed]:
    start, end = window(day)
    return [s for s in seeds if start <= s.created_at < end]


@dataclass
class Expected:
    new: int
    previous: int
    week_before: int
    by_category: dict[str, int]
    by_region: dict[str, dict[str, int]]
    states_now: dict[str, int]
    backlog: int
    backlog_oldest: datetime | None
    first_action_median: float | None
    first_actions: int
    deadline: list[Seed]
    deadline_days_left: dict[str, int]


def expected(seeds: list[Seed], day: date = DAY, as_of: datetime | None = None) -> Expected:
    """The figures of `day` as of `as_of` (by default the day's end, which a summary made later counts as of)."""
    as_of = as_of or window(day)[1]
    todays = [s for s in created_on(seeds, day) if s.created_at < as_of]
    existing = [s for s in seeds if s.created_at < as_of]
    then = {s.id: s.state_at(as_of) for s in existing}
    by_category = {c: sum(1 for s in todays if s.category == c) for c in CATEGORIES}
    by_region: dict[str, dict[str, int]] = {}
    for s in todays:
        by_region.setdefault(s.region_id, dict.fromkeys(STATES, 0))[then[s.id]] += 1
    backlog = [s for s in existing if then[s.id] == "baru"]
    start, end = window(day)
    durations = [
        (min(s.supervisor_moves) - s.created_at).total_seconds()
        for s in seeds
        if s.supervisor_moves and start <= min(s.supervisor_moves) < end
    ]
    reference = day + timedelta(days=1)
    days_left = {s.code: (s.incident_date + timedelta(days=7) - reference).days for s in existing}
    deadline = sorted(
        (s for s in existing if then[s.id] in OPEN and 0 <= days_left[s.code] <= 2),
        key=lambda s: (s.incident_date, s.created_at, s.id),
    )
    return Expected(
        new=len(todays),
        previous=len(created_on(seeds, day - timedelta(days=1))),
        week_before=len(created_on(seeds, day - timedelta(days=7))),
        by_category=by_category,
        by_region=by_region,
        states_now={st: sum(1 for s in existing if then[s.id] == st) for st in STATES},
        backlog=len(backlog),
        backlog_oldest=min((s.created_at for s in backlog), default=None),
        first_action_median=statistics.median(durations) if durations else None,
        first_actions=len(durations),
        deadline=deadline,
        deadline_days_left={s.code: days_left[s.code] for s in deadline},
    )
