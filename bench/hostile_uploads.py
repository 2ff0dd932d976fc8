"""Hostile uploads on every page that takes files, with another visitor opening a page meanwhile.

    python bench/hostile_uploads.py [--cases many-members five-zips big-pngs] [--pages denoise anomaly ...]
                                    [--decode-niceness 10]

One `streamlit run` on loopback (the shipped models), two Chromiums. For each upload page and each
case, a visitor uploads the case's files (the seconds the upload takes, in playwright and the
browser, are printed apart from the seconds the page then runs); while the page runs, a second
visitor (in a second Chromium) opens the home page again and again, each open timed until
Streamlit is idle. The
server's resident memory is read before the upload, sampled every 50 ms during it (with the kernel's
high-water mark) and read again after: the upload's page is closed and the server gets 5 s.

Cases: `many-members`, one 29 MB zip of 300,000 empty text files; `five-zips`, five zips of 5,000
empty text files each; `big-pngs`, a zip of three 50-megapixel 16-bit PNGs (8192 x 6144, smooth,
so they compress under the 20 MB an image may have). Pages that take one file get the first one.
Prints one table: seconds until the page is idle, the first refusal it shows, memory before / at the
peak / after, the home page's time with no upload going on, and the other visitor's page-open times
during the upload (median and slowest), and where the CPU went meanwhile (`bench.harness.cpu_seconds`:
the server's threads by nice value, Chromium, the rest). With several
`--decode-niceness` values (`AECORE_DECODE_NICENESS`: the priority of the threads that decode big
images; 0 is the visitor's own) or `--file-watcher` values (Streamlit's source watcher, off in the
app's config), one fresh server for each, rows side by side.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (CHROMIUM, CHROMIUM_ARGS, IDLE, cpu_seconds, cpu_used_between, memory_mb,  # noqa: E402
                           print_table, running_app)
from bench.load import MemorySampler  # noqa: E402

PAGES = {"denoise": "denoise", "denoise-photo": "denoise?model=d_photo_color", "anomaly": "anomaly",
         "search": "search", "completion": "completion"}
SINGLE_FILE = {"search", "completion"}


def empty_members_zip(count):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(count):
            archive.writestr(f"note_{number:06d}.txt", b"")
    return buffer.getvalue()


def big_pngs_zip(count=3, width=8192, height=6144):
    import cv2

    y, x = np.mgrid[0:height, 0:width]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            image = np.stack([(x * (7 + number) + y * 3) % 65536, (x + y * (5 + number)) % 65536,
                              (x * 2 + y * 2) % 65536], -1).astype(np.uint16)
            encoded = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])[1]
            archive.writestr(f"big_{number}.png", encoded.tobytes())
    return buffer.getvalue()


def cases(names):
    made = {}
    if "many-members" in names:
        made["300,000 empty files in a zip"] = [("many.zip", empty_members_zip(300_000))]
    if "five-zips" in names:
        one = empty_members_zip(5_000)
        made["five zips of 5,000 empty files"] = [(f"part{number}.zip", one) for number in range(5)]
    if "big-pngs" in names:
        made["three 50 MP 16-bit PNGs in a zip"] = [("big.zip", big_pngs_zip())]
    return made


def open_home(context, url):
    """Seconds until another visitor's home page has run its script."""
    page = context.new_page()
    page.set_default_timeout(300_000)
    started = time.perf_counter()
    page.goto(url)
    page.locator(IDLE).wait_for()
    page.get_by_role("heading", name="Autoencoder Studio").wait_for()
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def first_warning(page):
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    if not warnings.count():
        return "(none)"
    return warnings.first.inner_text().replace("\u2060", "").splitlines()[0][:90]


def run_case(browser, other_browser, url, process, page_name, files):
    uploader_context, other_context = browser.new_context(), other_browser.new_context()
    page = uploader_context.new_page()
    page.set_default_timeout(600_000)
    page.goto(f"{url}/{PAGES[page_name]}")
    page.locator(IDLE).wait_for()
    open_home(other_context, url)  # the other visitor's first visit warms the server's caches
    quiet_before = cpu_seconds(process.pid)
    quiet = statistics.median(open_home(other_context, url) for _ in range(3))  # the same, with no upload
    quiet_cpu = cpu_used_between(quiet_before, cpu_seconds(process.pid))
    payload = [{"name": name, "mimeType": "application/zip", "buffer": data} for name, data in files]
    opens = []
    cpu_before = cpu_seconds(process.pid)
    with MemorySampler(process.pid) as memory:
        started = time.perf_counter()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            payload[:1] if page_name in SINGLE_FILE else payload)
        page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                               ".getAttribute('data-test-script-state') === 'running'", timeout=600_000)
        running = time.perf_counter()
        while page.locator(IDLE).count() == 0:
            opens.append(open_home(other_context, url))
        seconds = time.perf_counter() - running, running - started
    cpu = cpu_used_between(cpu_before, cpu_seconds(process.pid))
    shown = "error" if page.locator('[data-testid="stException"]').count() else first_warning(page)
    page.close()
    uploader_context.close()
    other_context.close()
    time.sleep(5)
    after = memory_mb(process.pid)[0]
    return seconds, shown, memory.before, memory.peak, after, opens, (quiet, quiet_cpu), cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["many-members", "five-zips", "big-pngs"])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--decode-niceness", nargs="+", default=["10"])
    parser.add_argument("--file-watcher", nargs="+", default=["none"], choices=["none", "auto"],
                        help="Streamlit's server.fileWatcherType for the server (none is the app's config)")
    parser.add_argument("--one-browser", action="store_true",
                        help="the other visitor in a second context of the uploader's Chromium (as before 2026-12-05)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    made = cases(args.cases)
    rows = []
    servers = [(niceness, watcher) for niceness in args.decode_niceness for watcher in args.file_watcher]
    for niceness, watcher in servers:
        log = Path(tempfile.mkdtemp(prefix="aestudio-hostile-")) / "streamlit.log"
        with running_app(log, AECORE_DECODE_NICENESS=niceness, STREAMLIT_SERVER_FILE_WATCHER_TYPE=watcher) as (
                url, process), sync_playwright() as playwright:
            # two browsers, as two visitors have (one Chromium's browser process would serve both tabs)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            other_browser = (browser if args.one_browser
                             else playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
            for label, files in made.items():
                for page_name in args.pages:
                    seconds, shown, before, peak, after, opens, quiet, cpu = run_case(browser, other_browser, url,
                                                                                      process, page_name, files)
                    rows.append([str(value) for value in [
                        niceness, watcher, page_name, label, f"{seconds[0]:.1f}", f"{seconds[1]:.1f}", shown,
                        f"{before:.0f}", f"{peak:.0f}", f"{after:.0f}", f"{after - before:+.0f}", f"{quiet[0]:.1f}",
                        quiet[1], len(opens),
                        f"{statistics.median(opens):.1f} / {max(opens):.1f}" if opens else "-", cpu]])
                    print(" | ".join(rows[-1]), flush=True)
            browser.close()
            if other_browser is not browser:
                other_browser.close()
    print()
    print_table(["decode niceness", "file watcher", "page", "upload", "page's seconds", "upload's seconds",
                 "first refusal shown", "RSS before (MB)", "peak (MB)", "after (MB)", "after - before",
                 "home page alone (s, median of 3)", "CPU of those 3 opens", "other visitor's opens meanwhile",
                 "their seconds (median / slowest)",
                 "CPU used from the upload until the page is idle"], rows)


if __name__ == "__main__":
    main()
