"""Many visitors at once: N Chromium sessions against one local `streamlit run`, every page each.

    python bench/load.py [--sessions 1 4 8] [--reruns 50] [--pretrained DIR] [--deadline 300]

Loopback only, bounded: each level stops at its deadline. For each level it prints the sessions,
page views, errors, wall time, and the server's resident memory after the run and at its peak.
With --reruns N, one more visitor reruns the Reconstructions page N times (a new noise seed each
time, so every rerun re-noises and reconstructs) and the server's memory is printed every 10
reruns: a leak shows as steady growth.
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


async def rerun_growth(url, process, reruns):
    from playwright.async_api import async_playwright

    samples = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(120_000)
        await page.goto(f"{url}/reconstructions")
        await page.locator(IDLE).wait_for()
        samples.append((0, *memory_mb(process.pid)))
        seed = page.get_by_label("Noise seed")
        for rerun in range(1, reruns + 1):
            await seed.fill(str(rerun))
            await seed.press("Enter")
            await page.wait_for_url(f"**seed={rerun}**")  # the page writes its settings into the link
            await page.locator(IDLE).wait_for()
            if rerun % 10 == 0:
                samples.append((rerun, *memory_mb(process.pid)))
        await browser.close()
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--pretrained", default=None, help="pretrained folder (default: the project's)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds allowed per level")
    parser.add_argument("--reruns", type=int, default=0, help="reruns of the Reconstructions page to watch")
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
        if args.reruns:
            samples = asyncio.run(asyncio.wait_for(rerun_growth(url, process, args.reruns), args.deadline))
            print("\n| reruns of Reconstructions | server RSS (MB) | server peak RSS (MB) |")
            print("|---|---|---|")
            for rerun, rss, peak in samples:
                print(f"| {rerun} | {rss:.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
