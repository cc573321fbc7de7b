"""Region catalog (regencies/cities grouped by former residency) and fuzzy lookup.

The catalog is data, not code: the bundled ``data/jawa_tengah.json`` describes Central
Java, and another province is just another JSON file passed to :meth:`RegionCatalog.load`.
Nothing here knows about Telegram or WhatsApp; handlers use the ids for button callback
data and :meth:`RegionCatalog.match` for free-text answers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

__all__ = [
    "MAX_ID_LENGTH",
    "UNKNOWN_REGION_ID",
    "Region",
    "RegionCatalog",
    "RegionGroup",
    "default_catalog",
]

Kind = Literal["kab", "kota"]

# Ids end up in button callback data (Telegram allows 64 bytes in total, shared with the
# action prefix), so they are kept short and ASCII.
MAX_ID_LENGTH: Final = 20
_ID_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"

# A report whose reporter cannot name the kabupaten/kota (often: seen on social media) carries this id. It is
# never in a catalog, so every lookup misses it and routing sends such a report to the provincial team.
UNKNOWN_REGION_ID: Final = "tidak-tahu"

_DATA_PACKAGE: Final = "handlers.common"
_DEFAULT_DATA_FILE: Final = "jawa_tengah.json"

# Words people put in front of a name to say which kind of region they mean. "kot" is a
# common truncation; "kodya"/"kotamadya" is the pre-1999 term many people still use.
_PREFIXES: Final[dict[str, Kind]] = {
    "kab": "kab",
    "kabupaten": "kab",
    "kota": "kota",
    "kot": "kota",
    "kodya": "kota",
    "kotamadya": "kota",
}
# Misspelt "kabupaten" ("kabupatn", "kabuaten") is common enough to accept fuzzily.
_PREFIX_FUZZY_CUTOFF: Final = 0.8

# Chosen against the real data: "jakarta" vs "surakarta" scores 0.75 and must not match,
# while one-letter typos in names of 5+ letters ("kalten", "banyumaz") score >= 0.83.
_FUZZY_CUTOFF: Final = 0.8
# A typed start of a name ("purwo", "karang") is a strong hint but weaker than an exact
# hit; shorter fragments are too unspecific to be worth suggesting.
_PREFIX_SCORE: Final = 0.9
_MIN_PREFIX_LEN: Final = 4
# Candidates scoring this close to the best one are shown together so the user can pick.
_AMBIGUITY_MARGIN: Final = 0.05
_MAX_CANDIDATES: Final = 3
# Tokens shorter than this are too likely to be noise ("di", "kab") in longer sentences.
_MIN_TOKEN_LEN: Final = 3

_NON_ALNUM: Final = re.compile(r"[^a-z0-9]+")


def _normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def _prefix_kind(token: str) -> Kind | None:
    kind = _PREFIXES.get(token)
    if kind is None and len(token) >= 6 and SequenceMatcher(None, token, "kabupaten").ratio() >= _PREFIX_FUZZY_CUTOFF:
        kind = "kab"
    return kind


def _split_prefix(normalized: str) -> tuple[Kind | None, str]:
    """Split ``"kab semarang"`` into ``("kab", "semarang")``; no prefix gives ``None``."""
    head, _, rest = normalized.partition(" ")
    if rest:
        kind = _prefix_kind(head)
        if kind is not None:
            return kind, rest
    return None, normalized


class Region(BaseModel):
    """A regency (kabupaten) or city (kota)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN, max_length=MAX_ID_LENGTH)
    name: str = Field(min_length=1)
    group_id: str = Field(pattern=_ID_PATTERN, max_length=MAX_ID_LENGTH)
    aliases: tuple[str, ...] = ()

    @property
    def kind(self) -> Kind | None:
        """``"kab"``/``"kota"`` derived from the display name, ``None`` if it has no prefix."""
        return _split_prefix(_normalize(self.name))[0]


class RegionGroup(BaseModel):
    """A former residency (karesidenan): the first level of the region picker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN, max_length=MAX_ID_LENGTH)
    name: str = Field(min_length=1)
    regions: tuple[Region, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _inject_group_id(cls, data: Any) -> Any:
        # The JSON nests regions inside their group, so repeating the group id on every
        # region would only invite inconsistencies; fill it in from the parent instead.
        if not isinstance(data, dict) or not isinstance(data.get("regions"), list | tuple):
            return data
        group_id = data.get("id")
        regions: list[Any] = []
        for region in data["regions"]:
            if isinstance(region, dict):
                region = {"group_id": group_id, **region}
                if region["group_id"] != group_id:
                    raise ValueError(f"region {region.get('id')!r} claims group {region['group_id']!r}")
            regions.append(region)
        return {**data, "regions": regions}


@dataclass(frozen=True, slots=True)
class _Entry:
    """One searchable key pointing at a region."""

    region: Region
    order: int  # position in the catalog, for stable tie-breaking
    via_alias: bool  # aliases ("solo") name one region regardless of a typed prefix


@dataclass(slots=True)
class _Hit:
    entry: _Entry
    score: float


class RegionCatalog(BaseModel):
    """All regions of one province, with lookups by id and by typed name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    province: str = Field(min_length=1)
    groups: tuple[RegionGroup, ...] = Field(min_length=1)

    _regions: dict[str, Region] = PrivateAttr(default_factory=dict)
    _groups: dict[str, RegionGroup] = PrivateAttr(default_factory=dict)
    # normalized key ("semarang", "solo", "kota mungkid") -> regions it names
    _index: dict[str, list[_Entry]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_unique_ids(self) -> RegionCatalog:
        group_ids = [g.id for g in self.groups]
        region_ids = [r.id for g in self.groups for r in g.regions]
        for label, ids in (("group", group_ids), ("region", region_ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {label} ids: {', '.join(dupes)}")
        return self

    def model_post_init(self, context: Any, /) -> None:
        # Precompute everything match() needs so a lookup is just dict hits plus a few
        # dozen SequenceMatcher ratios.
        order = 0
        for group in self.groups:
            self._groups[group.id] = group
            for region in group.regions:
                self._regions[region.id] = region
                core = _split_prefix(_normalize(region.name))[1]
                self._index.setdefault(core, []).append(_Entry(region, order, via_alias=False))
                for alias in region.aliases:
                    key = _normalize(alias)
                    if key:
                        self._index.setdefault(key, []).append(_Entry(region, order, via_alias=True))
                order += 1

    @classmethod
    def load(cls, path: Path | None = None) -> RegionCatalog:
        """Load a catalog from ``path``, or the bundled Jawa Tengah data when omitted."""
        if path is None:
            resource = resources.files(_DATA_PACKAGE).joinpath("data").joinpath(_DEFAULT_DATA_FILE)
            raw = resource.read_text(encoding="utf-8")
        else:
            raw = Path(path).read_text(encoding="utf-8")
        return cls.model_validate_json(raw)

    @property
    def regions(self) -> tuple[Region, ...]:
        """All regions in catalog order."""
        return tuple(self._regions.values())

    def region(self, region_id: str) -> Region | None:
        return self._regions.get(region_id)

    def group(self, group_id: str) -> RegionGroup | None:
        return self._groups.get(group_id)

    def match(self, text: str) -> list[Region]:
        """Best regions for a typed name.

        Returns ``[]`` when nothing is plausible, one region when confident and up to
        three (best first, cities before regencies on ties) when the text is ambiguous,
        e.g. ``"semarang"`` -> ``[Kota Semarang, Kab. Semarang]``.
        """
        normalized = _normalize(text)
        if not normalized:
            return []
        # Multi-word aliases may start with a prefix word ("kota mungkid" is the capital
        # of *Kab.* Magelang), so try the text verbatim before splitting it.
        verbatim = self._index.get(normalized)
        if verbatim and all(e.via_alias for e in verbatim):
            return self._rank([_Hit(e, 1.0) for e in verbatim])

        kind, core = _split_prefix(normalized)
        if _prefix_kind(core) is not None:
            # A bare "kota"/"kabupaten" names no place; without this it would
            # prefix-match the "kota mungkid" alias.
            return []
        hits = self._filter_kind(self._exact(core) or self._fuzzy(core), kind)
        if not hits:
            hits = self._by_token(normalized)
        return self._rank(hits)

    def _exact(self, key: str) -> list[_Hit]:
        return [_Hit(e, 1.0) for e in self._index.get(key, ())]

    def _fuzzy(self, core: str) -> list[_Hit]:
        hits: list[_Hit] = []
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(core)
        for key, entries in self._index.items():
            matcher.set_seq1(key)
            score = matcher.ratio() if matcher.real_quick_ratio() >= _FUZZY_CUTOFF else 0.0
            if len(core) >= _MIN_PREFIX_LEN and key.startswith(core):
                score = max(score, _PREFIX_SCORE)
            if score >= _FUZZY_CUTOFF:
                hits.extend(_Hit(e, score) for e in entries)
        return hits

    def _by_token(self, normalized: str) -> list[_Hit]:
        # Last resort for sentences like "semarang kota" or "purwokerto, jawa tengah":
        # exact hits on single words only, because fuzzy per-word matching would turn
        # arbitrary chatter into false suggestions.
        tokens = normalized.split()
        if len(tokens) < 2:
            return []
        kind = next((k for k in map(_PREFIXES.get, tokens) if k is not None), None)
        hits = [
            hit
            for token in tokens
            if len(token) >= _MIN_TOKEN_LEN and token not in _PREFIXES
            for hit in self._exact(token)
        ]
        return self._filter_kind(hits, kind)

    @staticmethod
    def _filter_kind(hits: list[_Hit], kind: Kind | None) -> list[_Hit]:
        if kind is None:
            return hits
        kept = [h for h in hits if h.entry.via_alias or h.entry.region.kind in (kind, None)]
        # A wrong prefix on an otherwise unique name ("kota klaten") should still find
        # it: the prefix only disambiguates, it never rules out the sole candidate.
        return kept or hits

    @staticmethod
    def _rank(hits: list[_Hit]) -> list[Region]:
        best: dict[str, _Hit] = {}
        for hit in hits:
            seen = best.get(hit.entry.region.id)
            if seen is None or hit.score > seen.score:
                best[hit.entry.region.id] = hit
        if not best:
            return []
        ordered = sorted(
            best.values(),
            key=lambda h: (-h.score, 0 if h.entry.region.kind == "kota" else 1, h.entry.order),
        )
        top = ordered[0].score
        return [h.entry.region for h in ordered if h.score >= top - _AMBIGUITY_MARGIN][:_MAX_CANDIDATES]


@functools.cache
def default_catalog() -> RegionCatalog:
    """The bundled catalog, parsed once per process."""
    return RegionCatalog.load()
