"""How fast the app answers: start-up against a real `streamlit run`, and the work behind each view.

    AECORE_DATA_DIR=../shared/data python bench/app_latency.py [--model pretrained/mnist_conv_gaussian0.4.keras]

1. Start-up: from launching `streamlit run app.py` until Chromium shows the Home page drawn (its
   title and the test images; TensorFlow and the model still load in the background), and until
   the reconstructions are there too and the script has finished.
2. Switching pages, warm: from a click on a page in the sidebar until that page's script has
   finished (median over visits to Reconstructions, Latent space, Denoise and Home, twice round).
3. One upload through the browser, warm: from choosing a file on the Denoise page until the result shows.
4. Server side, warm, the same calls the pages make (median over repeats): denoise one uploaded
   28x28 PNG; a zip of 100; encode 10,000 test images and project them with PCA; t-SNE of 5,000 codes.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, running_app  # noqa: E402


def median_ms(work, repeats):
    work()  # warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def denoise_uploads(model, name, data):
    """What the Denoise page does with one upload: read, denoise each image (aecore.denoise), encode the PNGs."""
    from aecore.denoise import denoise
    from aecore.images import read_upload, to_png

    return [to_png(denoise(model, item.image).output) for item in read_upload(name, data) if item.image is not None]


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
    started = time.perf_counter()
    with running_app(log) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(120_000)
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
        browser.close()
    return home_drawn, home_complete, statistics.median(switches), max(switches), round_trip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "pretrained" / "mnist_conv_gaussian0.4.keras"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    from aecore.datasets import load_dataset
    from aecore.images import to_png, to_zip
    from aecore.latent import project
    from aecore.zoo import load_model

    data = load_dataset("mnist")
    model = load_model(args.model)
    digits = [1 - data.x_test[i, ..., 0] for i in range(100)]  # dark on light, as people upload them
    one = to_png(digits[0])
    zipped = to_zip((f"digit_{i:03d}.png", digit) for i, digit in enumerate(digits))
    test = np.concatenate([data.x_test] * -(-10000 // len(data.x_test)))[:10000]

    home_drawn, home_complete, switch, slowest_switch, round_trip = browser_timings(one, to_png(digits[1]))
    rows = [
        ("start-up until Home is drawn (streamlit run + Chromium)", 1000 * home_drawn, "4 s"),
        ("start-up until Home's reconstructions are drawn too", 1000 * home_complete, "-"),
        ("switching pages, warm (median of 8)", 1000 * switch, "0.5 s"),
        ("switching pages, warm (slowest of 8)", 1000 * slowest_switch, "-"),
        ("one upload, browser round trip, warm", 1000 * round_trip, "-"),
        ("denoise one uploaded 28x28 PNG (server side)", median_ms(lambda: denoise_uploads(model, "one.png", one),
                                                                     args.repeats), "50 ms"),
        ("denoise a zip of 100 images (server side)", median_ms(lambda: denoise_uploads(model, "many.zip", zipped),
                                                                  max(3, args.repeats // 4)), "1 s"),
        ("encode 10,000 test images + PCA to 2-D", median_ms(lambda: project(model.encode(test), "pca", 2), 3), "1 s"),
        ("t-SNE of 5,000 codes", median_ms(lambda: project(model.encode(test[:5000]), "tsne", 2), 1), "20 s"),
    ]
    print(f"model: {Path(args.model).name}; data: {data.describe()}\n")
    print("| what | median | target |")
    print("|---|---|---|")
    for what, milliseconds, target in rows:
        shown = f"{milliseconds / 1000:.2f} s" if milliseconds >= 1000 else f"{milliseconds:.1f} ms"
        print(f"| {what} | {shown} | {target} |")


if __name__ == "__main__":
    main()
