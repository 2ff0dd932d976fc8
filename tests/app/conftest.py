"""Fixtures for the AppTest page tests."""

from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_env(monkeypatch, pretrained_dir):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(pretrained_dir))
    return pretrained_dir
