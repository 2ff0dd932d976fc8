"""What every page of the app shares: the model picker, cached loading, shareable links, errors.

Pretrained models and datasets are loaded once per process with `st.cache_resource` and treated
as read-only; models a visitor trains live in their session and in a per-session temporary folder.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aecore import zoo
from aecore.datasets import DATASETS, load_dataset, source_in_words
from aecore.figures import mosaic

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


def add_session_model(name, model, card):
    """Save a trained model with its card into the session folder and add it to the picker."""
    path = zoo.save_model(model, session_dir(), name, card)
    key = SESSION_PREFIX + name
    session_models()[key] = ModelEntry(key, model, zoo.load_card(path), path)
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


def query_default(key, parse, fallback):
    """Seed widget `key` from the link's query parameter once; bad values fall back quietly."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    try:
        st.session_state[key] = parse(raw) if raw is not None else fallback
    except (TypeError, ValueError):
        st.session_state[key] = fallback


def share(**values):
    """Put the current view's settings in the URL so that the link reopens this view."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = str(value)


def sidebar():
    """The shared sidebar: the model picker and the picked model's card. Returns the `ModelEntry`."""
    entries = available_models()
    with st.sidebar:
        st.header("Model")
        if not entries:
            st.info("No models yet: train one on the Train page, or use Quick start on Home.")
            return None
        keys = list(entries)
        default = DEFAULT_MODEL if DEFAULT_MODEL in entries else keys[0]
        query_default("model", str, default)
        if st.session_state["model"] not in entries:
            st.warning(f"The model {st.session_state['model']!r} in this link is not here; showing {default}.")
            st.session_state["model"] = default
        key = st.selectbox("Model", keys, key="model", format_func=lambda k: entries[k].label,
                           label_visibility="collapsed")
        share(model=key if not key.startswith(SESSION_PREFIX) else None)
        entry = model_entry(key)
        show_card(entry.card, entry.trained_here)
    return entry


def show_card(card, trained_here=False):
    """A short summary of a model card in plain words: origin, data, noise, epochs, test metrics."""
    if not card:
        st.caption("This model has no card.")
        return
    if card.get("architecture") == "photo":
        scores = (card.get("test_metrics") or {}).get("model") or {}
        origin = "trained in this session, seen only by you" if trained_here else "pretrained"
        lines = [f"**photo** · {'colour' if card.get('channels') == 3 else 'gray'} · any size · {origin}",
                 f"code: bottleneck map of {card.get('options', {}).get('code_size', '?')} channels at 1/"
                 f"{2 ** (len(card.get('options', {}).get('widths', [0])) - 1)} of the size",
                 f"trained on {len(card.get('training_photos', []))} photos, {card.get('patches_seen', 0):,} patches",
                 "noise: Gaussian, any sigma up to 55 of 255 (blind)"]
        if scores:
            lines.append("PSNR on held-out wallpapers: " + " · ".join(f"sigma {name.removeprefix('psnr_sigma')}: {value:.2f} dB"
                                                       for name, value in scores.items()))
        st.caption("  \n".join(lines))
        return
    origin = "trained in this session, seen only by you" if trained_here else "pretrained"
    images = f", {card['train_examples']:,} training images" if card.get("train_examples") else ""
    lines = [
        f"**{card.get('architecture', '?')}** · code {card.get('options', {}).get('code_size', '?')} · {origin}",
        f"data: {card.get('dataset', '?')}{images}; {source_in_words(card.get('data_source', 'unknown source'))}",
        f"noise: {card.get('noise') or 'none'} · epochs: {card.get('epochs', '?')}",
    ]
    if card.get("changed_options"):
        lines.append("recipe changes: " + ", ".join(f"{key}={value}" for key, value in card["changed_options"].items()))
    scores = (card.get("test_metrics") or {}).get("model") or {}
    if scores:
        lines.append(" · ".join(f"{name} {scores[name]:.4g}" for name in ("bce", "psnr", "ssim") if name in scores))
    st.caption("  \n".join(lines))


def test_images(entry, count):
    """The first `count` test examples of the data the model was trained on, with their labels."""
    data = dataset(entry.dataset_name or "mnist")
    if data.input_shape != entry.model.example_shape:
        raise ValueError(f"this model takes {entry.model.example_shape} inputs, which no bundled dataset has")
    return data.x_test[:count], data.y_test[:count], data


def show_mosaic(rows, caption=None):
    """Rows of images as one crisp picture."""
    st.image(mosaic(rows), caption=caption, clamp=True)


def guarded(render):
    """Run a page; any error becomes a plain message, never a traceback."""
    try:
        render()
    except Exception as error:  # the last line of defence: the visitor sees a message, not a stack
        st.error(f"Something went wrong on this page: {error}. Try other settings or another model.")


def current_model():
    """The model picked in the sidebar, loaded, or `None` when there is none."""
    key = st.session_state.get("model")
    return model_entry(key) if key else None


def require_model(images=True, photos=False):
    """The picked model; otherwise say what to do and stop the page.

    Stops also for point models when `images`, and for photo models unless `photos`.
    """
    entry = current_model()
    if entry is None:
        st.info("No model yet: train one on the Train page, or use Quick start on Home.")
        st.stop()
    if not photos and entry.is_photo_model:
        st.info(f"{entry.key} is a photo denoiser for images of any size: it has no fixed-size test set or "
                "2-D code to show here. Denoise a photo with it, or pick a digit model in the sidebar.")
        st.page_link("app_pages/denoise.py", label="Denoise your images", icon=":material/auto_fix_high:")
        st.stop()
    if images and not entry.is_image_model:
        st.info(f"{entry.key} works on 3-D points, not images: open **Linear AE vs PCA**, "
                "or pick an image model in the sidebar.")
        st.stop()
    return entry


def keep_trained(name, result, dataset, config, used_recipe):
    """Score a finished run on up to 1,000 test images, write its card and add it to the picker."""
    from aecore.metrics import evaluate_model

    scores = evaluate_model(result.model, dataset.x_test[:1000], config.noise, seed=config.seed)
    card = zoo.make_card(result.model, dataset, config, result, scores, used_recipe)
    return add_session_model(name, result.model, card)


def collect_finished_training():
    """When this session's background run has ended, save it with its card and add it to the picker.

    Runs on every page, so a run that ends while the visitor looks elsewhere is not lost.
    """
    run = st.session_state.get("training")
    if run is None or not run["job"].done or run.get("collected"):
        return
    run["collected"] = True
    job = run["job"]
    if job.status != "failed":
        run["key"] = keep_trained(run["name"], job.result, job.dataset, job.config, run["recipe"])
