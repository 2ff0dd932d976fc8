"""Pages stay quick while visitors train: page open times in Chromium with 0, 1 and 2 conv runs going.

    python bench/responsive.py [--opens 3] [--runs 0 1 2]

One `streamlit run` on loopback (default mode: one run per core at most). For each level, that
many visitors start a conv run on the Train page (50 epochs, so it outlasts the level), then
another visitor opens Home and Reconstructions `--opens` times each in a fresh tab; a page is open
when Streamlit has finished its script and the page's title is shown. Prints the median and the
slowest open per page, and each run's progress line (its speed) once the opens are done.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, running_app  # noqa: E402

PAGES = [("", "Autoencoder Studio"), ("reconstructions", "Reconstructions")]


def start_conv_run(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)
    page.goto(f"{url}/train")
    page.locator(IDLE).wait_for()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Architecture").click()
    page.get_by_role("option", name=re.compile("^conv:")).click()
    page.locator(IDLE).wait_for()
    epochs = page.get_by_role("slider").first
    epochs.focus()
    epochs.press("End")
    page.locator(IDLE).wait_for()
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Stop").wait_for()
    return page


def progress_line(trainer):
    """The run's progress line on its Train page (epoch, images/s), as the visitor sees it."""
    return " ".join(trainer.get_by_text(re.compile("images/s")).first.inner_text().split())


def open_time(browser, url, path, title):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)
    started = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=title).first.wait_for()
    page.locator(IDLE).wait_for()
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3, help="opens of each page per level")
    parser.add_argument("--runs", type=int, nargs="+", default=[0, 1, 2], help="training runs going at once")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="aestudio-responsive-")) / "streamlit.log"
    print("| conv runs training | page | opens | median open (s) | slowest open (s) | each run's progress line after the opens |")
    print("|---|---|---|---|---|---|")
    with running_app(log, AESTUDIO_HOSTED="0") as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path, title in PAGES:  # warm: models and data loaded once, as on a server that has been up a while
            open_time(browser, url, path, title)
        for runs in args.runs:
            trainers = [start_conv_run(browser, url) for _ in range(runs)]
            time.sleep(10 if runs else 0)  # past the runs' first epoch set-up, as on a server where they are going
            for path, title in PAGES:
                times = [open_time(browser, url, path, title) for _ in range(args.opens)]
                speeds = "; ".join(progress_line(trainer) for trainer in trainers) or "-"
                print(f"| {runs} | /{path} | {len(times)} | {statistics.median(times):.1f} | {max(times):.1f} | {speeds} |",
                      flush=True)
            for trainer in trainers:
                trainer.get_by_role("button", name="Stop").click()
                trainer.get_by_role("button", name="Stop").wait_for(state="detached", timeout=300_000)
                trainer.close()
        browser.close()


if __name__ == "__main__":
    main()
