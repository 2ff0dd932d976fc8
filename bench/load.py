"""Many visitors at once: N Chromium sessions against one local `streamlit run`, every page each.

    python bench/load.py [--sessions 1 4 8] [--reruns 50] [--pretrained DIR] [--deadline 300]
    python bench/load.py --uploads [--visitors 1 4] [--big-images 100]

With --uploads it measures heavy uploads instead, on a fresh server in the default mode and one in
hosted mode (`AESTUDIO_HOSTED=1`): visitors uploading at once a zip of big images (blank 4096 x
4096 PNGs with a bar, 8 kB each) to the digit model, and a 12-megapixel JPEG to the photo model.
The server's resident memory is sampled every 50 ms; its peak is also read from the kernel's
high-water mark (`VmHWM`), reset before each row through `/proc/PID/clear_refs`.

Loopback only, bounded: each level stops at its deadline. For each level it prints the sessions,
page views, errors, wall time, and the server's resident memory after the run and at its peak.
With --reruns N, one more visitor reruns the Reconstructions page N times (a new noise seed each
time, so every rerun re-noises and reconstructs) and the server's memory is printed every 10
reruns: a leak shows as steady growth.
"""

import argparse
import asyncio
import io
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

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


def big_zip(count):
    from tests.bad_uploads import png_with_a_bar

    big = png_with_a_bar(4096, 4096)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(count):
            archive.writestr(f"blank_{number:03d}.png", big)
    return buffer.getvalue()


def big_photo(width=4000, height=3000):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / 300
    image = np.stack([0.5 + 0.3 * np.sin(x * (c + 1) + y) for c in range(3)], -1)
    image += rng.normal(0, 0.08, image.shape).astype(np.float32)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


class MemorySampler:
    """The peak resident memory of a process while a block runs: sampled, and the kernel's high-water mark."""

    def __init__(self, pid, every=0.05):
        self.pid, self.every, self.peak = pid, every, 0.0

    def __enter__(self):
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        except OSError:
            pass
        self.before = memory_mb(self.pid)[0]
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, memory_mb(self.pid)[0])
            time.sleep(self.every)

    def __exit__(self, *exception):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, memory_mb(self.pid)[1])


async def uploader(browser, url, model, name, data, mime, errors, deadline):
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(deadline * 1000)  # hosted visitors wait their turn: on a float32 CPU, 4 x 220 s
    try:
        await page.goto(f"{url}/denoise?model={model}")
        await page.locator(IDLE).wait_for()
        await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            {"name": name, "mimeType": mime, "buffer": data})
        await page.get_by_text("Denoised ", exact=False).first.wait_for()
        await page.locator(IDLE).wait_for()
        body = await page.inner_text("body")
        if "Something went wrong" in body:
            errors.append("the page shows an error")
            return 0
        return 1
    except Exception as error:
        errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
        return 0
    finally:
        await page.close()


async def upload_level(url, visitors, model, upload, deadline):
    from playwright.async_api import async_playwright

    errors = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        started = time.perf_counter()
        try:
            done = await asyncio.wait_for(
                asyncio.gather(*(uploader(browser, url, model, *upload, errors, deadline) for _ in range(visitors))), deadline)
        except asyncio.TimeoutError:
            done, errors = [0], errors + [f"deadline of {deadline} s reached"]
        seconds = time.perf_counter() - started
        await browser.close()
    return sum(done), errors, seconds


def measure_uploads(args, environment):
    uploads = {
        "digit": ("mnist_conv_gaussian0.4", (f"{args.big_images} x 4096x4096 PNG in a zip", "big.zip",
                                             big_zip(args.big_images), "application/zip")),
        "photo": ("photo_color", ("one 12 MP JPEG (4000 x 3000)", "photo.jpg", big_photo(), "image/jpeg")),
    }
    print("| mode | model | each visitor uploads | visitors at once | done | seconds | server RSS before (MB) |"
          " server peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in args.modes:
        log = Path(tempfile.mkdtemp(prefix="aestudio-load-")) / "streamlit.log"
        hosted = "1" if mode == "hosted" else "0"
        with running_app(log, **environment, AESTUDIO_HOSTED=hosted) as (url, process):
            for kind in args.kinds:
                model, (label, *upload) = uploads[kind]
                small = ("small.jpg", big_photo(200, 150), "image/jpeg")
                asyncio.run(upload_level(url, 1, model, small, args.deadline))  # loads the model first
                for visitors in args.visitors:
                    with MemorySampler(process.pid) as memory:
                        done, errors, seconds = asyncio.run(upload_level(url, visitors, model, upload, args.deadline))
                    print(f"| {mode} | {model} | {label} | {visitors} | {done} / {visitors} "
                          f"| {seconds:.1f} | {memory.before:.0f} | {memory.peak:.0f} |", flush=True)
                    for error in errors[:3]:
                        print(f"  - {error}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--pretrained", default=None, help="pretrained folder (default: the project's)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds allowed per level")
    parser.add_argument("--reruns", type=int, default=0, help="reruns of the Reconstructions page to watch")
    parser.add_argument("--uploads", action="store_true", help="measure heavy uploads instead (see above)")
    parser.add_argument("--visitors", type=int, nargs="+", default=[1, 4], help="visitors uploading at once")
    parser.add_argument("--big-images", type=int, default=100, help="4096 x 4096 images in the zip")
    parser.add_argument("--modes", nargs="+", choices=["default", "hosted"], default=["default", "hosted"],
                        help="server modes measured with --uploads")
    parser.add_argument("--kinds", nargs="+", choices=["digit", "photo"], default=["digit", "photo"],
                        help="uploads measured with --uploads: the zip of big PNGs, the 12 MP photo")
    args = parser.parse_args()
    environment = {"AESTUDIO_PRETRAINED_DIR": args.pretrained} if args.pretrained else {}
    if args.uploads:
        measure_uploads(args, environment)
        return
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
