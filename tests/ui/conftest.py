"""Browser tests: Playwright driving Debian's Chromium against a live server loaded with demo data.

Chromium is the system's (``/usr/bin/chromium``, installed by ``.ci/run`` with apt-get; another one with
``TOKENTRAIL_CHROMIUM``). Screenshots of every page land in ``test-output/screenshots/`` for review.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import LiveServer, start_server
from tokentrail.demo import send_demo
from tokentrail.store.database import Store

CHROMIUM = os.environ.get("TOKENTRAIL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
_databases = itertools.count(1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # One per module, not per session: while Playwright runs, its event loop holds the main thread, and a
    # test of another module that calls asyncio.run in the same process (pytest-xdist mixes modules in a
    # worker) would find a loop already running.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def demo_server(chdb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per test module, with four demo sessions of three turns (seeded, so repeatable)."""
    store = Store(chdb_url, f"ui_{os.getpid()}_{next(_databases)}")
    try:
        for server in start_server(store, tmp_path_factory.mktemp("ui")):
            send_demo(server.url, sessions=4, turns=3, seed=7)
            server.settle()
            yield server
    finally:
        store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
        store.close()


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
