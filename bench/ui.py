"""Web UI speed with 1,000,000 spans loaded: every page's HTML, and a 2,000-span trace page in a browser.

Loads synthetic spans (``stored_spans.py``: ten-span traces over the last week plus one trace of 2,000
spans) into a fresh embedded store, starts the real app on loopback and times each page's HTML end to end
(HTTP, the API functions, SQL, templates), median of 5 after a warm-up; then opens the 2,000-span trace
page in Chromium (Playwright, Debian's ``/usr/bin/chromium``) and times it from navigation to a rendered,
scripted page (``load`` event, tree and waterfall laid out). The baseline, measured in the same run on the
same data: one plain ClickHouse scan, ``SELECT count(), sum(cost_total) FROM spans``.

    python bench/ui.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from stored_spans import load, median_ms, serve
from tokentrail.store.database import Store

HTML_TARGET_MS = 300
BROWSER_TARGET_MS = 1000
BIG_TRACE_SPANS = 2000
CHROMIUM = os.environ.get("TOKENTRAIL_CHROMIUM", "/usr/bin/chromium")


def _browser_ms(url: str, repeat: int) -> float:
    """Navigation start to the end of the load event, with the tree laid out, median of ``repeat``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        samples = []
        for _ in range(repeat + 1):
            page.goto(url, wait_until="load")
            rows = page.locator('[role="treeitem"]').count()
            if rows != BIG_TRACE_SPANS:
                sys.exit(f"the trace page shows {rows} spans, not {BIG_TRACE_SPANS}")
            # Layout is forced by reading a box, so the figure includes it.
            samples.append(
                page.evaluate(
                    "() => { document.querySelector('#tree').getBoundingClientRect();"
                    " return performance.now() - performance.getEntriesByType('navigation')[0].startTime; }"
                )
            )
        browser.close()
    return statistics.median(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        big = load(store, Path(data_dir) / "wal", args.spans, big_trace_spans=BIG_TRACE_SPANS)
        server, url = serve(store, Path(data_dir))
        client = httpx.Client(base_url=url, timeout=60)
        deep_span = client.get(f"/api/v1/traces/{big}", params={"payloads": "false"}).json()["spans"][-1][
            "span_id"
        ]
        some_session = client.get("/api/v1/sessions", params={"limit": 1}).json()["sessions"][0]["session_id"]
        pages = {
            "traces list": "/traces",
            "traces list, by cost, 7 days": "/traces?range=7d&sort=cost",
            "traces list, text search": "/traces?q=refund&range=24h",
            "trace page, 2,000 spans": f"/traces/{big}",
            "span detail panel": f"/traces/{big}/spans/{deep_span}",
            "sessions": "/sessions",
            "session page": f"/sessions/{some_session}",
            "costs, 7 days": "/costs?range=7d",
            "costs panel by kind, 7 days": "/costs/panels/kinds?range=7d",
            "costs panel top sessions, 7 days": "/costs/panels/sessions?range=7d",
            "costs panel top users, 7 days": "/costs/panels/users?range=7d",
            "errors, 7 days": "/errors?range=7d",
        }

        def get(path: str) -> None:
            response = client.get(path)
            # Pages have a <main>; the span panel and the costs panels are fragments put into their page.
            fragment = ("<main", "<article", "<section")
            if response.status_code != 200 or not any(tag in response.text for tag in fragment):
                sys.exit(f"{path}: {response.status_code} {response.text[:300]}")

        baseline = median_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), args.repeat)
        html = {name: median_ms(lambda path=path: get(path), args.repeat) for name, path in pages.items()}
        browser = _browser_ms(f"{url}/traces/{big}", args.repeat)
        server.should_exit = True
        client.close()
    report = {
        "spans": args.spans,
        "baseline_full_scan_ms": round(baseline, 1),
        "html": {
            name: {
                "median_ms": round(ms, 1),
                "x_baseline": round(ms / baseline, 1),
                "meets_target": ms < HTML_TARGET_MS,
            }
            for name, ms in html.items()
        },
        "browser_trace_page_2000_spans": {
            "median_ms": round(browser, 1),
            "x_baseline": round(browser / baseline, 1),
            "meets_target": browser < BROWSER_TARGET_MS,
        },
        "targets_ms": {"html": HTML_TARGET_MS, "browser": BROWSER_TARGET_MS},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
