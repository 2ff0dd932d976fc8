"""What a running photo job's page costs beside the job: CPU of the browser and of the server.

    python bench/job_overhead.py [--apps . /path/to/other/checkout] [--seconds 90] [--repeats 2]

A zip of phone photos is uploaded on the Denoise page with `photo_color`, which hands it to the
background job: `--small` crops of 640 x 480 pixels, then two 12-megapixel photos (from the photos
of `bench/photo_zip_browser.py`, made there once and kept). Once the small ones are done (their
thumbnails shown, as in a long job's later part) and a big one is under way, with the job's tab in
front in one headless Chromium and nothing else going on, the CPU seconds each part used over
`--seconds` are read from /proc (`bench.harness.cpu_seconds` and `thread_seconds`): Chromium's
processes, and the server's threads (TensorFlow's two busiest, which run the job's model, apart from
the rest). Whatever the page's polling takes is taken from the job. `--apps` runs the same steps on
other checkouts (an older commit in a clone, say), alternating, `--repeats` times each: rows side by
side in one run.
"""

import argparse
import io
import os
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (CHROMIUM, CHROMIUM_ARGS, cpu_seconds, print_table, running_app,  # noqa: E402
                           thread_seconds)
from bench.photo_zip_browser import MODEL, open_denoise, photo_zip, upload  # noqa: E402


def job_zip(folder, small):
    """`small` 640 x 480 crops of the phone photos, then two whole ones, as zip bytes."""
    from PIL import Image

    zip_path, _, _ = photo_zip(6, folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(zip_path) as photos, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        names = photos.namelist()
        for number in range(small):
            with Image.open(io.BytesIO(photos.read(names[number % len(names)]))) as photo:
                crop = io.BytesIO()
                photo.crop((0, 0, 640, 480)).save(crop, format="JPEG", quality=90)
            archive.writestr(f"small_{number:02d}.jpg", crop.getvalue())
        for name in names[:2]:
            archive.writestr(name, photos.read(name))
    return buffer.getvalue()


def measure(root, zipped, small, seconds):
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="aestudio-job-overhead-")) / "streamlit.log"
    with running_app(log, root=root, AESTUDIO_HOSTED="0") as (url, server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_denoise(browser.new_context(viewport={"width": 1400, "height": 1000}), url)
        upload(page, "photos.zip", zipped, "application/zip")
        page.get_by_text("in the background").first.wait_for()
        page.get_by_text(re.compile(rf"^{small} of {small + 2} photos denoised")).first.wait_for()
        page.wait_for_timeout(5_000)
        threads, kinds = thread_seconds(server.pid), cpu_seconds(server.pid)
        started = time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.perf_counter() - started
        after_threads, after_kinds = thread_seconds(server.pid), cpu_seconds(server.pid)
        line = page.locator('[data-testid="stProgress"]').first.inner_text()
        browser.close()
    spent = sorted((after_threads[tid] - threads.get(tid, 0.0) for tid in after_threads), reverse=True)
    server_total = sum(spent)
    chromium = after_kinds.get("chromium", 0.0) - kinds.get("chromium", 0.0)
    per_minute = 60 / elapsed
    return [f"{chromium * per_minute:.1f}", f"{sum(spent[:2]) * per_minute:.1f}",
            f"{(server_total - sum(spent[:2])) * per_minute:.1f}", line.replace("\n", " ")[:80]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", nargs="+", type=Path, default=[Path(".")], help="checkouts of the app to run")
    parser.add_argument("--seconds", type=int, default=90, help="how long the CPU is read while the job runs")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--small", type=int, default=12,
                        help="small photos done before the CPU is read (5 or more: with the two big ones, more "
                             "photos than one view holds, so that the page starts a job)")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "aestudio-phone-photos")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    zipped = job_zip(args.folder, args.small)
    rows = []
    for repeat in range(args.repeats):
        for root in args.apps:
            row = [str(root), str(repeat + 1), *measure(root.resolve(), zipped, args.small, args.seconds)]
            print(" | ".join(row), file=sys.stderr, flush=True)
            rows.append(row)
    load = os.getloadavg()
    print(f"\n{args.small} photos of 640 x 480 and 2 of 12 MP in a zip, model {MODEL}; CPU seconds a minute over "
          f"{args.seconds} s; load average {load[0]:.1f} at the end on {os.cpu_count()} cores\n")
    print_table(["app", "run", "Chromium (CPU s/min)", "server: TensorFlow's two busiest threads (the job)",
                 "server: the rest", "the job's line at the end"], rows)


if __name__ == "__main__":
    main()
