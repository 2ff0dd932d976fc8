"""The Denoise page in Chromium with phone photos: a zip of 12-megapixel JPEGs as a background job, and one on its own.

    nice -n 5 python bench/photo_zip_browser.py [--photos 20] [--port 8611] [--zooms 5] [--hosted]

The photos are the wallpaper photographs (`aecore.photos.find_photos`, in turn), each scaled and
cropped to 4000 x 3000, given a camera's noise (`aecore.degrade.camera_noise` at its "low" level:
shot and read noise in linear light on a Bayer mosaic) and saved as a 4:2:0 JPEG of quality 90, as
phones save them (a lower quality, down to 80, where a photo would not fit its share of the 50 MB
upload limit). They go to a temporary folder, kept for the next run.

One `streamlit run` on loopback (default mode, or hosted mode with `--hosted`, where each photo is
scaled to 4.2 megapixels first; `--server.headless true`) and one Chromium visitor
with two tabs on the Denoise page with `photo_color`. The server's memory is the resident memory
(VmRSS) of the server process and its children, sampled every 0.5 s for the peaks (the kernel's
high-water mark of the server process counts too); "idle" is with the photo model loaded (a small
photo was denoised first), each "after" is read once the memory has been still for 15 s.

1. One photo on its own, the interactive path (first tab): the peak while it is denoised, then the
   time a move of the 1:1 zoom's Across slider takes to show a new crop (from the key press until the
   crop's image has a new source and has loaded, Streamlit's slider debounce included), then the
   memory after the upload is removed.
2. The zip in a second tab, the background job: the time until all N photos are done and offered in
   one download; that download, its PNGs counted and their size checked; the peaks while the job runs
   and while the download is made; the memory after the job ends and after both tabs' uploads are
   removed. Meanwhile the first tab shows the single photo again and its zoom is timed while the job
   runs (every `--zoom-every` seconds, as a visitor looks now and then) and after it ends.
"""

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (CHROMIUM, CHROMIUM_ARGS, IDLE, cpu_seconds, cpu_used_between, memory_mb,  # noqa: E402
                           print_table, running_app)
from bench.load import MemorySampler  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
MODEL = "photo_color"
SETTLE_SECONDS = 15
ZOOM_LIMIT = 60  # a zoom move slower than this counts as this
CROP_SOURCE = """() => {
    const panel = [...document.querySelectorAll('[role="tabpanel"]')]
        .find(panel => panel.offsetParent !== null && panel.innerText.includes('Across'));
    const image = panel && panel.querySelector('[data-testid="stImage"] img');
    return image && image.complete && image.naturalWidth > 0 ? image.src : null;
}"""


def phone_photo(path, rng, budget_bytes):
    """The photo at `path` as a noisy 4000 x 3000 phone JPEG of at most `budget_bytes`: (bytes, quality)."""
    from aecore.degrade import CAMERA_LEVELS, camera_noise, read_noise_for
    from aecore.photos import read_photo

    picture = Image.fromarray(read_photo(path, max_side=WIDTH))
    scale = max(WIDTH / picture.width, HEIGHT / picture.height)
    picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS)
    left, top = (picture.width - WIDTH) // 2, (picture.height - HEIGHT) // 2
    clean = np.asarray(picture.crop((left, top, left + WIDTH, top + HEIGHT)), np.float32) / 255
    shot = CAMERA_LEVELS["low"]
    noisy = Image.fromarray(np.round(np.clip(camera_noise(clean, shot, read_noise_for(shot), rng), 0, 1) * 255)
                            .astype(np.uint8))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Benchphone", "12 MP"  # Make, Model
    for quality in range(90, 79, -2):
        buffer = io.BytesIO()
        noisy.save(buffer, format="JPEG", quality=quality, subsampling="4:2:0", exif=exif)
        if buffer.tell() <= budget_bytes:
            break
    return buffer.getvalue(), quality


def photo_zip(count, folder):
    """A zip of `count` phone photos in `folder` (made once, then reused): (path, first photo's bytes, qualities)."""
    from aecore.images import MAX_UPLOAD_BYTES
    from aecore.photos import find_photos

    path = folder / f"phone_photos_{count}.zip"
    qualities = folder / f"phone_photos_{count}.qualities"
    if not path.is_file():
        sources = find_photos(validation=True) + find_photos()
        rng, found = np.random.default_rng(0), []
        budget = int(MAX_UPLOAD_BYTES * 0.98) // count - 200  # room for the zip's headers
        with zipfile.ZipFile(folder / f"phone_photos_{count}.partial", "w", zipfile.ZIP_STORED) as archive:
            for number in range(count):
                data, quality = phone_photo(sources[number % len(sources)], rng, budget)
                archive.writestr(f"DCIM/IMG_{number + 1:04d}.jpg", data)
                found.append(quality)
                print(f"  photo {number + 1} of {count}: {len(data) / 1e6:.2f} MB, quality {quality}", file=sys.stderr)
        qualities.write_text(" ".join(map(str, found)))
        (folder / f"phone_photos_{count}.partial").rename(path)
    with zipfile.ZipFile(path) as archive:
        first = archive.read(archive.namelist()[0])
    return path, first, [int(q) for q in qualities.read_text().split()]


def server_pids(pid):
    """`pid` and its children, grandchildren and so on."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += server_pids(int(child))
    return found


def server_mb(pid):
    """Resident memory (MB) of the server process and its children."""
    total = 0.0
    for each in server_pids(pid):
        try:
            total += memory_mb(each)[0]
        except (OSError, KeyError):  # a child that just ended
            pass
    return total


class ServerSampler(MemorySampler):
    """`bench.load.MemorySampler` over the server and its children, every 0.5 s."""

    def __init__(self, pid):
        super().__init__(pid, every=0.5)

    def sample(self):
        while self.running:
            self.peak = max(self.peak, server_mb(self.pid))
            time.sleep(self.every)


def settled_mb(page, pid, seconds=SETTLE_SECONDS):
    """The server's memory once it has been left alone for `seconds` (the page's polls go on meanwhile)."""
    page.wait_for_timeout(seconds * 1000)
    return server_mb(pid)


def wait_until_idle(page):
    page.locator(IDLE).wait_for()


def upload(page, name, data, mime):
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": name, "mimeType": mime, "buffer": data})


def remove_uploads(page):
    """Press the uploader's remove button on every file, as a visitor clears the page."""
    buttons = page.locator('[data-testid="stFileChipDeleteBtn"] button')
    while buttons.count():
        buttons.first.click()
        page.wait_for_timeout(300)
        wait_until_idle(page)


def open_denoise(context, url):
    page = context.new_page()
    page.set_default_timeout(1_800_000)  # a 12 MP photo in float32 on a busy 2-core CPU: over 10 minutes
    page.goto(f"{url}/denoise?model={MODEL}")
    page.get_by_role("heading", name="Denoise your images").wait_for()
    wait_until_idle(page)
    return page


def check_connection(page):
    """Stop the run when the page shows Streamlit's connection error (it is dead until reloaded)."""
    dialog = page.get_by_text("Connection error")
    if dialog.count():
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "aestudio-connection-error.png"), full_page=True)
        raise SystemExit(f"the page shows a connection error: {page.locator('[role=dialog]').first.inner_text()}")


def denoise_one(page, name, data):
    """Upload one photo and wait for its result; the seconds it took."""
    started = time.perf_counter()
    upload(page, name, data, "image/jpeg")
    page.get_by_text("Denoised 1 photo").wait_for()
    wait_until_idle(page)
    check_connection(page)
    return time.perf_counter() - started


def zoom_seconds(page, key, limit=ZOOM_LIMIT):
    """Seconds from pressing `key` on the 1:1 zoom's Across slider until the crop shown is a new one (`limit` at most).

    The tab is brought to the front first, as a visitor looks at the tab they zoom in.
    """
    from playwright.sync_api import TimeoutError as Timeout

    page.bring_to_front()
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Across").get_by_role("slider")
    page.wait_for_function(CROP_SOURCE)
    before, value = page.evaluate(CROP_SOURCE), slider.get_attribute("aria-valuenow")
    for _ in range(5):  # a tab just brought to the front can lose the focus to its own redraw: press again
        slider.focus()
        started = time.perf_counter()
        slider.press(key)
        if slider.get_attribute("aria-valuenow") != value:
            break
    try:
        page.wait_for_function(f"before => {{ const now = ({CROP_SOURCE})(); return now && now !== before; }}",
                               arg=before, polling=10, timeout=limit * 1000)
    except Timeout:
        check_connection(page)
        print(f"  a zoom move showed no new crop within {limit} s", file=sys.stderr)
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "aestudio-zoom-timeout.png"), full_page=True)
        return float(limit)
    return time.perf_counter() - started


def open_zoom(page):
    page.get_by_role("tab", name="1:1 zoom").first.click()
    page.wait_for_function(CROP_SOURCE)


def job_line(page):
    bars = page.locator('[data-testid="stProgress"]')
    return " ".join(bars.all_inner_texts()) if bars.count() else ""


class Rows(list):
    """Table rows, each also written to stderr as it is measured (a run that fails later keeps them)."""

    def append(self, row):
        print("  " + " | ".join(row), file=sys.stderr, flush=True)
        super().append(row)


def shown(times):
    """Median and slowest of some seconds, as table text."""
    return f"{statistics.median(times):.2f} s (slowest {max(times):.2f} s, {len(times)} moves)" if times else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20, help="12-megapixel photos in the zip")
    parser.add_argument("--port", type=int, default=8611, help="loopback port of the server")
    parser.add_argument("--zooms", type=int, default=5, help="zoom moves timed after each result")
    parser.add_argument("--zoom-every", type=float, default=30,
                        help="seconds between zoom moves while the job runs (every 3 s, the tab switches and "
                             "redraws took half a core from the job)")
    parser.add_argument("--deadline", type=float, default=3600, help="seconds the job may take")
    parser.add_argument("--single-only", action="store_true",
                        help="stop after the photo on its own (the job of a 20-photo zip takes hours in float32)")
    parser.add_argument("--hosted", action="store_true",
                        help="run the server in hosted mode (AESTUDIO_HOSTED=1): photos scaled to 4.2 megapixels, "
                             "one denoised at a time")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "aestudio-phone-photos",
                        help="where the photos are made and kept")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    zip_path, single, qualities = photo_zip(args.photos, args.folder)
    zipped = zip_path.read_bytes()
    small = io.BytesIO()
    Image.open(io.BytesIO(single)).resize((400, 300)).save(small, format="JPEG", quality=90)
    os.environ["AESTUDIO_PORTS"] = str(args.port)  # bench.harness.free_port takes the first free one of these

    from playwright.sync_api import sync_playwright

    rows, zooms = Rows(), Rows()
    log = args.folder / "streamlit.log"
    mode = "hosted" if args.hosted else "default"
    with running_app(log, AESTUDIO_HOSTED="1" if args.hosted else "0") as (url, server), sync_playwright() as playwright:
        pid = server.pid
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        single_tab = open_denoise(context, url)
        started_mb = server_mb(pid)
        denoise_one(single_tab, "warm_up.jpg", small.getvalue())  # loads the photo model
        remove_uploads(single_tab)

        # 1. One photo on its own
        idle = settled_mb(single_tab, pid)
        with ServerSampler(pid) as memory:
            seconds = denoise_one(single_tab, "IMG_0001.jpg", single)
        rows.append(("one 12 MP photo: denoised and shown", f"{seconds:.1f} s", f"{memory.peak:.0f}",
                     f"{memory.peak - idle:+.0f}"))
        open_zoom(single_tab)
        single_zooms = [zoom_seconds(single_tab, ("ArrowRight", "ArrowLeft")[n % 2]) for n in range(args.zooms)]
        zooms.append(("one photo shown, nothing else running", shown(single_zooms)))
        remove_uploads(single_tab)
        after = settled_mb(single_tab, pid)
        rows.append(("one photo: its upload removed", "-", f"{after:.0f}", f"{after - idle:+.0f}"))

        idle_job, line, lines = None, None, []
        if not args.single_only:
            # 2. The zip as a background job, the single photo shown again in the first tab
            denoise_one(single_tab, "IMG_0001.jpg", single)
            open_zoom(single_tab)
            job_tab = open_denoise(context, url)
            idle_job = settled_mb(job_tab, pid, 5)
            running_zooms, lines = [], []
            cpu_before = cpu_seconds(pid)
            with ServerSampler(pid) as memory:
                started = time.perf_counter()
                upload(job_tab, zip_path.name, zipped, "application/zip")
                job_tab.get_by_text("in the background").or_(job_tab.get_by_text("Denoised ")).first.wait_for()
                if not job_tab.get_by_text("in the background").count():
                    raise SystemExit(f"{args.photos} photos fit one view of the page, so no job ran: use 6 or more")
                while time.perf_counter() - started < args.deadline:
                    job_tab.bring_to_front()
                    line = job_line(job_tab)
                    if re.search(r"(done|stopped|failed) after", line):
                        break
                    running_zooms.append(zoom_seconds(single_tab, ("ArrowRight", "ArrowLeft")[len(running_zooms) % 2]))
                    lines.append(line)
                    job_tab.wait_for_timeout(args.zoom_every * 1000)
                else:  # the deadline: Stop, as a visitor would, and measure what the job did
                    job_tab.get_by_role("button", name="Stop").click()
                    job_tab.get_by_text(re.compile(r"(stopped|done|failed) after")).first.wait_for()
                download = job_tab.get_by_role("button", name=re.compile(r"Download the \d+ denoised photos? \(\.zip\)"))
                download.wait_for()
                seconds = time.perf_counter() - started
            job_cpu = cpu_used_between(cpu_before, cpu_seconds(pid))
            line = job_line(job_tab)
            done = int(re.match(r"(\d+) of", line).group(1))
            until = "all are offered in one download" if done == args.photos else f"stopped at the deadline, {done} done"
            rows.append((f"zip of {args.photos} ({len(zipped) / 2**20:.1f} MB): the job, until {until}", f"{seconds:.1f} s",
                         f"{memory.peak:.0f}", f"{memory.peak - idle:+.0f}"))
            zooms.append((f"one photo shown while the job runs ({len(lines)} moves over its {seconds:.0f} s)",
                          shown(running_zooms)))
            ended = settled_mb(job_tab, pid)
            rows.append(("the job ended (the single photo still shown in the other tab)", "-", f"{ended:.0f}",
                         f"{ended - idle:+.0f}"))
            with ServerSampler(pid) as memory:
                started = time.perf_counter()
                job_tab.bring_to_front()
                with job_tab.expect_download(timeout=600_000) as saved:
                    download.click()
                result = Path(saved.value.path()).read_bytes()
                seconds = time.perf_counter() - started
            with zipfile.ZipFile(io.BytesIO(result)) as archive:
                names = [name for name in archive.namelist() if name.endswith(".png")]
                sizes = {Image.open(io.BytesIO(archive.read(name))).size for name in names}
            rows.append((f"the download: {len(names)} of {args.photos} PNGs, {len(result) / 2**20:.0f} MB, sizes "
                         f"{', '.join(f'{w} x {h}' for w, h in sorted(sizes))}", f"{seconds:.1f} s",
                         f"{memory.peak:.0f}", f"{memory.peak - idle:+.0f}"))
            single_tab.wait_for_timeout(2000)
            zooms.append(("one photo shown after the job ended",
                          shown([zoom_seconds(single_tab, ("ArrowRight", "ArrowLeft")[n % 2]) for n in range(args.zooms)])))
            for tab in (job_tab, single_tab):
                tab.bring_to_front()
                remove_uploads(tab)
            cleared = settled_mb(job_tab, pid)
            rows.append(("both tabs' uploads removed", "-", f"{cleared:.0f}", f"{cleared - idle:+.0f}"))
        browser.close()

    load = os.getloadavg()
    print(f"{args.photos} photos of {WIDTH} x {HEIGHT}, JPEG quality {min(qualities)}-{max(qualities)}, "
          f"{len(zipped) / 2**20:.1f} MB zipped; model {MODEL}; {mode} mode; load average {load[0]:.1f} / "
          f"{load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores at the end")
    print(f"server memory: {started_mb:.0f} MB with the page open, {idle:.0f} MB idle with the model loaded"
          + (f", {idle_job:.0f} MB before the zip (one photo shown)" if idle_job is not None else "") + "\n")
    print_table(["what", "seconds", "server RSS peak or after (MB)", "above idle (MB)"], rows)
    print()
    print_table(["zoom (Across slider moved one step, until the new crop has loaded)", "median"], zooms)
    if line:
        print(f"\nthe job's last line: {line}")
    if lines:
        print(f"the job's line during the run, first and last polled: {lines[0]} | {lines[-1]}")
        print(f"CPU while the job ran: {job_cpu}")


if __name__ == "__main__":
    main()
