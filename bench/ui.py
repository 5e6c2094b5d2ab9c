"""Web UI speed with 1,000,000 spans loaded: every page's HTML, a 2,000-span trace page in a browser, and
traces of 20,000 and 100,000 spans opened and expanded in a browser.

Loads synthetic spans (``stored_spans.py``: ten-span traces over the last week plus one flat trace of 2,000
spans, and nested traces of 100, 20,000 and 100,000 spans) into a fresh embedded store, starts the real
app on loopback and times each page's HTML end to end (HTTP, the API functions, SQL, templates), median of
5 after a warm-up; then, in Chromium (Playwright, Debian's ``/usr/bin/chromium``):

- the 2,000-span trace page from navigation to a rendered, scripted page (``load`` event, tree and
  waterfall laid out);
- each nested trace's first paint, navigation to its first rows laid out: once on a server that has not
  read the trace yet (cold), then the median of 5 more (the server keeps a built tree while the trace is
  unchanged), each navigation once what the last one loaded after its page is done;
- expanding a collapsed subtree of each large trace: the click to its children laid out (their page
  fetched from ``/api/v1/traces/{id}/children``), median of 5.

Two baselines, measured in the same run on the same data: one plain ClickHouse scan, ``SELECT count(),
sum(cost_total) FROM spans``; and the (warm) first paint of the 100-span trace.

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

from stored_spans import load, load_nested_trace, median_ms, serve
from tokentrail.store.database import Store

HTML_TARGET_MS = 300
BROWSER_TARGET_MS = 1000
BIG_TRACE_SPANS = 2000
#: Nested traces opened in the browser (the first is the baseline of the others' first paint).
NESTED_TRACES = (100, 20_000, 100_000)
FIRST_PAINT_TARGET_MS = 2000
EXPAND_TARGET_MS = 200
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


# Milliseconds from navigation to the first row of the tree laid out.
_FIRST_PAINT = """() => { document.querySelector('#tree [role="treeitem"]').getBoundingClientRect();
  return performance.now() - performance.getEntriesByType('navigation')[0].startTime; }"""
# Milliseconds from a click on a collapsed row's toggle to its children laid out.
_EXPAND = """(spanId) => new Promise((resolve) => {
  const tree = document.getElementById('tree');
  const expanded = () => tree.querySelector(`[data-span-id="${spanId}"][aria-expanded="true"] + li`);
  const started = performance.now();
  const observer = new MutationObserver(() => {
    const child = expanded();
    if (!child) return;
    observer.disconnect();
    child.getBoundingClientRect();
    resolve(performance.now() - started);
  });
  observer.observe(tree, { childList: true, subtree: true, attributes: true });
  tree.querySelector(`[data-span-id="${spanId}"] .toggle`).click();
})"""


def _large_trace_ms(url: str, repeat: int) -> dict[str, float]:
    """A trace page's first paint, cold (the server's first read of the trace) and warm (median of
    ``repeat``); and expanding a collapsed subtree, median of ``repeat``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        paints = []
        for _ in range(repeat + 1):
            page.goto(url, wait_until="commit", timeout=120_000)
            page.wait_for_selector('#tree [role="treeitem"]', timeout=120_000)
            paints.append(page.evaluate(_FIRST_PAINT))
            # What loads after the page (a large trace's blowup section) is done before the next
            # navigation, so each first paint meets a server that is not still serving the last one.
            page.wait_for_load_state("networkidle", timeout=120_000)
        expands = []
        collapsed = page.locator('#tree [aria-expanded="false"]')
        span_id = collapsed.first.get_attribute("data-span-id") if collapsed.count() else None
        for _ in range(repeat if span_id else 0):
            expands.append(page.evaluate(_EXPAND, span_id))
            page.locator(f'#tree [data-span-id="{span_id}"] .toggle').click()  # collapsed again
        browser.close()
    return {
        "cold": paints[0],
        "warm": statistics.median(paints[1:]),
        "expand": statistics.median(expands) if expands else 0.0,
    }


def _ratios(ms: float, baseline: float, small_trace: float, target: float) -> dict[str, object]:
    return {
        "median_ms": round(ms, 1),
        "x_baseline": round(ms / baseline, 1),
        "x_100_span_trace": round(ms / small_trace, 2),
        "meets_target": ms < target,
    }


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
        nested = {
            count: load_nested_trace(store, Path(data_dir) / f"wal-{count}", count, seed=count)
            for count in NESTED_TRACES
        }
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
        large = {
            count: _large_trace_ms(f"{url}/traces/{trace}", args.repeat) for count, trace in nested.items()
        }
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
        "baseline_first_paint_100_span_trace_ms": round(large[NESTED_TRACES[0]]["warm"], 1),
        "large_traces": {
            f"{count:,} spans": {
                "first_paint_cold": _ratios(
                    times["cold"], baseline, large[NESTED_TRACES[0]]["warm"], FIRST_PAINT_TARGET_MS
                ),
                "first_paint_warm": _ratios(
                    times["warm"], baseline, large[NESTED_TRACES[0]]["warm"], FIRST_PAINT_TARGET_MS
                ),
                "expand_subtree": _ratios(
                    times["expand"], baseline, large[NESTED_TRACES[0]]["warm"], EXPAND_TARGET_MS
                ),
            }
            for count, times in large.items()
            if count != NESTED_TRACES[0]
        },
        "targets_ms": {
            "html": HTML_TARGET_MS,
            "browser": BROWSER_TARGET_MS,
            "first_paint": FIRST_PAINT_TARGET_MS,
            "expand": EXPAND_TARGET_MS,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
