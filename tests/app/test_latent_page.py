"""AppTest: the Latent page's projections, nearest codes, hover images, drawing and VAE generation."""

import base64
import io

import numpy as np
from PIL import Image

from aecore.datasets import load_dataset
from aecore.latent import nearest_codes
from aecore.zoo import load_model
from studio.progress import result_cache
from tests.app.test_pages import assert_clean, image_captions, open_app


def scatter_spec(at):
    return at.get("plotly_chart")[0].proto.spec


def test_umap_of_the_codes_is_drawn_kept_and_exported(app_env):
    at = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    at.select_slider(key="latent_count").set_value(200)
    at.radio(key="latent_method").set_value("umap").run()
    assert_clean(at)
    assert "UMAP" in scatter_spec(at) and "umap2" in result_cache().rates
    assert [key for key in result_cache().results if key[1:] == (200, "umap", 2)]
    assert at.get("download_button")[0].proto.label == "Download coordinates (.csv)"
    at.radio(key="latent_dims").set_value(3).run()
    assert_clean(at)
    assert "scatter3d" in scatter_spec(at)


def test_the_picked_image_and_its_nearest_codes_are_ringed_and_shown(app_env):
    at = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    at.select_slider(key="latent_count").set_value(500)
    at.slider(key="latent_neighbours").set_value(5)
    at.number_input(key="latent_index").set_value(42).run()
    assert_clean(at)
    spec = scatter_spec(at)
    assert "selected image" in spec and "5 nearest in code space" in spec
    data = load_dataset("mnist")
    codes = load_model(app_env / "a_conv_gaussian.keras").encode(data.x_test[:500])
    labels = ", ".join(str(data.class_names[data.y_test[i]]) for i in nearest_codes(codes, 42, 5))
    assert any(caption.startswith("image 42 and its 5 nearest codes") and caption.endswith(f"labels {labels}")
               for caption in image_captions(at))


def hover_component(at):
    hover = [element for element in at.get("bidi_component") if "latent_scatter" in str(element.proto)]
    assert len(hover) == 1
    return str(hover[0].proto)


def test_hovering_needs_the_images_sent_once_as_one_sprite_sheet(app_env):
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    first = hover_component(at)
    assert "data:image/png;base64," in first
    at.number_input(key="latent_index").set_value(7).run()  # a rerun: the page holds the sheet already
    again = hover_component(at)
    (sprite_id,) = at.session_state["hover_sprites_sent"]
    assert "data:image/png;base64," not in again and sprite_id in again and len(again) < len(first) / 50


def test_a_drawn_digit_is_encoded_placed_and_reconstructed(app_env, monkeypatch):
    import streamlit_drawable_canvas

    digit = load_dataset("mnist").x_test[3, ..., 0]  # a 0, drawn dark on white at the canvas's size
    pixels = np.kron(1 - digit, np.ones((7, 7)))
    rgba = np.dstack([pixels * 255] * 3 + [np.full_like(pixels, 255)]).astype(np.uint8)
    drawing = type("Drawing", (), {"image_data": rgba})
    monkeypatch.setattr(streamlit_drawable_canvas, "st_canvas", lambda **options: drawing)
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    assert_clean(at)
    assert "your drawing" in scatter_spec(at)
    assert any("your digit as the model sees it" in caption for caption in image_captions(at))
    # Inline PNGs, none under /media/: Streamlit deletes a media file when a rerun replaces its image,
    # and a browser still fetching it logged a 404.
    urls = [url for image in at.image for url in image.value]
    assert len(urls) >= 4 and all(url.startswith("data:image/png;base64,") for url in urls)
    pictures = [Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) for url in urls]
    assert any(picture.mode == "L" and picture.size == (3 * (9 * 30 - 2), 3 * 28)  # image 0 and its 8 nearest
               for picture in pictures)
    blank = type("Blank", (), {"image_data": None})
    monkeypatch.setattr(streamlit_drawable_canvas, "st_canvas", lambda **options: blank)
    at.run()
    assert "your drawing" not in scatter_spec(at)


def test_a_vae_generates_from_the_prior_traverses_and_adds_codes(app_env):
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    assert_clean(at)
    captions = image_captions(at)
    assert any("drawn from the prior" in caption for caption in captions)
    assert any("one dimension per row" in caption for caption in captions)
    assert any("code(A) - code(B) + code(C)" in caption for caption in captions)
    at.number_input(key="generate_seed").set_value(3).run()
    assert_clean(at)
    at = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    assert not any("drawn from the prior" in caption for caption in image_captions(at))


def test_dimensions_fall_back_to_two_when_a_model_with_a_2d_code_is_picked(app_env):
    at = open_app("app_pages/latent.py", query={"model": "a_conv_gaussian"})
    at.select_slider(key="latent_count").set_value(200)
    at.radio(key="latent_method").set_value("pca")
    at.radio(key="latent_dims").set_value(3).run()
    assert "scatter3d" in scatter_spec(at)
    at.sidebar.selectbox(key="model").set_value("b_vae").run()  # its code has 2 values
    assert_clean(at)
    dims = at.radio(key="latent_dims")
    assert dims.value == 2 and dims.disabled and "scatter3d" not in scatter_spec(at)
    at.radio(key="latent_method").set_value("code").run()
    assert_clean(at)
    assert at.radio(key="latent_dims").value == 2


def test_a_decoded_point_near_zero_reads_without_a_minus_sign(app_env):
    at = open_app("app_pages/latent.py", query={"model": "b_vae"})
    at.number_input(key="latent_coordinate_0").set_value(-0.001)
    at.number_input(key="latent_coordinate_1").set_value(-0.004).run()
    assert_clean(at)
    assert any(caption.startswith("decoded from [0.0, 0.0]") for caption in image_captions(at))
    fields = [at.number_input(key=f"latent_coordinate_{axis}").value for axis in (0, 1)]
    assert fields == [0.0, 0.0] and all(str(value) == "0.0" for value in fields)  # the fields read 0.00, not -0.00
