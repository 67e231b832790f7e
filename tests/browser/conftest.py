"""Fixtures of the browser tests: a real ``fourlinks serve`` (console built by `make console`)
on a free loopback port over an empty embedded store, the small city of tests/api as list
files (and a copy with one bad row), and pytest-playwright's page driving Debian's Chromium.
Without Chromium or the built console the tests skip locally and fail under CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "api"))

from apihelp import small_city  # noqa: E402
from console_harness import CHROMIUM, CHROMIUM_ARGS, Server, serve  # noqa: E402

from engine.lists import batch_to_lists  # noqa: E402

pytestmark = pytest.mark.browser


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing: run `make chromium`")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (ROOT / "console" / "dist" / "index.html").is_file():
        _missing("the console is not built: run `make console`")
    data = tmp_path_factory.mktemp("console-data")
    with serve(data) as s:
        yield s


@pytest.fixture(scope="session")
def city_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("city")
    return [p for p in batch_to_lists(small_city(), folder, fmt="csv").values() if p.exists()]


@pytest.fixture(scope="session")
def bad_city_files(city_files: list[Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The same files, with one demand of an unknown category (row 2 of 需求清单.csv)."""
    folder = tmp_path_factory.mktemp("bad-city")
    out = []
    for p in city_files:
        text = p.read_text(encoding="utf-8-sig")
        if p.name == "需求清单.csv":
            text = text.replace("健康义诊", "不存在的类别", 1)
        q = folder / p.name
        q.write_text(text, encoding="utf-8-sig")
        out.append(q)
    return out
