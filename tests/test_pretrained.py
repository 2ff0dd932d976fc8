"""Every model in pretrained/ loads, has a card, and reconstructs bundled test images sensibly."""

import json
from pathlib import Path

import numpy as np
import pytest

from aecore import zoo
from aecore.datasets import load_dataset
from aecore.metrics import evaluate_model

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
MODELS = sorted(PRETRAINED.glob("*.keras"))
CARD_KEYS = {"architecture", "options", "dataset", "data_source", "noise", "epochs", "seconds", "final_losses",
             "test_metrics", "versions", "recipe"}


def test_pretrained_folder_is_small_enough_to_host():
    total = sum(path.stat().st_size for path in PRETRAINED.glob("*"))
    assert total < 40 * 1024 * 1024


@pytest.mark.parametrize("path", MODELS, ids=[path.stem for path in MODELS])
def test_pretrained_model_loads_and_reconstructs_sensibly(path):
    card = json.loads(path.with_suffix(".json").read_text())
    assert CARD_KEYS <= set(card), CARD_KEYS - set(card)
    model = zoo.load_model(path)
    dataset = load_dataset(card["dataset"])  # every card's data works offline after the README install
    x = dataset.x_test[:64]
    scores = evaluate_model(model, x, card["noise"], seed=0)
    if not dataset.is_image:
        assert scores["model"]["mse"] < 0.5 * float(np.var(x, axis=0).sum() / x.shape[1])
    elif card["noise"]:
        assert scores["model"]["psnr"] > scores["noisy_input"]["psnr"] + 3  # it denoises
    else:
        assert scores["model"]["psnr"] > 14 and scores["model"]["ssim"] > 0.5
