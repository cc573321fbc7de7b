"""The dashboard's map: every kabupaten/kota as one tile of a grid, shaded by its number of reports.

A tile grid rather than borders: each region gets the same area whatever its size (Kota Magelang is as
legible as Cilacap), the file is a few kilobytes the bot draws itself, and nothing comes from a tile
server. Cities are round tiles, regencies square. The layout is data beside the region catalog; a
catalog for another province without a layout gets its regions in rows, in catalog order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from typing import Final

from handlers.common.regions import RegionCatalog
from locales import t, tn

TILE: Final = 34
GAP: Final = 3
LEGEND_HEIGHT: Final = 46
# Light to dark; zero is grey, so "no reports" never reads as "few".
SHADES: Final = ("#fde3cf", "#f9bf93", "#f29259", "#dc5a2e", "#a8321a")
EMPTY: Final = "#e9edf1"
DARK_TEXT: Final = "#1d2733"
_LAYOUT_FILE: Final = "jawa_tengah_tiles.json"


@dataclass(frozen=True, slots=True)
class Tile:
    region_id: str
    name: str
    label: str
    column: int
    row: int
    city: bool


@cache
def _bundled_layout() -> dict[str, list[object]]:
    text = resources.files("handlers.miniapp").joinpath("data", _LAYOUT_FILE).read_text(encoding="utf-8")
    tiles: dict[str, list[object]] = json.loads(text)["tiles"]
    return tiles


def tiles(regions: RegionCatalog) -> list[Tile]:
    """Every region of the catalog placed on the grid (the bundled layout, then rows for the rest)."""
    layout = _bundled_layout()
    placed: list[Tile] = []
    rest = []
    for region in regions.regions:
        spot = layout.get(region.id)
        city = region.kind == "kota"
        if spot is not None:
            column, row, label = int(str(spot[0])), int(str(spot[1])), str(spot[2])
            placed.append(Tile(region.id, region.name, label, column, row, city))
        else:
            rest.append(region)
    columns = max((tile.column for tile in placed), default=10) + 1
    first_free = max((tile.row for tile in placed), default=-1) + 1
    for n, region in enumerate(rest):
        label = region.name.split()[-1][:3].upper()
        placed.append(
            Tile(region.id, region.name, label, n % columns, first_free + n // columns, region.kind == "kota")
        )
    return placed


def shade_breaks(highest: int) -> tuple[int, ...]:
    """The lowest count of each shade: one shade per count up to five, then five even steps."""
    if highest <= len(SHADES):
        return tuple(range(1, len(SHADES) + 1))
    step = highest / len(SHADES)
    return tuple(max(1, int(step * n) + 1) if n else 1 for n in range(len(SHADES)))


def shade(count: int, breaks: tuple[int, ...]) -> str:
    if count <= 0:
        return EMPTY
    index = max(n for n, low in enumerate(breaks) if count >= low)
    return SHADES[index]


def tile_map_svg(counts: dict[str, int], regions: RegionCatalog, locale: str) -> str:
    """The map as an SVG document: a tile per region with its count, and the legend under it."""
    grid = tiles(regions)
    columns = max(tile.column for tile in grid) + 1
    rows = max(tile.row for tile in grid) + 1
    width = columns * (TILE + GAP) - GAP
    height = rows * (TILE + GAP) - GAP + LEGEND_HEIGHT
    breaks = shade_breaks(max(counts.values(), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(t(locale, "miniapp.map_title"))}" font-family="sans-serif">',
    ]
    for tile in grid:
        count = counts.get(tile.region_id, 0)
        x, y = tile.column * (TILE + GAP), tile.row * (TILE + GAP)
        fill = shade(count, breaks)
        ink = "#ffffff" if fill in SHADES[3:] else DARK_TEXT
        radius = TILE / 2 if tile.city else 4
        title = tn(locale, "miniapp.map_tile", count, name=tile.name, count=count)
        parts.append(
            f'<g class="tile" data-region="{escape(tile.region_id)}" data-count="{count}">'
            f"<title>{escape(title)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="{radius}" fill="{fill}"'
            f' stroke="#8a96a3" stroke-width="0.6"/>'
            f'<text x="{x + TILE / 2}" y="{y + 14}" font-size="9" text-anchor="middle" fill="{ink}">'
            f"{escape(tile.label)}</text>"
            f'<text x="{x + TILE / 2}" y="{y + 27}" font-size="11" font-weight="bold" text-anchor="middle"'
            f' fill="{ink}">{count}</text></g>'
        )
    legend_y = rows * (TILE + GAP) + 6
    lows = (0, *breaks)
    highs = (*breaks, None)
    swatch = 26
    for n, fill in enumerate((EMPTY, *SHADES)):
        low, high = lows[n], highs[n]
        label = str(low) if high is None or high - 1 <= low else f"{low}–{high - 1}"
        if high is None:
            label = f"{low}+"
        x = n * (swatch + 20)
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="{swatch}" height="12" rx="2" fill="{fill}" stroke="#8a96a3"'
            f' stroke-width="0.6"/><text x="{x + swatch + 2}" y="{legend_y + 10}" font-size="9" fill="{DARK_TEXT}">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text x="0" y="{legend_y + 32}" font-size="9" fill="{DARK_TEXT}">'
        f"{escape(t(locale, 'miniapp.map_legend'))}</text></svg>"
    )
    return "".join(parts)
