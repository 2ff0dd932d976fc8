"""README's screenshot of the Denoise page with a real photo model: `python bench/screenshot_photo.py [MODEL] [PNG]`.

Starts the app, uploads docs/examples/noisy_coffee.jpg and saves the page as the visitor first sees
the result (the side-by-side view). Not a test: it needs the pretrained photo models.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, running_app  # noqa: E402


def main(model="photo_color", out=ROOT / "docs/screenshot-denoise-photo.png"):
    log = Path(tempfile.gettempdir()) / "screenshot_photo.log"
    with running_app(log) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(180_000)
        page.goto(f"{url}/denoise?model={model}")
        page.get_by_role("heading", name="Denoise your images").wait_for()
        page.locator(IDLE).wait_for()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(ROOT / "docs/examples/noisy_coffee.jpg"))
        page.get_by_text("Denoised 1 photo").wait_for()
        page.locator(IDLE).wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    print(f"saved {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
