"""The models the picker offers: pretrained ones loaded once per process, and this visitor's own.

Pretrained models and datasets are cached with `st.cache_resource` and treated as read-only.
Models a visitor trains are kept server-side with the visitor (`studio.visitors`), at most
`KEPT_MODELS` of them, so a reload or a new tab finds them again and nobody else sees them.

The first page a fresh server draws does not wait for TensorFlow: `warm_up` imports it and loads
the default model and its data on a background thread while the page draws what needs neither.
"""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aecore import zoo
from aecore.cards import ModelCard
from aecore.datasets import DATASETS, load_dataset
from studio.visitors import current_visitor

SESSION_PREFIX = "session:"
DEFAULT_MODEL = "mnist_conv_gaussian0.4"  # works on the MNIST digits every install has


pretrained_dir = zoo.pretrained_dir


@dataclass
class ModelEntry:
    """A model in the picker: where it came from, its card, and the loaded Keras model."""

    key: str
    model: object
    card: ModelCard
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
        return self.card.dataset if self.card.dataset in DATASETS else None

    @property
    def is_image_model(self):
        """Whether the model takes images (H x W x C), from its card where the model is not loaded yet."""
        shape = self.card.input_shape if self.model is None else None
        if shape is None:
            shape = model_entry(self.key).model.example_shape
        return len(shape) == 3

    @property
    def is_photo_model(self):
        return self.card.is_photo

    @property
    def capabilities(self):
        """What the model's family can do (`aecore.cards.Capabilities`), from its card."""
        return self.card.capabilities


@st.cache_resource(show_spinner="Loading a pretrained model…", max_entries=32)
def load_pretrained(path: str, modified: float):
    """A pretrained model, loaded once per process (and again only if its file changes)."""
    return zoo.load_model(path)


@st.cache_resource(show_spinner="Loading data…", max_entries=8)
def dataset(name: str):
    """A dataset loaded once per process; treat its arrays as read-only."""
    return load_dataset(name)


WARM = threading.Event()  # set once `warm_up` has loaded TensorFlow, the default model and its data


@st.cache_resource(show_spinner=False)
def warm_up():
    """Load the default model and its data, TensorFlow first, on a background thread: once per server process."""
    thread = threading.Thread(target=load_in_background, name="aestudio-warm-up", daemon=True)
    thread.start()
    return thread


def load_in_background():
    from aecore import import_tensorflow_quietly

    # The caches below answer a page that asks meanwhile; without a page of its own, this thread would log
    # Streamlit's "missing ScriptRunContext" warning, meant for scripts run bare.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        default = next((entry for entry in available_models(session=False).values() if entry.key == DEFAULT_MODEL), None)
        if default is not None and default.dataset_name:
            dataset(default.dataset_name)
        import_tensorflow_quietly()  # its start-up lines stay off the terminal
        if default is not None:
            load_pretrained(str(default.path), default.path.stat().st_mtime)
    finally:
        quiet.setLevel(level)
        WARM.set()


PICKED = "picked_by_the_app"  # (model the app picked, the one before), until the browser shows the pick
KEPT_MODELS = 8  # models kept per visitor, the newest


def session_models():
    """The models this visitor trained: `{key: ModelEntry}`."""
    return current_visitor().models


def add_session_model(model, path):
    """Add a model saved (with its card) in `studio.visitors.session_dir()` to the picker, and pick it; returns its key.

    Beyond `KEPT_MODELS`, the oldest of this visitor's models is dropped with its files.
    """
    key = SESSION_PREFIX + Path(path).stem
    kept = session_models()
    kept.pop(key, None)
    kept[key] = ModelEntry(key, model, ModelCard.read(zoo.load_card(path)), Path(path))
    while len(kept) > KEPT_MODELS:
        _, dropped = kept.popitem(last=False)
        for stale in (dropped.path, dropped.path.with_suffix(".json")):
            stale.unlink(missing_ok=True)
    st.session_state[PICKED] = (key, st.session_state.get("model"))  # the pick, and the one it replaced
    st.session_state["model"] = key
    return key


def keep_the_apps_pick():
    """Hold a model the app picked (a run that just ended) until the browser's picker shows it.

    A rerun that the browser asked for before it had drawn the new pick (a fragment's poll) brings
    back the picker's old value, which would undo the pick without the visitor choosing anything.
    That happens once at most (the one rerun a poll had on its way); after that, or once a run
    arrives with the app's pick or another model, the visitor's choice rules. Call it first in
    every run, before anything can pick a model.
    """
    if PICKED not in st.session_state:
        return
    picked, before = st.session_state[PICKED]
    if before is not None and before != picked and st.session_state.get("model") == before:
        st.session_state["model"] = picked  # the browser's stale value, not a choice
        st.session_state[PICKED] = (picked, None)
    else:
        del st.session_state[PICKED]


@st.cache_data(show_spinner=False, max_entries=4)
def pretrained_listing(directory: str, modified: float):
    """The cards in the pretrained folder, read again only when the folder changes."""
    return zoo.list_saved(directory)


def available_models(session=True):
    """Every model the picker offers, pretrained first (then this visitor's, with `session`): `{key: ModelEntry}`."""
    directory = pretrained_dir()
    modified = directory.stat().st_mtime if directory.is_dir() else 0.0
    entries = {}
    for name, path, card in pretrained_listing(str(directory), modified):
        entries[name] = ModelEntry(name, None, ModelCard.read(card), path)
    if session:
        entries.update(session_models())
    return entries


def model_entry(key):
    """The picker entry `key` with its model loaded, or `None`."""
    entry = available_models().get(key)
    if entry is not None and entry.model is None:
        entry.model = load_pretrained(str(entry.path), entry.path.stat().st_mtime)
    return entry


def current_model(load=True):
    """The model picked in the sidebar, loaded (without `load`: its card alone, where it is not loaded yet), or `None`."""
    key = st.session_state.get("model")
    if not key:
        return None
    return model_entry(key) if load else available_models().get(key)


def test_images(entry, count):
    """The first `count` test examples of the data the model was trained on, with their labels."""
    data = dataset(entry.dataset_name or "mnist")
    if data.input_shape != entry.model.example_shape:
        raise ValueError(f"this model takes {entry.model.example_shape} inputs, which no bundled dataset has")
    return data.x_test[:count], data.y_test[:count], data
