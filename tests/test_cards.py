"""Card reading without TensorFlow, for the app's first page: a family's capabilities, the code's shape in words,
and model listings."""

import subprocess
import sys

from aecore.cards import (
    best_photo_models,
    card_capabilities,
    card_input_shape,
    code_in_words,
    code_shape,
    is_photo,
    trained_for,
)


def test_code_shapes_from_the_card_alone():
    conv = {"input_shape": [28, 28, 1], "code_size": 32}
    assert code_shape("conv", conv) == (7, 7, 32)
    assert code_shape("conv", {**conv, "code_units": 2}) == (2,)
    assert code_shape("dense", {"input_shape": [28, 28, 1], "code_size": 64}) == (64,)
    assert code_in_words({"architecture": "conv", "options": conv}).startswith("7 x 7 x 32 = 1,568 values")
    assert code_in_words({"options": conv}) == "?"
    assert card_input_shape({"options": conv}) == (28, 28, 1)
    assert card_input_shape({"options": {"input_shape": [3]}}) == (3,) and card_input_shape({}) is None


def test_capabilities_are_read_from_the_family_a_card_names():
    assert is_photo({"architecture": "photo"}) and not is_photo({"architecture": "conv"}) and not is_photo(None)
    assert card_capabilities({"architecture": "vae"}).generative
    assert card_capabilities({"architecture": "linear"}).linear
    assert not card_capabilities({"architecture": "dense"}).generative
    assert not card_capabilities({"architecture": "not a family"}).photo


def test_cards_and_model_listings_need_no_tensorflow(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"")
    (tmp_path / "m.json").write_text('{"architecture": "dense"}')
    script = ("import sys; from aecore import zoo, cards; assert cards.is_photo({'architecture': 'photo'}); "
              f"assert zoo.list_saved({str(tmp_path)!r})[0][2]['architecture'] == 'dense'; "
              "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def test_each_kind_of_photo_gets_the_photo_model_trained_for_its_noise():
    white = {"architecture": "photo", "channels": 3, "stages": [{"jpeg_fraction": 0.0}]}
    camera = {"architecture": "photo", "channels": 3, "stages": [{"jpeg_fraction": 0.0}, {"mix": {"camera": 0.4}}]}
    gray = {"architecture": "photo", "channels": 1, "stages": [{}]}
    cards = {"white": white, "camera": camera, "gray": gray, "digits": {"architecture": "conv", "channels": 1}}
    assert [trained_for(card) for card in (white, camera, gray)] == ["white", "camera", "white"]
    assert best_photo_models(cards, "upload") == {3: "camera", 1: "gray"}
    assert best_photo_models(cards, "subsampled") == {3: "camera", 1: "gray"}
    assert best_photo_models(cards, "white") == {3: "white", 1: "gray"}
    assert best_photo_models({"digits": cards["digits"]}) == {}
