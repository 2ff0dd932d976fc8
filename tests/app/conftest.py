"""Fixtures for the AppTest page tests."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_env(monkeypatch, pretrained_dir):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(pretrained_dir))
    return pretrained_dir


def start_training(architecture="dense", epochs=2, count=500, noise="none", level=None):
    """A new session on the Train page that has pressed Start with these settings."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="train_architecture").set_value(architecture)
    at.slider(key="train_epochs").set_value(epochs)
    at.select_slider(key="train_count").set_value(count)
    at.selectbox(key="train_noise").set_value(noise).run()
    if level is not None:
        at.slider(key="train_noise_level").set_value(level)
    at.button(key="start_training").click().run()
    return at


def training_run(at):
    """The `TrainingRun` of the visitor that `at` is, or `None`."""
    from studio.visitors import visitor_store

    return visitor_store().visitors[at.session_state["visitor_id"]].run


def wait_for_training(at, seconds=120):
    """Rerun `at` until its session's run has ended, then once more so the page shows the outcome."""
    deadline = time.time() + seconds
    while not training_run(at).job.done:
        assert time.time() < deadline, "training did not end in time"
        time.sleep(0.5)
        at.run()
    return at.run()
