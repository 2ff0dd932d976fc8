"""Card reading without TensorFlow, for the app's first page: a family's capabilities, the code's shape in words,
and model listings."""

import subprocess
import sys

from aecore.cards import ModelCard, best_photo_models, code_shape


def test_code_shapes_from_the_card_alone():
    conv = {"input_shape": [28, 28, 1], "code_size": 32}
    assert code_shape("conv", conv) == (7, 7, 32)
    assert code_shape("conv", {**conv, "code_units": 2}) == (2,)
    assert code_shape("dense", {"input_shape": [28, 28, 1], "code_size": 64}) == (64,)
    card = ModelCard.read({"architecture": "conv", "options": conv})
    assert card.code_in_words.startswith("7 x 7 x 32 = 1,568 values") and card.code_values == 1568
    assert ModelCard.read({"options": conv}).code_in_words == "?" and ModelCard.read({}).code_values is None
    assert card.input_shape == (28, 28, 1)
    assert ModelCard.read({"options": {"input_shape": [3]}}).input_shape == (3,)
    assert ModelCard.read({}).input_shape is None


def test_capabilities_are_read_from_the_family_a_card_names():
    def card(family):
        return ModelCard.read({"architecture": family})

    assert card("photo").is_photo and not card("conv").is_photo and not ModelCard.read(None).is_photo
    assert card("vae").capabilities.generative and card("linear").capabilities.linear
    assert not card("dense").capabilities.generative and not card("not a family").capabilities.photo


def test_a_card_is_read_typed_old_or_new_and_keeps_its_json():
    written = {"architecture": "dense", "dataset": "mnist", "classes": [0, 1], "epochs": 0, "future_field": 1,
               "test_metrics": {"model": {"psnr": 20.5}}, "recipe": {"learning_rate": 0.001}}
    card = ModelCard.read(written)
    assert card.classes == (0, 1) and card.epochs == 0 and card.model_scores == {"psnr": 20.5}
    assert card.recipe["learning_rate"] == 0.001 and card.json == written and card
    old = ModelCard.read({"architecture": "conv"})  # written before most fields existed
    assert (old.dataset, old.noise, old.classes, old.epochs, old.history, old.stages) == (None, None, None, None, {}, ())
    assert not ModelCard.read(None) and not ModelCard()  # no card at all


def test_cards_and_model_listings_need_no_tensorflow(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"")
    (tmp_path / "m.json").write_text('{"architecture": "dense"}')
    script = ("import sys; from aecore import zoo, cards; assert cards.ModelCard.read({'architecture': 'photo'}).is_photo; "
              f"assert zoo.list_saved({str(tmp_path)!r})[0][2]['architecture'] == 'dense'; "
              "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def test_each_kind_of_photo_gets_the_photo_model_trained_for_its_noise():
    white = {"architecture": "photo", "channels": 3, "stages": [{"jpeg_fraction": 0.0}]}
    camera = {"architecture": "photo", "channels": 3, "stages": [{"jpeg_fraction": 0.0}, {"mix": {"camera": 0.4}}]}
    gray = {"architecture": "photo", "channels": 1, "stages": [{}]}
    cards = {name: ModelCard.read(card) for name, card in
             {"white": white, "camera": camera, "gray": gray, "digits": {"architecture": "conv", "channels": 1}}.items()}
    assert [cards[name].trained_for for name in ("white", "camera", "gray")] == ["white", "camera", "white"]
    assert best_photo_models(cards, "upload") == {3: "camera", 1: "gray"}
    assert best_photo_models(cards, "subsampled") == {3: "camera", 1: "gray"}
    assert best_photo_models(cards, "white") == {3: "white", 1: "gray"}
    assert best_photo_models({"digits": cards["digits"]}) == {}
