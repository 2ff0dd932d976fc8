"""Many visitors at once: N Chromium sessions against one local `streamlit run`, every page each.

    python bench/load.py [--sessions 1 4 8] [--pretrained DIR] [--deadline 300]

Loopback only, bounded: each level stops at its deadline. For each level it prints the sessions,
page views, errors, wall time, and the server's resident memory after the run and at its peak.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, memory_mb, running_app  # noqa: E402

PAGES = ["", "train", "latent", "reconstructions", "denoise", "linear-pca"]


async def visitor(browser, url, errors):
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(120_000)
    views = 0
    try:
        for path in PAGES:
            await page.goto(f"{url}/{path}")
            await page.locator(IDLE).wait_for()
            if await page.locator('[data-testid="stException"]').count() or \
                    "Something went wrong" in await page.inner_text("body"):
                errors.append(f"/{path}: the page shows an error")
            views += 1
    except Exception as error:  # a timeout or a crash is what this script counts
        errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
    finally:
        await page.close()
    return views


async def load_level(url, sessions, deadline):
    from playwright.async_api import async_playwright

    errors = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        started = time.perf_counter()
        try:
            views = await asyncio.wait_for(
                asyncio.gather(*(visitor(browser, url, errors) for _ in range(sessions))), deadline)
        except asyncio.TimeoutError:
            views, errors = [0], errors + [f"deadline of {deadline} s reached"]
        seconds = time.perf_counter() - started
        await browser.close()
    return sum(views), errors, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--pretrained", default=None, help="pretrained folder (default: the project's)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds allowed per level")
    args = parser.parse_args()
    environment = {"AESTUDIO_PRETRAINED_DIR": args.pretrained} if args.pretrained else {}
    log = Path(tempfile.mkdtemp(prefix="aestudio-load-")) / "streamlit.log"
    print("| sessions | page views | errors | seconds | server RSS after (MB) | server peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    with running_app(log, **environment) as (url, process):
        for sessions in args.sessions:
            views, errors, seconds = asyncio.run(load_level(url, sessions, args.deadline))
            rss, peak = memory_mb(process.pid)
            print(f"| {sessions} | {views} / {sessions * len(PAGES)} | {len(errors)} | {seconds:.1f} | {rss:.0f} | {peak:.0f} |")
            for error in errors[:5]:
                print(f"  - {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
