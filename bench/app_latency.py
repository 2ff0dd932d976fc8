"""How fast the app answers: start-up against a real `streamlit run`, and the work behind each view.

    AECORE_DATA_DIR=../shared/data python bench/app_latency.py [--model pretrained/mnist_conv_gaussian0.4.keras]
        [--projections-only]

1. Start-up: from launching `streamlit run app.py` until Chromium shows the Home page drawn (its
   title and the test images; TensorFlow and the model still load in the background), and until
   the reconstructions are there too and the script has finished.
2. Switching pages, warm: from a click on a page in the sidebar until that page's script has
   finished (median over visits to Reconstructions, Latent space, Denoise and Home, twice round).
3. One upload through the browser, warm: from choosing a file on the Denoise page until the result shows.
4. Server side, warm, the same calls the pages make (median over repeats): denoise one uploaded
   28x28 PNG; a zip of 100; encode 10,000 test images and project them with PCA.
5. The slow projections of the Latent page, each timed once (wall and CPU) after a warm-up on 500
   codes: t-SNE (openTSNE) and UMAP of 5,000 and 10,000 codes; and UMAP's first call in a fresh
   process, which imports umap and numba and compiles (numba's cache on disk is warm after the
   first run ever).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore.latent import project  # noqa: E402
from bench.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, running_app  # noqa: E402


def median_ms(work, repeats):
    work()  # warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def once_ms(work):
    """Wall and CPU milliseconds (all threads of this process) of one call of `work`."""
    started, cpu = time.perf_counter(), time.process_time()
    work()
    return 1000 * (time.perf_counter() - started), 1000 * (time.process_time() - cpu)


FIRST_UMAP = """
import sys, time
import numpy as np
codes = np.load(sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
from aecore.latent import project
project(codes, "umap", 2)
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def first_umap_ms(codes):
    """UMAP of `codes` in a fresh Python process: the import of umap and numba and any compiling included."""
    path = Path(tempfile.mkdtemp(prefix="aestudio-latency-")) / "codes.npy"
    np.save(path, codes)
    output = subprocess.run([sys.executable, "-c", FIRST_UMAP, str(path)], cwd=ROOT, check=True, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    return tuple(1000 * float(seconds) for seconds in output.split()[-2:])


def projection_rows(codes):
    """The Latent page's slow projections of the first 5,000 and all 10,000 `codes`."""
    rows = [("UMAP of 10,000 codes, first call in a fresh process", *first_umap_ms(codes), "-")]
    for method, name, target in (("tsne", "t-SNE (openTSNE)", "10 s"), ("umap", "UMAP", "15 s")):
        project(codes[:500], method, 2)  # warm: imports, compiling
        for count in (5000, 10000):
            rows.append((f"{name} of {count:,} codes", *once_ms(lambda: project(codes[:count], method, 2)),
                         target if count == 10000 else "-"))
    return rows


def denoise_uploads(model, name, data):
    """What the Denoise page does with one upload: read and prepare each image, denoise them in one call, encode the PNGs."""
    from aecore.denoise import prepare, run_prepared
    from aecore.images import read_upload, to_png

    prepared = [prepare(model, item.image) for item in read_upload(name, data) if item.image is not None]
    return [to_png(result.output) for result in run_prepared(model, prepared)]


SWITCHES = [("Reconstructions", "Reconstructions"), ("Latent space", "Latent space"),
            ("Denoise your images", "Denoise your images"), ("Home", "Autoencoder Studio")]


def switch_seconds(page, link, title):
    """Seconds from a click on `link` in the sidebar's navigation until page `title` has run to the end."""
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
    page.locator("h1", has_text=title).first.wait_for()
    page.locator(IDLE).wait_for()
    return time.perf_counter() - started


def browser_timings(digit_png, digit_png_2):
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="aestudio-latency-")) / "streamlit.log"
    uploads = Path(log.parent)
    (uploads / "first.png").write_bytes(digit_png)
    (uploads / "second.png").write_bytes(digit_png_2)
    with sync_playwright() as playwright:
        # The visitor's browser is open already: the clock starts with `streamlit run`.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        started = time.perf_counter()
        with running_app(log) as (url, _):
            return page_timings(page, url, started, uploads)


def page_timings(page, url, started, uploads):
    """Start-up (from `started`, just before `streamlit run`), warm page switches and an upload's round trip."""
    page.goto(url)
    page.locator("h1", has_text="Autoencoder Studio").wait_for()
    page.locator('[data-testid="stImage"] img').first.wait_for()
    home_drawn = time.perf_counter() - started
    page.get_by_text("bottom: reconstructions").wait_for()
    page.locator(IDLE).wait_for()
    home_complete = time.perf_counter() - started
    for link, title in SWITCHES:  # once round to warm every page, then measured twice round
        switch_seconds(page, link, title)
    switches = [switch_seconds(page, link, title) for link, title in SWITCHES * 2]
    page.goto(f"{url}/denoise")
    page.locator(IDLE).wait_for()
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    chooser.set_input_files(str(uploads / "first.png"))
    page.get_by_text("first.png: prepared").wait_for()
    page.locator(IDLE).wait_for()
    started = time.perf_counter()
    chooser.set_input_files(str(uploads / "second.png"))
    page.get_by_text("second.png: prepared").wait_for()
    round_trip = time.perf_counter() - started
    return home_drawn, home_complete, statistics.median(switches), max(switches), round_trip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "pretrained" / "mnist_conv_gaussian0.4.keras"))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--projections-only", action="store_true", help="only the t-SNE and UMAP rows")
    args = parser.parse_args()

    from aecore.datasets import load_dataset
    from aecore.images import to_png, to_zip
    from aecore.zoo import load_model

    data = load_dataset("mnist")
    model = load_model(args.model)
    digits = [1 - data.x_test[i, ..., 0] for i in range(100)]  # dark on light, as people upload them
    one = to_png(digits[0])
    zipped = to_zip((f"digit_{i:03d}.png", digit) for i, digit in enumerate(digits))
    test = np.concatenate([data.x_test] * -(-10000 // len(data.x_test)))[:10000]

    projections = projection_rows(model.encode(test))
    rows = []
    if not args.projections_only:
        home_drawn, home_complete, switch, slowest_switch, round_trip = browser_timings(one, to_png(digits[1]))
        rows = [
            ("start-up until Home is drawn (from streamlit run, browser open)", 1000 * home_drawn, "4 s"),
            ("start-up until Home's reconstructions are drawn too", 1000 * home_complete, "-"),
            ("switching pages, warm (median of 8)", 1000 * switch, "0.5 s"),
            ("switching pages, warm (slowest of 8)", 1000 * slowest_switch, "-"),
            ("one upload, browser round trip, warm", 1000 * round_trip, "-"),
            ("denoise one uploaded 28x28 PNG (server side)", median_ms(lambda: denoise_uploads(model, "one.png", one),
                                                                         args.repeats), "50 ms"),
            ("denoise a zip of 100 images (server side)",
             median_ms(lambda: denoise_uploads(model, "many.zip", zipped), max(3, args.repeats // 4)), "1 s"),
            ("encode 10,000 test images + PCA to 2-D", median_ms(lambda: project(model.encode(test), "pca", 2), 3),
             "1 s"),
        ]
    print(f"model: {Path(args.model).name}; data: {data.describe()}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores\n")
    print("| what | median | target |")
    print("|---|---|---|")
    for what, milliseconds, target in rows:
        print(f"| {what} | {shown(milliseconds)} | {target} |")
    print("\nThe Latent page's slow projections, one run each (CPU: all threads of the process, which the "
          "wall time exceeds when other processes share the cores):\n")
    print("| what | wall | CPU | target |")
    print("|---|---|---|---|")
    for what, milliseconds, cpu_milliseconds, target in projections:
        print(f"| {what} | {shown(milliseconds)} | {shown(cpu_milliseconds)} | {target} |")


def shown(milliseconds):
    return f"{milliseconds / 1000:.2f} s" if milliseconds >= 1000 else f"{milliseconds:.1f} ms"


if __name__ == "__main__":
    main()
