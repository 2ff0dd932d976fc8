"""AppTest: every page runs from app.py, and the main widgets do what they say."""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aecore.datasets import load_dataset
from aecore.images import MAX_REQUEST_IMAGES
from aecore.noise import add_noise
from app_pages import PAGES
from studio.text import plain
from tests.app.conftest import APP, start_training, training_run, wait_for_training
from tests.conftest import png_bytes

SCRIPTS = [page.script for page in PAGES]  # every page, in the navigation's order


def as_shown(text):
    """What Markdown shows of visitor text that `studio.text.plain` escaped: no backslashes, no word joiners."""
    return text.replace("\\", "").replace("\u2060", "")


def open_app(page=None, query=None, timeout=120):
    at = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def picked_model(at):
    return at.sidebar.selectbox(key="model").value


def image_captions(at):
    """The captions of the page's pictures, in order (Home's diagram, an SVG with none, left out)."""
    return [caption for image in at.image for caption in image.captions if caption]


def assert_clean(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_the_page_list_holds_every_script_in_app_pages_once():
    scripts = [f"app_pages/{path.name}" for path in (Path(APP).parent / "app_pages").glob("*.py") if path.name != "__init__.py"]
    assert sorted(SCRIPTS) == sorted(scripts)
    assert [page.default for page in PAGES].count(True) == 1


@pytest.mark.parametrize("page", SCRIPTS)
def test_every_page_runs_without_errors(app_env, page):
    at = open_app(page)
    assert_clean(at)
    assert at.title[0].value


def test_every_page_handles_a_points_model(app_env):
    at = open_app()
    at.sidebar.selectbox(key="model").set_value("c_points_linear").run()
    for page in SCRIPTS:
        at.switch_page(page).run()
        assert_clean(at)


def test_home_shows_originals_and_reconstructions(app_env):
    at = open_app()
    assert_clean(at)
    assert "reconstructions" in image_captions(at)[0]
    assert at.sidebar.selectbox(key="model").value == "a_conv_gaussian"
    card = at.sidebar.caption[0].value  # the picked model's card
    assert "gaussian:0.4" in card and "recipe changes: upsampling=transpose" in card
    assert "code 7 x 7 x 32 = 1,568 values, not fewer than the 784 inputs" in card


def train_conv(code_size, code_units):
    at = open_app("app_pages/train.py")
    at.selectbox(key="train_architecture").set_value("conv").run()
    at.slider(key="train_epochs").set_value(1)
    at.select_slider(key="train_count").set_value(500)
    at.number_input(key="train_code_size").set_value(code_size)
    at.number_input(key="train_code_units").set_value(code_units)
    at.button(key="start_training").click().run()
    return wait_for_training(at)


def test_the_code_itself_is_offered_only_when_the_code_is_two_or_three_values(app_env):
    at = train_conv(code_size=2, code_units=0)  # a 7 x 7 x 2 map: 98 values, not a 2-D code
    at.switch_page("app_pages/latent.py").run()
    assert_clean(at)
    assert at.radio(key="latent_method").options == ["PCA", "t-SNE (openTSNE, no inverse)", "UMAP (no inverse)"]
    assert any("7 x 7 x 2 = 98 values" in caption.value for caption in at.caption)
    at = train_conv(code_size=0, code_units=2)  # a dense code layer: a real 2-D bottleneck
    assert "code 2 values" in at.sidebar.caption[0].value
    at.switch_page("app_pages/latent.py").run()
    assert_clean(at)
    assert at.radio(key="latent_method").value == "code"
    assert any("2-D code plane" in caption for caption in image_captions(at))


def test_empty_pretrained_offers_quick_start(monkeypatch, tmp_path):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(tmp_path))
    at = open_app()
    assert any("no pretrained models" in info.value for info in at.info)
    at.button(key="quick_start").click().run()
    assert_clean(at)
    assert picked_model(at) == "session:quick_dense_mnist"
    assert image_captions(at), "the home grid appears once the quick model exists"


def test_training_runs_to_the_end_and_joins_the_picker(app_env):
    at = start_training("dense", epochs=2, count=500)
    assert_clean(at)
    at = wait_for_training(at)
    assert_clean(at)
    assert any("finished after 2 epoch" in s.value for s in at.success)
    key = training_run(at).key
    assert key.startswith("session:dense_mnist_") and picked_model(at) == key
    assert {button.label for button in at.get("download_button")} >= {"Model (.keras)", "Card (.json)"}
    assert at.get("plotly_chart"), "the loss curve is drawn"


def test_a_stale_picker_value_does_not_undo_the_pick_of_a_new_model(app_env):
    at = start_training("dense", epochs=1, count=500)
    training_run(at).job.thread.join(timeout=120)
    at.run()  # the run that collects the model and picks it
    key = training_run(at).key
    assert picked_model(at) == key
    # A poll the browser sent before it drew the new pick carries the picker's old value.
    at.sidebar.selectbox(key="model").set_value("a_conv_gaussian").run()
    assert picked_model(at) == key
    at.sidebar.selectbox(key="model").set_value("a_conv_gaussian").run()  # now a choice: it holds
    assert picked_model(at) == "a_conv_gaussian"


def test_stop_ends_a_long_run_and_keeps_the_model(app_env):
    at = start_training("conv", epochs=50, count=4000)
    at.button(key="stop_training").click().run()
    stop = at.button(key="stop_training")  # the click shows at once: one state, no second press
    assert stop.label == "Stopping…" and stop.disabled and not at.success
    at = wait_for_training(at)
    epochs_run = training_run(at).job.result.epochs_run
    assert epochs_run < 50 and any(f"stopped in epoch {epochs_run} of 50" in s.value for s in at.success)
    assert picked_model(at) == training_run(at).key


def test_an_ended_run_shows_one_state(app_env):
    at = start_training("dense", epochs=1, count=500)
    run = training_run(at)
    run.job.thread.join(timeout=120)
    assert run.job.kept.is_file(), "the job saved its model before it said it was done"
    at.run()  # the first run after the end: picker, Start and the run's view all agree
    assert_clean(at)
    assert any("finished after 1 epoch" in s.value for s in at.success)
    assert not at.get("progress") and "stop_training" not in [button.key for button in at.button]
    assert picked_model(at) == run.key and not at.button(key="start_training").disabled


def test_sigma_slider_renoises_and_changes_the_metrics(app_env):
    at = open_app("app_pages/reconstructions.py")
    assert_clean(at)
    assert at.slider(key="sigma").value == pytest.approx(0.4)  # the model's own training noise
    low = at.metric[0].value
    at.slider(key="sigma").set_value(0.9).run()
    assert_clean(at)
    assert at.metric[0].value != low
    assert at.query_params["sigma"] == "0.9"
    assert [metric.label for metric in at.metric][-1] == "Gain over noisy"
    assert all(len(metric.label) <= 16 for metric in at.metric)  # a quarter of the view at 1280 px shows about 16


def test_shared_link_restores_the_view(app_env):
    at = open_app("app_pages/reconstructions.py",
                  query={"model": "b_vae", "noise": "masking", "sigma": "0.3", "seed": "7"})
    assert_clean(at)
    assert at.sidebar.selectbox(key="model").value == "b_vae"
    assert at.selectbox(key="noise").value == "masking"
    assert at.slider(key="sigma").value == pytest.approx(0.3)
    assert at.number_input(key="seed").value == 7


def test_train_page_link_restores_the_dataset(app_env):
    at = open_app("app_pages/train.py", query={"dataset": "digits"})
    assert_clean(at)
    assert at.selectbox(key="dataset").value == "digits"
    assert at.query_params["dataset"] == "digits"


def test_link_with_bad_values_falls_back_with_a_message(app_env):
    at = open_app(query={"model": "gone", "noise": "masking", "sigma": "0.9", "seed": "x"})
    assert picked_model(at) == "a_conv_gaussian"
    assert any("not here" in w.value for w in at.sidebar.warning)
    at.switch_page("app_pages/reconstructions.py").run()
    assert_clean(at)
    assert any("between 0 and 0.5" in w.value for w in at.warning)
    assert at.number_input(key="seed").value == 0


def test_upload_denoises_good_files_and_reports_broken_ones(app_env, mnist):
    at = open_app("app_pages/denoise.py")
    good = png_bytes(1 - mnist.x_test[0, ..., 0])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("inside.png", png_bytes(mnist.x_test[1, ..., 0]))
        zipped.writestr("notes.txt", b"hello")
    at.file_uploader(key="denoise_upload").set_value([
        ("digit.png", good, "image/png"),
        ("broken.png", b"\x89PNG\r\n\x1a\nnot really", "image/png"),
        ("batch.zip", archive.getvalue(), "application/zip"),
    ]).run()
    assert not at.exception
    warnings = as_shown(" ".join(w.value for w in at.warning))  # names are shown escaped
    assert "broken.png" in warnings and "batch.zip/notes.txt" in warnings
    assert any("Denoised 2 images" in s.value for s in at.success)
    labels = [button.label for button in at.get("download_button")]
    assert labels.count("PNG") == 2 and "Download all denoised images (.zip)" in labels


def test_upload_of_only_broken_files_says_so(app_env):
    at = open_app("app_pages/denoise.py")
    at.file_uploader(key="denoise_upload").set_value(("empty.png", b"", "image/png")).run()
    assert not at.exception
    assert any("empty.png" in as_shown(w.value) and "empty" in w.value for w in at.warning)
    assert any("None of the uploads" in e.value for e in at.error)


def test_a_zip_of_big_blank_images_is_read_up_to_the_budget_and_the_rest_named(app_env):
    from tests.bad_uploads import png_with_a_bar, zip_of

    big = zip_of([(f"big_{i:02d}.png", png_with_a_bar(4096, 4096)) for i in range(18)])
    at = open_app("app_pages/denoise.py")
    at.file_uploader(key="denoise_upload").set_value([("big.zip", big, "application/zip"),
                                                      ("after.png", png_with_a_bar(64, 64), "image/png")])
    at.run(timeout=300)
    assert_clean(at)
    assert any("Denoised 16 images" in s.value for s in at.success)
    refused = [as_shown(w.value) for w in at.warning]
    assert [text.split(":")[0] for text in refused] == ["big.zip/big_16.png", "big.zip/big_17.png", "after.png"]
    assert all("megapixels" in text for text in refused)


def test_an_upload_just_over_the_size_limit_is_named_with_the_limit(app_env, mnist):
    from aecore.images import MAX_UPLOAD_BYTES, MB

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("inside.png", png_bytes(mnist.x_test[1, ..., 0]))
        zipped.writestr("padding.bin", bytes(MAX_UPLOAD_BYTES))
    at = open_app("app_pages/denoise.py")
    assert at.file_uploader(key="denoise_upload").proto.max_upload_size_mb == MAX_UPLOAD_BYTES // MB == 50
    at.file_uploader(key="denoise_upload").set_value([("big.zip", archive.getvalue(), "application/zip")]).run()
    assert not at.exception
    assert any(as_shown(w.value).startswith("big.zip: the file is 50.0 MB; one upload may be at most 50 MB")
               for w in at.warning)


def test_visitor_text_in_links_and_zip_members_is_shown_as_plain_text(app_env, mnist):
    phish = "[phish](https://evil.example/login)"
    at = open_app(query={"model": phish})
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert plain(phish) in warning and phish not in warning
    at.switch_page("app_pages/denoise.py").run()
    member = "[ok](javascript:alert(1)).png"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(member, png_bytes(mnist.x_test[1, ..., 0]))
        zipped.writestr("x\\" + member.replace(".png", ".txt"), b"not an image")
    at.file_uploader(key="denoise_upload").set_value([("b.zip", archive.getvalue(), "application/zip")]).run()
    assert_clean(at)
    texts = [w.value for w in at.warning] + image_captions(at)
    assert len(texts) == 2 and all("](" not in text and plain("[ok](javascript:alert") in text for text in texts)


def test_latent_page_decodes_points_and_draws_the_manifold(app_env):
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    assert_clean(at)
    assert at.radio(key="latent_method").value == "code"
    at.number_input(key="latent_coordinate_0").set_value(1.5).run()
    assert_clean(at)
    captions = image_captions(at)
    assert any("decoded from [1.5" in caption for caption in captions)
    assert any("2-D code plane" in caption for caption in captions)


def test_latent_scatter_is_the_same_chart_on_the_run_a_first_click_triggers(app_env):
    # A plotly chart's widget identity is its content: when the figure changed on the rerun that a
    # click triggers (the decoded point's marker appeared only then), the first click was lost.
    for method in ("code", "pca"):
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["latent_method"] = method
        at.query_params["model"] = "b_vae"
        at.run().switch_page("app_pages/latent.py").run()  # the page's first run in this session
        first = at.get("plotly_chart")[0].proto
        at.run()  # what a click on a point does: rerun with the selection
        assert_clean(at)
        assert at.get("plotly_chart")[0].proto.id == first.id, method
        assert "decoded point" in first.spec  # the typed point is marked from the first draw


def test_tsne_is_drawn_once_and_kept_for_the_next_visitor(app_env):
    from studio.progress import result_cache

    at = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    at.select_slider(key="latent_count").set_value(200)
    at.radio(key="latent_method").set_value("tsne").run()
    assert_clean(at)
    assert "t-SNE" in at.get("plotly_chart")[0].proto.spec and not at.get("progress")
    assert "tsne2" in result_cache().rates  # timed, for the next estimate
    kept = [key for key in result_cache().results if key[1:] == (200, "tsne", 2)]
    assert len(kept) == 1
    other = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    other.select_slider(key="latent_count").set_value(200)
    other.radio(key="latent_method").set_value("tsne").run()
    assert other.get("plotly_chart")[0].proto.spec == at.get("plotly_chart")[0].proto.spec


def test_linear_vs_pca_opens_on_a_pretrained_model_and_trains_on_demand(app_env):
    at = open_app("app_pages/linear_pca.py")
    assert_clean(at)
    assert any("Shown: the pretrained c_points_linear (3 epochs" in caption.value for caption in at.caption)
    at.slider(key="linear_epochs").set_value(150)
    at.button(key="linear_train").click().run()
    assert_clean(at)
    assert any("trained with 150 epochs, learning rate 0.01, seed 0" in caption.value for caption in at.caption)
    angle = float(at.metric[0].value.rstrip("°"))
    assert angle < 5.0
    assert all(len(metric.label) <= 16 for metric in at.metric)  # a third of the view at 1280 px shows about 20
    at.slider(key="linear_epochs").set_value(10).run()  # moving a slider alone trains nothing
    assert any("trained with 150 epochs" in caption.value for caption in at.caption)


def test_linear_vs_pca_first_view_is_the_shipped_model_and_the_planes_agree(monkeypatch):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(Path(APP).parent / "pretrained"))
    at = open_app("app_pages/linear_pca.py")
    assert_clean(at)
    assert any("Shown: the pretrained points3d_linear (200 epochs" in caption.value for caption in at.caption)
    assert float(at.metric[0].value.rstrip("°")) < 5.0


def test_the_whole_hostile_corpus_through_the_denoise_page(app_env):
    from tests.bad_uploads import corpus

    cases = corpus()
    at = open_app("app_pages/denoise.py")
    at.file_uploader(key="denoise_upload").set_value([(case.name, case.data, "application/octet-stream")
                                                      for case in cases])
    at.run(timeout=300)
    assert not at.exception
    # one request reads 1,000 images: blank.png decodes but has no ink to centre, and truncated.png, whose header
    # declares its size, is read until its pixels run out
    good = MAX_REQUEST_IMAGES - 2
    assert any("one upload reads at most 1,000 images" in as_shown(w.value) for w in at.warning)
    assert any("blank.png" in as_shown(w.value) and "no ink" in w.value for w in at.warning)
    assert any(f"Denoised {good:,} images" in s.value for s in at.success)
    reported = as_shown(" ".join(w.value for w in at.warning))
    first_failures = [case.name for case in cases if case.errors and not case.images][:20]
    assert all(name in reported for name in first_failures[:10])
    assert any("Showing the first 24 of" in i.value for i in at.info)
    assert "Download all denoised images (.zip)" in [b.label for b in at.get("download_button")]


def test_fashion_models_work_after_the_readme_install(monkeypatch):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(Path(APP).parent / "pretrained"))
    for model in ("fashion_dense64", "fashion_conv_gaussian0.2"):
        at = open_app(query={"model": model})
        assert_clean(at)
        assert picked_model(at) == model and "reconstructions" in image_captions(at)[0]
        card = at.sidebar.caption[0].value
        assert "AECORE_DATA_DIR" not in card and "60,000 training images" in card
        assert "the full data set, from a data folder on the machine that trained it" in card
        assert "on this machine" not in card  # which may have no data folder at all
        at.switch_page("app_pages/reconstructions.py").run()
        assert_clean(at)
    at = open_app(query={"model": "detector_mnist_0"})
    assert "5,923 training images of its normal classes; the full data set" in at.sidebar.caption[0].value


def test_train_settings_survive_a_page_switch(app_env):
    at = open_app("app_pages/train.py")
    at.selectbox(key="train_architecture").set_value("conv")
    at.slider(key="train_epochs").set_value(1)
    at.selectbox(key="train_noise").set_value("gaussian").run()
    at.slider(key="train_noise_level").set_value(0.3)
    at.select_slider(key="train_count").set_value(500).run()
    for page in ("app_pages/home.py", "app_pages/latent.py", "app_pages/train.py"):
        at.switch_page(page).run()
        assert_clean(at)
    assert at.selectbox(key="train_architecture").value == "conv"
    assert at.slider(key="train_epochs").value == 1
    assert at.selectbox(key="train_noise").value == "gaussian"
    assert at.slider(key="train_noise_level").value == pytest.approx(0.3)
    assert at.select_slider(key="train_count").value == 500
    at.button(key="start_training").click().run()  # Start trains what the page shows
    run = training_run(at)
    assert run.name.startswith("conv_mnist_") and str(run.job.config.noise) == "gaussian:0.3"
    assert len(run.job.dataset.x_train) == 500 and run.job.config.epochs == 1
    wait_for_training(at)


def test_train_page_offers_only_the_images_that_exist(app_env):
    at = open_app("app_pages/train.py")
    available = len(load_dataset("mnist").x_train)
    assert at.select_slider(key="train_count").options[-1] == f"{available:,}"
    at.selectbox(key="dataset").set_value("digits").run()
    assert_clean(at)
    assert at.select_slider(key="train_count").options == ["500", "1,000", f"{len(load_dataset('digits').x_train):,}"]
    assert any(f"{len(load_dataset('digits').x_train):,} training images" in c.value for c in at.caption)


def test_the_architecture_box_holds_the_name_and_its_description_follows(app_env):
    from aecore.architectures import IMAGE_MODELS, list_models

    at = open_app("app_pages/train.py")
    assert at.selectbox(key="train_architecture").options == list(IMAGE_MODELS)  # short enough for a third of a laptop
    at.selectbox(key="train_architecture").set_value("vae").run()
    assert_clean(at)
    assert list_models()["vae"] in [caption.value for caption in at.caption]


def test_noise_level_is_off_without_noise_and_follows_the_kind(app_env):
    at = open_app("app_pages/train.py")
    assert at.selectbox(key="train_noise").value == "none" and at.slider(key="train_noise_level").disabled
    at.selectbox(key="train_noise").set_value("masking").run()
    assert at.slider(key="train_noise_level").value == pytest.approx(0.4)  # the level stays when it fits
    at.selectbox(key="train_noise").set_value("gaussian").run()
    at.slider(key="train_noise_level").set_value(0.9).run()
    at.selectbox(key="train_noise").set_value("masking").run()
    assert_clean(at)
    assert not at.warning and at.slider(key="train_noise_level").value == pytest.approx(0.5)
    assert at.slider(key="train_noise_level").max == pytest.approx(0.5)


def test_live_preview_reconstructs_the_noisy_inputs_it_shows(app_env):
    at = start_training("dense", epochs=1, count=500, noise="gaussian", level=0.5)
    at = wait_for_training(at)
    run = training_run(at)
    job = run.job
    noisy = add_noise(run.preview_originals, job.config.noise, seed=0)
    np.testing.assert_allclose(job.preview, noisy)
    np.testing.assert_allclose(job.preview_outputs, job.result.model.reconstruct(noisy), rtol=1e-5, atol=1e-6)
    assert any("noisy inputs, their reconstructions" in caption for caption in image_captions(at))


def test_train_page_draws_the_codes_of_test_images_after_each_epoch(app_env):
    at = wait_for_training(start_training("deep", epochs=2, count=500))
    job = training_run(at).job
    assert job.preview_codes.shape == (500, 64)
    live = [chart.proto.spec for chart in at.get("plotly_chart") if "500 test codes" in chart.proto.spec]
    assert len(live) == 1  # the projection on a smaller second line, so a third of the page shows the title whole
    assert json.loads(live[0])["layout"]["title"]["text"] == ("500 test codes, epoch 2"
                                                              "<br><sup>PCA of 64 values</sup>")
    np.testing.assert_allclose(job.preview_codes, job.result.model.encode(load_dataset("mnist").x_test[:500]),
                               rtol=1e-4, atol=1e-5)


def test_latent_page_offers_only_the_test_images_that_exist(app_env):
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    assert at.select_slider(key="latent_count").options == ["200", "500", "1,000", "2,000", "5,000", "10,000"]
    at.select_slider(key="latent_count").set_value(10000).run()
    assert_clean(at)
    at.sidebar.selectbox(key="model").set_value("c_points_linear").run()
    assert_clean(at)
    points = len(load_dataset("points3d").x_test)
    assert not at.select_slider and any(f"all {points:,} there are" in c.value for c in at.caption)
    assert f"{points:,} test images" in at.get("plotly_chart")[0].proto.spec


def test_reconstructions_without_noise_show_no_noisy_row_and_no_gain(app_env):
    at = open_app("app_pages/reconstructions.py")
    at.slider(key="sigma").set_value(0.0).run()
    assert_clean(at)
    assert [metric.label for metric in at.metric] == ["Mean MSE", "Mean PSNR", "Mean SSIM"]
    assert "noisy" not in image_captions(at)[0]


def test_switching_the_noise_kind_keeps_a_level_it_allows_without_a_warning(app_env):
    at = open_app("app_pages/reconstructions.py")
    at.slider(key="sigma").set_value(0.9).run()
    at.selectbox(key="noise").set_value("masking").run()
    assert_clean(at)
    assert not at.warning and at.slider(key="sigma").value == pytest.approx(0.5)
    at.slider(key="sigma").set_value(0.3).run()
    at.selectbox(key="noise").set_value("gaussian").run()  # a slider with another range: the level stays
    assert at.slider(key="sigma").value == pytest.approx(0.3)


def test_model_picker_labels_fit_the_sidebar(monkeypatch):
    # Measured in Chromium: the sidebar's selectbox (240 px wide) shows about 30 characters, then cuts.
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(Path(APP).parent / "pretrained"))
    at = open_app()
    labels = at.sidebar.selectbox(key="model").options
    assert len(labels) > 10 and "mnist_conv_gaussian0.4" in labels
    assert max(map(len, labels)) <= 28, max(labels, key=len)
    card = at.sidebar.caption[0].value
    assert "pretrained" in card and "conv" in card and "gaussian:0.4" in card
