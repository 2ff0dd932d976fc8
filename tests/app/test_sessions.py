"""Many visitors at once: isolation between sessions, a shared model left intact, hosted-mode caps."""

import hashlib
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aecore.datasets import load_dataset
from studio.limits import counts_up_to, training_limits
from tests.app.conftest import APP, start_training, wait_for_training


def weights_digest(model):
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.asarray(weight).tobytes())
    return digest.hexdigest()


def test_two_sessions_train_at_once_and_see_only_their_own_models(app_env):
    from studio.models import load_pretrained

    shared = load_pretrained(str(app_env / "a_conv_gaussian.keras"), (app_env / "a_conv_gaussian.keras").stat().st_mtime)
    before = weights_digest(shared)
    pretrained_files = sorted((path.name, path.stat().st_mtime) for path in app_env.iterdir())

    first, second = start_training(), start_training()
    # While both run, a third visitor switches pages: the runs carry on.
    first.switch_page("app_pages/home.py").run()
    first = wait_for_training(first)
    second = wait_for_training(second)
    first.switch_page("app_pages/train.py").run()

    first_key = first.session_state["training"].key
    second_key = second.session_state["training"].key
    assert first.session_state["training"].job is not second.session_state["training"].job
    assert set(first.session_state["session_models"]) == {first_key}
    assert set(second.session_state["session_models"]) == {second_key}
    assert first.session_state["session_dir"] != second.session_state["session_dir"]
    assert weights_digest(shared) == before, "a shared cached model was changed"
    assert sorted((path.name, path.stat().st_mtime) for path in app_env.iterdir()) == pretrained_files


def test_concurrent_predictions_on_a_shared_model_agree(app_env, mnist):
    from studio.models import load_pretrained

    path = app_env / "a_conv_gaussian.keras"
    model = load_pretrained(str(path), path.stat().st_mtime)
    batches = [mnist.x_test[i * 16 : (i + 1) * 16] for i in range(8)]
    expected = [model.reconstruct(batch) for batch in batches]
    results = [None] * len(batches)

    def predict(index):
        for _ in range(5):
            results[index] = model.reconstruct(batches[index])

    threads = [threading.Thread(target=predict, args=(index,)) for index in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.fixture
def hosted(monkeypatch, app_env):
    monkeypatch.setenv("AESTUDIO_HOSTED", "1")
    training_limits.clear()
    yield
    limits = training_limits()
    for job in list(limits.jobs):
        job.stop()
        job.thread.join(timeout=60)
    monkeypatch.delenv("AESTUDIO_HOSTED")
    training_limits.clear()


def test_hosted_mode_caps_are_shown_and_enforced(hosted):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert any("Hosted demo: at most 10 epochs" in caption.value for caption in at.caption)
    assert at.slider(key="train_epochs").max == 10
    assert at.select_slider(key="train_count").options[-1] == f"{min(10000, len(load_dataset('mnist').x_train)):,}"
    running = [start_training("conv", epochs=10) for _ in range(2)]
    third = start_training(epochs=1)
    assert any("2 training runs are already going" in error.value for error in third.error)
    assert "training" not in third.session_state
    for at in running:
        at.session_state["training"].job.stop()


def test_counts_offered_stop_at_what_exists_and_at_the_cap():
    assert counts_up_to(1437, range(500, 60001, 500)) == [500, 1000, 1437]
    assert counts_up_to(60000, range(500, 10001, 500))[-1] == 10000
    assert counts_up_to(120, (200, 500, 1000)) == [120]
    assert counts_up_to(10000, (200, 500, 1000, 2000, 5000)) == [200, 500, 1000, 2000, 5000]
