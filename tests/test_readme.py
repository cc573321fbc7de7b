"""The README says only what is true: the quickstart as it is, commands that run from the virtualenv, and a
security section whose every promise names the tests that hold it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUICKSTART = (
    "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt . && .venv/bin/lapor-netral",
    "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt '.[test]' && .venv/bin/python -m pytest",
)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_quickstart_is_its_two_commands() -> None:
    commands = [line for line in section("Quickstart (two commands on a fresh machine)").splitlines() if "venv" in line]
    assert tuple(commands[:2]) == QUICKSTART


def test_no_bare_python_m_bot_where_the_quickstart_installs_into_the_virtualenv() -> None:
    # A bare `python -m bot` fails outside the virtualenv (issue 12 item 11): say which python.
    for name in ("README.md", ".env.example"):
        text = (ROOT / name).read_text(encoding="utf-8")
        bare = [
            m.start() for m in re.finditer(r"python -m bot\b", text) if not text[: m.start()].endswith(".venv/bin/")
        ]
        assert not bare, f"{name}: bare `python -m bot` at {[text[i - 30 : i + 20] for i in bare]}"


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_security_promise_names_tests_that_exist() -> None:
    text = section("Security and privacy")
    promises = re.split(r"\n- ", text)[1:]
    assert len(promises) >= 12
    named_tests: set[str] = set()
    for promise in promises:
        files = re.findall(r"`((?:tests|bench)/[\w/]+\.py)`", promise)
        assert any(f.startswith("tests/") for f in files), f"a promise without its test: {promise[:80]}"
        for file in files:
            assert (ROOT / file).is_file(), file
        named_tests |= {name for file in files if file.startswith("tests/") for name in _tests_in(ROOT / file)} & set(
            re.findall(r"`(test_\w+)`", promise)
        )
        for name in re.findall(r"`(test_\w+)`", promise):
            assert name in named_tests, f"{name} is in none of the files its promise names"


def test_the_date_examples_the_readme_gives_are_accepted_today() -> None:
    """Fixed example dates go stale and are then refused as over a year old (issue 12 item 2)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from handlers.common.when import parse_incident_date

    sentence = README[README.index("the date (") : README.index("refused)", README.index("the date ("))]
    examples = re.findall(r"`([^`]+)`", sentence)
    assert len(examples) >= 4
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()  # the bot's day: Western Indonesia Time
    for example in examples:
        assert parse_incident_date(example, today) <= today, example
