"""README's layout table names every product package, and names none that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "handlers", "storage", "locales")


def packages() -> set[str]:
    found = set()
    for top in PRODUCT:
        for init in (ROOT / top).rglob("__init__.py"):
            folder = init.parent.relative_to(ROOT).as_posix()
            if folder != "handlers" and "migrations" not in folder:  # handlers/ is only its subpackages
                found.add(folder + "/")
    return found


def test_the_layout_table_matches_the_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout") :]
    named = {m for m in re.findall(r"^\| `([a-z/_]+/)` \|", table, flags=re.M)}
    assert packages() - named == set(), "packages missing from README's layout table"
    assert {n for n in named if n.split("/")[0] in PRODUCT} - packages() == set(), "the table names a ghost"
