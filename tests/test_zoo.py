"""Saving with model cards, atomically, and loading back."""

import json

import numpy as np
import pytest

from aecore import zoo
from aecore.metrics import evaluate_model
from aecore.training import TrainConfig, train


@pytest.fixture(scope="module")
def trained(mnist_small):
    config = TrainConfig(epochs=1, noise="gaussian:0.2")
    return config, train("dense", mnist_small, config, code_size=16)


def test_card_and_model_written_side_by_side(trained, mnist_small, tmp_path):
    config, result = trained
    scores = evaluate_model(result.model, mnist_small.x_test, config.noise)
    card = zoo.make_card(result.model, mnist_small, config, result, scores, {"optimizer": "adam"})
    path = zoo.save_model(result.model, tmp_path, "tiny", card)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json", "tiny.keras"]
    saved = json.loads((tmp_path / "tiny.json").read_text())
    for key in ("architecture", "options", "changed_options", "dataset", "data_source", "noise", "epochs", "seconds", "final_losses",
                "test_metrics", "versions", "recipe"):
        assert key in saved, key
    assert saved["architecture"] == "dense" and saved["options"]["code_size"] == 16
    assert saved["noise"] == "gaussian:0.2" and saved["versions"]["keras"]
    reloaded = zoo.load_model(path)
    np.testing.assert_array_equal(reloaded.reconstruct(mnist_small.x_test), result.model.reconstruct(mnist_small.x_test))
    assert [name for name, _, _ in zoo.list_saved(tmp_path)] == ["tiny"]
    assert zoo.load_card(path)["file"] == "tiny.keras"


def test_card_names_the_options_that_depart_from_the_catalogue():
    from aecore.architectures import build

    assert zoo.changed_options(build("conv")) == {}
    assert zoo.changed_options(build("conv", code_size=8, upsampling="transpose", filters=48)) == {
        "upsampling": "transpose", "filters": 48}
    assert zoo.changed_options(build("deep", input_shape=(8, 8, 1), hidden_sizes=(128, 64), code_activation="linear")) == {
        "hidden_sizes": [128, 64], "code_activation": "linear"}


def test_failed_save_leaves_the_old_file(trained, tmp_path, monkeypatch):
    _, result = trained
    path = zoo.save_model(result.model, tmp_path, "kept", {})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(result.model, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        zoo.save_model(result.model, tmp_path, "kept", {})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "kept.keras"]  # no temporary left


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "sp ace"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(ValueError, match="may use only"):
        zoo.check_name(name)


def test_loading_a_missing_file_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .keras model"):
        zoo.load_model(tmp_path / "none.keras")


def test_saved_files_drop_optimizer_state_but_keep_the_callers_optimizer(trained, tmp_path):
    _, result = trained
    optimizer = result.model.optimizer
    steps = int(optimizer.iterations)
    slim = zoo.save_model(result.model, tmp_path, "slim", {})
    full = tmp_path / "full.keras"
    result.model.save(full)
    assert slim.stat().st_size < 0.6 * full.stat().st_size  # Adam keeps two moments per weight
    assert result.model.optimizer is optimizer and int(optimizer.iterations) == steps > 0
    assert getattr(zoo.load_model(slim), "optimizer", None) is None  # for predictions; compile_model to fine-tune


def test_save_trained_scores_writes_the_card_and_counts_a_fine_tuned_run_whole(trained, mnist_small, tmp_path):
    config, result = trained
    path = zoo.save_trained(result, mnist_small, config, tmp_path, "scored", {"optimizer": "adam"}, test_examples=32)
    card = zoo.load_card(path)
    assert card["test_metrics"] == evaluate_model(result.model, mnist_small.x_test[:32], config.noise, seed=config.seed,
                                                 baseline_metrics=["mse", "psnr"])
    assert card["recipe"] == {"optimizer": "adam"} and card["epochs"] == 1 and "fine_tuned_from" not in card
    tuned = zoo.load_card(zoo.save_trained(result, mnist_small, config, tmp_path, "tuned", fine_tuned_from=(path, card)))
    assert tuned["epochs"] == 2 and tuned["fine_tuned_from"] == {"file": "scored.keras", "epochs": 1,
                                                                 "noise": "gaussian:0.2"}
    assert len(tuned["history"]["loss"]) == 2 and tuned["test_metrics"]["model"]["n"] == len(mnist_small.x_test)


def test_a_save_removes_half_written_files_that_a_killed_save_left(trained, tmp_path):
    import os
    import time

    model = trained[1].model
    old, fresh = tmp_path / ".m.k1ll3d.keras", tmp_path / ".m.sav1ng.keras"
    for leftover in (old, fresh):
        leftover.write_bytes(b"half a model")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    zoo.save_model(model, tmp_path, "m", {})
    assert not old.exists() and fresh.exists()  # a save going on beside it is left alone
    assert (tmp_path / "m.keras").is_file()
