"""The models the picker offers: pretrained ones loaded once per process, and this visitor's own.

Pretrained models and datasets are cached with `st.cache_resource` and treated as read-only;
models a visitor trains live in their session and in a per-session temporary folder.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aecore import zoo
from aecore.datasets import DATASETS, load_dataset

ROOT = Path(__file__).resolve().parent.parent
SESSION_PREFIX = "session:"
DEFAULT_MODEL = "mnist_conv_gaussian0.4"  # works on the MNIST digits every install has


def pretrained_dir():
    return Path(os.environ.get("AESTUDIO_PRETRAINED_DIR", ROOT / "pretrained"))


@dataclass
class ModelEntry:
    """A model in the picker: where it came from, its card, and the loaded Keras model."""

    key: str
    model: object
    card: dict
    path: Path

    @property
    def label(self):
        """The name alone: the sidebar's picker shows about 30 characters; the card below says the rest."""
        return self.key.removeprefix(SESSION_PREFIX)

    @property
    def trained_here(self):
        return self.key.startswith(SESSION_PREFIX)

    @property
    def dataset_name(self):
        return self.card.get("dataset") if self.card.get("dataset") in DATASETS else None

    @property
    def is_image_model(self):
        return len(self.model.example_shape) == 3

    @property
    def is_photo_model(self):
        return self.card.get("architecture") == "photo"


@st.cache_resource(show_spinner="Loading a pretrained model…", max_entries=32)
def load_pretrained(path: str, modified: float):
    """A pretrained model, loaded once per process (and again only if its file changes)."""
    return zoo.load_model(path)


@st.cache_resource(show_spinner="Loading data…", max_entries=8)
def dataset(name: str):
    """A dataset loaded once per process; treat its arrays as read-only."""
    return load_dataset(name)


def session_models():
    """The models this visitor trained in this session: `{key: ModelEntry}`."""
    return st.session_state.setdefault("session_models", {})


def session_dir():
    """This session's own temporary folder; nothing a visitor does writes anywhere else."""
    if "session_dir" not in st.session_state:
        st.session_state["session_dir"] = tempfile.mkdtemp(prefix="aestudio-")
    return Path(st.session_state["session_dir"])


def add_session_model(model, path):
    """Add a model saved (with its card) in `session_dir()` to the picker, and pick it; returns its key."""
    key = SESSION_PREFIX + Path(path).stem
    session_models()[key] = ModelEntry(key, model, zoo.load_card(path), Path(path))
    st.session_state["model"] = key
    return key


@st.cache_data(show_spinner=False, max_entries=4)
def pretrained_listing(directory: str, modified: float):
    """The cards in the pretrained folder, read again only when the folder changes."""
    return zoo.list_saved(directory)


def available_models():
    """Every model the picker offers, pretrained first: `{key: ModelEntry}`."""
    directory = pretrained_dir()
    modified = directory.stat().st_mtime if directory.is_dir() else 0.0
    entries = {}
    for name, path, card in pretrained_listing(str(directory), modified):
        entries[name] = ModelEntry(name, None, card, path)
    entries.update(session_models())
    return entries


def model_entry(key):
    """The picker entry `key` with its model loaded, or `None`."""
    entry = available_models().get(key)
    if entry is not None and entry.model is None:
        entry.model = load_pretrained(str(entry.path), entry.path.stat().st_mtime)
    return entry


def current_model():
    """The model picked in the sidebar, loaded, or `None` when there is none."""
    key = st.session_state.get("model")
    return model_entry(key) if key else None


def test_images(entry, count):
    """The first `count` test examples of the data the model was trained on, with their labels."""
    data = dataset(entry.dataset_name or "mnist")
    if data.input_shape != entry.model.example_shape:
        raise ValueError(f"this model takes {entry.model.example_shape} inputs, which no bundled dataset has")
    return data.x_test[:count], data.y_test[:count], data
