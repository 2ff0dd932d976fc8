"""AppTest: the Denoise page with a photo model (full size, colour, compare views), and the way to it."""

import base64
import io

import numpy as np
from PIL import Image

from app_pages import PAGES
from tests.app.test_home_page import diagram
from tests.app.test_pages import as_shown, assert_clean, open_app

PHOTO = "d_photo_color"


def photo_bytes(height, width, format="PNG", noise=0.0):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width] / 40.0
    image = np.stack([0.5 + 0.3 * np.sin(x + y * (c + 1)) for c in range(3)], -1) + rng.normal(0, noise, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format=format)
    return buffer.getvalue()


def open_photo_page():
    at = open_app()
    at.sidebar.selectbox(key="model").set_value(PHOTO).run()
    return at.switch_page("app_pages/denoise.py").run()


def plain_text(elements):
    return as_shown(" ".join(element.value for element in elements))


def test_a_colour_photo_comes_back_at_full_size_with_its_views_and_download(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("noisy photo.jpg", photo_bytes(120, 200, "JPEG", 0.1),
                                                       "image/jpeg")]).run()
    assert_clean(at)
    assert any("Denoised 1 photo at full resolution" in s.value for s in at.success)
    assert any("200 x 120 px" in c.value for c in at.caption)
    assert any("noise removed:" in c.value and "luminance sigma" in c.value for c in at.caption)
    labels = [button.label for button in at.get("download_button")]
    assert "Download PNG (200 x 120)" in labels and "Download JPEG (quality 95)" in labels
    assert [tab.label for tab in at.tabs] == ["Side by side", "Before / after", "1:1 zoom"]
    assert len(at.image) == 6  # side by side (2), the wipe (1), the zoomed crops (2) and where they are (1)
    at.slider(key="photo_wipe_1").set_value(20).run()  # moving a view does not denoise again
    assert_clean(at)
    assert len(at.session_state["photo_results"]) == 1


def test_the_strength_sliders_blend_the_view_without_denoising_again(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("noisy.png", photo_bytes(64, 96, noise=0.1), "image/png")]).run()
    result = next(iter(at.session_state["photo_results"].values()))
    from studio.photo_view import blended

    full, none = blended(result, (1.0, 1.0)), blended(result, (0.0, 0.0))
    np.testing.assert_allclose(none, result["noisy"] / 255, atol=1e-6)
    assert np.abs(full - none).mean() > 0.01
    at.slider(key="photo_strength_1").set_value(40).run()
    at.slider(key="photo_colour_strength_1").set_value(0).run()
    assert_clean(at)
    assert len(at.session_state["photo_results"]) == 1  # blended, not denoised again
    assert at.session_state["photo_strength_1"] == 40


def test_adding_noise_first_scores_against_the_clean_photo(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("clean.png", photo_bytes(64, 96), "image/png")]).run()
    assert at.slider(key="photo_sigma").disabled  # no noise to set until it is asked for
    at.toggle(key="photo_add_noise").set_value(True).run()
    at.slider(key="photo_sigma").set_value(30).run()
    assert_clean(at)
    names = [metric.label for metric in at.metric]
    assert names == ["Noise added", "PSNR", "SSIM"]
    assert at.metric[0].value == "sigma 30"
    assert float(at.metric[1].value.split()[0]) > 0
    assert "Download PNG (96 x 64)" in [button.label for button in at.get("download_button")]  # the photo's size


def test_best_quality_is_a_second_result_that_says_so(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("noisy.png", photo_bytes(64, 96, noise=0.1), "image/png")]).run()
    at.toggle(key="photo_best").set_value(True).run()
    assert_clean(at)
    assert any("best quality" in c.value for c in at.caption)
    plain, best = at.session_state["photo_results"].values()
    assert not plain["ensemble"] and best["ensemble"] and best["output"].shape == plain["output"].shape
    assert np.abs(best["output"].astype(int) - plain["output"]).max() > 0


def test_the_sample_photo_works_without_an_upload(app_env):
    at = open_photo_page()
    assert any("Upload a noisy photo" in info.value for info in at.info)
    at.toggle(key="photo_sample").set_value(True).run()
    assert_clean(at)
    assert any("Denoised 1 photo" in s.value for s in at.success)
    assert any("640 x 427 px" in c.value for c in at.caption)
    assert [m.value for m in at.metric][:1] == ["sigma 25"]  # the clean sample gets noise, and scores


def test_a_photo_too_small_to_denoise_is_named_and_refused(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("dot.png", photo_bytes(1, 1), "image/png"),
                                                      ("fine.png", photo_bytes(40, 48), "image/png")]).run()
    assert_clean(at)
    assert "dot.png: 1 x 1 pixels is too small to denoise" in plain_text(at.warning)
    assert any("Denoised 1 photo" in s.value for s in at.success)


def test_a_broken_file_is_named_and_the_rest_go_through(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([
        ("[ok](https://evil.example).png", b"\x89PNG\r\n\x1a\nbroken", "image/png"),
        ("good.png", photo_bytes(40, 48), "image/png"),
    ]).run()
    assert_clean(at)
    assert "[ok](https://evil.example).png" in plain_text(at.warning)
    assert "\\[ok\\]\\(" in at.warning[0].value  # escaped: shown as text, never as a link
    assert any("Denoised 1 photo" in s.value for s in at.success)


def test_pages_without_a_photo_view_point_to_the_denoise_page(app_env):
    at = open_app()
    at.sidebar.selectbox(key="model").set_value(PHOTO).run()
    assert_clean(at)
    assert any("denoised:" in caption for image in at.image for caption in image.captions)  # Home's sample
    for page in PAGES:
        at.switch_page(page.script).run()
        assert_clean(at)
    at.switch_page("app_pages/latent.py").run()
    assert any("photo denoiser" in info.value for info in at.info)
    assert "PSNR on held-out wallpapers" in at.sidebar.caption[0].value


def test_the_digit_denoise_page_offers_the_photo_model_before_any_upload(app_env):
    at = open_app("app_pages/denoise.py")
    at.button(key="switch_to_photo_model_early").click().run()
    assert_clean(at)
    assert at.sidebar.selectbox(key="model").value == PHOTO
    assert any("Upload a noisy photo" in info.value for info in at.info)


def test_a_photo_sent_to_a_digit_model_gets_a_way_to_the_photo_model(app_env):
    at = open_app("app_pages/denoise.py")
    at.file_uploader(key="denoise_upload").set_value([("holiday.jpg", photo_bytes(300, 400, "JPEG"), "image/jpeg")])
    at.run()
    assert_clean(at)
    assert any("looks like a photo" in info.value for info in at.info)
    at.button(key="switch_to_photo_model").click().run()
    assert_clean(at)
    assert at.sidebar.selectbox(key="model").value == PHOTO
    assert any("Denoised 1 photo" in s.value for s in at.success)


def test_a_photo_over_the_limit_is_scaled_down_and_says_so(app_env, monkeypatch):
    from studio import photo_view
    from studio.limits import PhotoLimits

    monkeypatch.setattr(photo_view, "photo_limits", lambda: PhotoLimits(4000, 16000, kept=6, denoising_at_once=2))
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("big.png", photo_bytes(100, 160), "image/png")]).run()
    assert_clean(at)
    assert any("scaled down from 160 x 100 to 80 x 50 pixels" in info.value for info in at.info)
    assert any("80 x 50 px" in caption.value for caption in at.caption)
    assert [s.value for s in at.success] == ["Denoised 1 photo: 0 at full resolution, 1 scaled down to the pixel "
                                             "limit first (see the note under each)."]


def test_each_photo_goes_to_the_model_trained_for_its_noise(app_env, tmp_path, monkeypatch):
    import json
    import shutil

    def install(name, **stage):
        shutil.copy(app_env / "d_photo_color.keras", tmp_path / f"{name}.keras")
        card = json.loads((app_env / "d_photo_color.json").read_text())
        card["stages"][-1].update(stage)
        (tmp_path / f"{name}.json").write_text(json.dumps(card))

    def captions(at):
        return [c.value for c in at.caption if " px · " in c.value]

    uploads = [("phone.jpg", photo_bytes(64, 96, "JPEG", 0.1), "image/jpeg"),  # Pillow writes 4:2:0 by default
               ("scan.png", photo_bytes(64, 96, noise=0.1), "image/png")]
    install("d_photo_color", jpeg_fraction=0.0)
    install("e_photo_color_jpeg", jpeg_fraction=0.3)
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(tmp_path))
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value(uploads).run()
    assert_clean(at)
    assert "e_photo_color_jpeg" in captions(at)[0] and "d_photo_color" in captions(at)[1], captions(at)
    assert any("stores its colour at half resolution" in info.value for info in at.info)

    install("f_photo_color_camera", mix={"camera": 0.4})  # a blind model trained on camera noise takes every upload
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value(uploads).run()
    assert "f_photo_color_camera" in captions(at)[0] and "f_photo_color_camera" in captions(at)[1], captions(at)
    at.toggle(key="photo_add_noise").set_value(True).run()  # noise added here is white, whatever the file
    assert "d_photo_color" in captions(at)[0] and "d_photo_color" in captions(at)[1], captions(at)
    assert not any("half resolution" in info.value for info in at.info)


def shown_pictures(at):
    """The pictures of the page as the browser gets them: inline data URIs, decoded (none under /media/)."""
    urls = [url for image in at.image for url in image.value]
    assert all(url.startswith("data:image/") for url in urls), [url[:40] for url in urls]
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))) for url in urls]


def test_every_view_shows_the_photo_in_its_own_tones_inline(app_env):
    """The side-by-side, before/after and zoom views look like the photo, not a white field; they are sent
    inline, because Streamlit deletes a /media/ file when a slider's rerun replaces its picture, and a
    browser still fetching it logged a 404."""
    photo = photo_bytes(120, 200)
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("photo.png", photo, "image/png")]).run()
    assert_clean(at)
    shown = shown_pictures(at)
    assert len(shown) == 6 and shown[0].shape == (120, 200, 3)
    mean = np.asarray(Image.open(io.BytesIO(photo))).mean()
    for image in shown:  # about as bright as the photo (a denoised photo keeps its mean)
        assert abs(image.mean() - mean) < 10, (image.shape, image.mean(), mean)


def test_home_draws_the_photo_models_diagram_for_a_photo_model(app_env):
    at = open_app()
    digit_chart = diagram(at)
    at.sidebar.selectbox(key="model").set_value(PHOTO).run()
    photo_chart = diagram(at)
    assert "784 pixels" in digit_chart and "784 pixels" not in photo_chart
    assert "any size" in photo_chart and "skips" in photo_chart


def test_photo_settings_survive_a_page_switch(app_env):
    at = open_photo_page()
    at.toggle(key="photo_add_noise").set_value(True).run()
    at.slider(key="photo_sigma").set_value(40)
    at.number_input(key="photo_seed").set_value(7)
    at.toggle(key="photo_best").set_value(True).run()
    for page in ("app_pages/home.py", "app_pages/latent.py", "app_pages/denoise.py"):
        at.switch_page(page).run()
        assert_clean(at)
    assert at.toggle(key="photo_add_noise").value and at.toggle(key="photo_best").value
    assert at.slider(key="photo_sigma").value == 40 and at.number_input(key="photo_seed").value == 7


def test_results_are_shown_again_after_a_page_switch_and_go_when_the_upload_is_removed(app_env):
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("mine.png", photo_bytes(64, 96), "image/png")]).run()
    downloads = [button.label for button in at.get("download_button")]
    for page in ("app_pages/home.py", "app_pages/denoise.py"):
        at.switch_page(page).run()
        assert_clean(at)
    assert any("Your last results" in info.value for info in at.info)
    assert any("Denoised 1 photo" in s.value for s in at.success)
    assert [button.label for button in at.get("download_button")] == downloads
    at.run()  # the uploader is on the page now, and empty: the visitor removed the photo
    assert not at.success and not at.get("download_button")
    assert not at.session_state["photo_results"]  # and its results are let go of, not kept for nobody
    assert any("Upload a noisy photo" in info.value for info in at.info)


def test_a_zip_of_more_photos_than_a_view_holds_is_denoised_whole_in_the_background(app_env):
    import time
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for index in range(8):  # more than the 6 results a session keeps in view
            zipped.writestr(f"trip/IMG_{index:04d}.jpg", photo_bytes(48, 64 + 8 * index, "JPEG", 0.08))
        zipped.writestr("trip/broken.png", b"\x89PNG\r\n\x1a\nbroken")
        zipped.writestr("trip/notes.txt", "not a photo")
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("trip.zip", archive.getvalue(), "application/zip")]).run()
    deadline = time.monotonic() + 120
    while "done after" not in " ".join(str(p.proto.text) for p in at.get("progress")) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    from studio.visitors import visitor_store

    job = next(v.photo_job for v in visitor_store().visitors.values() if v.photo_job is not None)
    assert job.status == "done" and len(job.finished) == 8
    with zipfile.ZipFile(io.BytesIO(job.zip_bytes())) as result:
        names = result.namelist()
        assert len(names) == 8 and names[0] == "001_IMG_0000_denoised.png"
        with Image.open(io.BytesIO(result.read(names[7]))) as photo:
            assert photo.size == (120, 48) and photo.mode == "RGB"
    warnings = plain_text(at.warning)
    assert "trip.zip/broken.png: not an image this app reads" in warnings and "trip.zip/notes.txt: not an image file" in warnings
    assert len(at.image) == 8  # a thumbnail of each finished photo; the refused ones are text alone
    labels = [button.label for button in at.get("download_button")]
    assert "Download the 8 denoised photos (.zip)" in labels
    assert "8 of 9 photos denoised · 2 refused (named below) · done after" in " ".join(str(p.proto.text) for p in at.get("progress"))


def test_a_batch_job_stops_at_the_next_photo_and_keeps_what_it_did(tmp_path, monkeypatch):
    import threading
    import zipfile

    import aecore.denoise
    from aecore.zoo import load_model
    from studio.photo_jobs import PhotoJob
    from tests.conftest import save_photo_model

    save_photo_model(tmp_path, "colour", channels=3)
    files = [(f"p{index}.png", photo_bytes(32, 32, noise=0.05)) for index in range(5)]
    job = PhotoJob(files, load_model(tmp_path / "colour.keras"), "colour", tmp_path / "out.zip", 5,
                   threading.BoundedSemaphore(1), 1 << 20)
    denoise = aecore.denoise.denoise

    def stop_during_the_second(*args, **kwargs):  # the visitor presses Stop while the second photo is denoised
        if len(job.finished) == 1:
            job.stop()
        return denoise(*args, **kwargs)

    monkeypatch.setattr(aecore.denoise, "denoise", stop_during_the_second)
    job.run()
    assert job.status == "stopped" and len(job.finished) == 2
    assert "2 of 5 photos denoised · stopped after" in job.progress_line()
    with zipfile.ZipFile(io.BytesIO(job.zip_bytes())) as result:
        assert len(result.namelist()) == 2


def test_a_jobs_time_left_counts_the_megapixels_still_to_do():
    import threading

    from studio.photo_jobs import Finished, PhotoJob

    # two small photos done in 10 s, a big one to go: by photos 5 s would be left, by megapixels 600 s
    job = PhotoJob([], None, "colour", None, 3, threading.BoundedSemaphore(1), 1 << 20, megapixels=12.2)
    job.finished = [Finished(f"small_{index}.jpg", None, (1.0, 1.0), 0.1) for index in range(2)]
    job.status, job.started = "running", job.started - 10
    assert "2 of 3 photos denoised · 0.02 megapixels/s · about 600 s left" in job.progress_line()


def test_a_batch_job_takes_more_pixels_than_one_request_and_lets_go_of_the_upload(tmp_path, monkeypatch):
    # A page view's budget of 268 megapixels is 22 photos of 12; a 50 MB zip can hold more, and the
    # job refused every photo past the budget, though it holds one photo at a time.
    import threading

    import aecore.images
    from aecore.images import REQUEST_PIXELS
    from aecore.zoo import load_model
    from studio.photo_jobs import PhotoJob
    from tests.conftest import save_photo_model

    save_photo_model(tmp_path, "colour", channels=3)
    count = REQUEST_PIXELS // (4096 * 4096) + 1
    monkeypatch.setattr(aecore.images, "declared_size", lambda data: (4096, 4096))  # each says 16.8 megapixels
    files = [(f"p{index}.png", photo_bytes(16, 16, noise=0.05)) for index in range(count)]
    job = PhotoJob(files, load_model(tmp_path / "colour.keras"), "colour", tmp_path / "out.zip", count,
                   threading.BoundedSemaphore(1), 1 << 20)
    job.run()
    assert job.status == "done" and not job.problems and len(job.finished) == count
    assert job.files == []  # the visitor keeps the job (thumbnails, the zip on disk), not the uploaded bytes


def test_a_link_keeps_add_noise_first_its_sigma_and_seed(app_env):
    at = open_photo_page()
    at.toggle(key="photo_add_noise").set_value(True).run()
    at.slider(key="photo_sigma").set_value(35).run()
    assert (at.query_params["photo_add_noise"], at.query_params["photo_sigma"]) == ("1", "35")
    from tests.app.test_pages import open_app

    shared = open_app("app_pages/denoise.py", query={"model": PHOTO, "photo_add_noise": "1", "photo_sigma": "35",
                                                     "photo_seed": "7"})
    assert_clean(shared)
    assert shared.toggle(key="photo_add_noise").value and shared.slider(key="photo_sigma").value == 35
    assert shared.number_input(key="photo_seed").value == 7
    odd = open_app("app_pages/denoise.py", query={"model": PHOTO, "photo_add_noise": "1", "photo_sigma": "900"})
    assert_clean(odd)
    assert odd.slider(key="photo_sigma").value == 50  # out of range: the nearest it can be


def test_results_come_back_after_a_visit_that_passed_through_a_digit_model(app_env):
    """Back on Denoise with a digit model picked (its uploader has the same key), then the photo model again."""
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("mine.png", photo_bytes(64, 96), "image/png")]).run()
    downloads = [button.label for button in at.get("download_button")]
    at.switch_page("app_pages/home.py").run()
    at.sidebar.selectbox(key="model").set_value("a_conv_gaussian").run()
    at.switch_page("app_pages/denoise.py").run()
    assert_clean(at)
    assert at.file_uploader(key="denoise_upload")  # the digit view's
    at.sidebar.selectbox(key="model").set_value(PHOTO).run()
    assert_clean(at)
    assert any("Your last results" in info.value for info in at.info)
    assert [button.label for button in at.get("download_button")] == downloads


def test_a_phone_photo_on_a_hosted_server_opens_in_the_views_scaled_down(app_env, monkeypatch):
    # Hosted requests once held 8.4 megapixels as declared, so every 12 MP phone photo went to a
    # background job (thumbnails, no zoom); one photo of the working size now fits one view.
    monkeypatch.setenv("AESTUDIO_HOSTED", "1")
    at = open_photo_page()
    at.file_uploader(key="denoise_upload").set_value([("IMG_0001.jpg", photo_bytes(3000, 4000, "JPEG"), "image/jpeg")])
    at.run(timeout=300)
    assert_clean(at)
    assert not any("in the background" in info.value for info in at.info)
    assert [s.value for s in at.success] == ["Denoised 1 photo: 0 at full resolution, 1 scaled down to the pixel "
                                             "limit first (see the note under each)."]
    assert any("scaled down from 4000 x 3000" in info.value for info in at.info)
