"""The models the picker offers: pretrained ones loaded once per process, and this visitor's own.

Pretrained models and datasets are cached with `st.cache_resource` and treated as read-only.
Models a visitor trains are kept server-side in a bounded, process-wide store under a random
visitor id that the URL carries (`?visitor=...`), so a reload or a new tab on that address finds
them again. Where the browser sends Streamlit's XSRF cookie, the id is bound to that browser too:
someone else who opens the link gets a visitor of their own, never these models; and a new tab at
the plain address finds the browser's latest visitor by that cookie alone.

Visitors whose tabs are all closed are swept by a watchdog thread: after `RUN_GRACE_SECONDS` their
training run is stopped (a reload comes back well within that), and after `VISITOR_IDLE_SECONDS`
with no run left they are forgotten and their folder removed. At start-up, folders that a server
process no longer running left behind (one killed mid-save included) are removed.

The first page a fresh server draws does not wait for TensorFlow: `warm_up` imports it and loads
the default model and its data on a background thread while the page draws what needs neither.
"""

import hashlib
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from aecore import zoo
from aecore.cards import card_capabilities, is_photo
from aecore.datasets import DATASETS, load_dataset

SESSION_PREFIX = "session:"
DEFAULT_MODEL = "mnist_conv_gaussian0.4"  # works on the MNIST digits every install has


pretrained_dir = zoo.pretrained_dir


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
        """Whether the model takes images (H x W x C), from its card where the model is not loaded yet."""
        shape = (self.card.get("options") or {}).get("input_shape") if self.model is None else None
        if shape is None:
            shape = model_entry(self.key).model.example_shape
        return len(shape) == 3

    @property
    def is_photo_model(self):
        return is_photo(self.card)

    @property
    def capabilities(self):
        """What the model's family can do (`aecore.cards.Capabilities`), from its card."""
        return card_capabilities(self.card)


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
VISITOR_PARAM = "visitor"
KEPT_VISITORS = 64  # visitors whose models the server keeps, the most recently seen
KEPT_MODELS = 8  # models kept per visitor, the newest
RUN_GRACE_SECONDS = 60  # a run goes on this long after its visitor's last tab closed ...
VISITOR_IDLE_SECONDS = 30 * 60  # ... and the visitor's models and folder are kept this long
SWEEP_SECONDS = 10  # how often the watchdog looks
FOLDER_PREFIX = "aestudio-"  # then the server's process id: aestudio-1234-...


@dataclass
class Visitor:
    """One visitor's trained models, their folder and training run, found again by the visitor id in the URL."""

    owner: str | None  # a digest of the browser's cookie, where it sends one
    directory: Path
    models: OrderedDict = field(default_factory=OrderedDict)  # {key: ModelEntry}, oldest first
    run: object = None  # the latest `studio.runs.TrainingRun`, which a reload finds again too
    photo_job: object = None  # the latest `studio.photo_jobs.PhotoJob` of the Denoise page, found again the same way
    sessions: set = field(default_factory=set)  # the Streamlit sessions (tabs) that have shown this visitor
    last_seen: float = field(default_factory=time.monotonic)  # when one of them was last open


class VisitorStore:
    """The visitors this process remembers: at most `capacity`, the least recently seen dropped first."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.visitors = OrderedDict()
        self.lock = threading.Lock()

    def find(self, visitor_id, owner):
        """The visitor with this id and browser, or `None`."""
        with self.lock:
            visitor = self.visitors.get(visitor_id)
            if visitor is None or visitor.owner != owner:
                return None
            self.visitors.move_to_end(visitor_id)
            return visitor

    def create(self, owner):
        """A new visitor with a fresh random id and folder: `(id, Visitor)`."""
        visitor_id = secrets.token_urlsafe(12)
        visitor = Visitor(owner, Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")))
        with self.lock:
            self.visitors[visitor_id] = visitor
            while len(self.visitors) > self.capacity:
                _, dropped = self.visitors.popitem(last=False)
                shutil.rmtree(dropped.directory, ignore_errors=True)
        return visitor_id, visitor

    def latest(self, owner):
        """This browser's most recently seen visitor, `(id, Visitor)`, or `None`.

        Only a browser that sends a cookie has one: visitors without an owner are never handed out.
        """
        if owner is None:
            return None
        with self.lock:
            for visitor_id in reversed(self.visitors):
                if self.visitors[visitor_id].owner == owner:
                    self.visitors.move_to_end(visitor_id)
                    return visitor_id, self.visitors[visitor_id]
        return None

    def sweep(self, is_open, now=None):
        """Stop the runs and then forget the visitors that no open session has shown for a while.

        `is_open(session_id)` says whether a Streamlit session is still connected.
        """
        now = time.monotonic() if now is None else now
        with self.lock:
            for visitor_id, visitor in list(self.visitors.items()):
                visitor.sessions = {session for session in visitor.sessions if is_open(session)}
                if visitor.sessions:
                    visitor.last_seen = now
                    continue
                away = now - visitor.last_seen
                if visitor.photo_job is not None and away > RUN_GRACE_SECONDS:
                    visitor.photo_job.stop()  # nobody is waiting for these photos any more
                running = visitor.run is not None and not visitor.run.job.done
                if running and away > RUN_GRACE_SECONDS:
                    visitor.run.job.stop()
                elif not running and away > VISITOR_IDLE_SECONDS:
                    del self.visitors[visitor_id]
                    shutil.rmtree(visitor.directory, ignore_errors=True)


def session_is_open(session_id):
    """Whether the Streamlit session `session_id` still has a browser connected (`True` when unknown)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


def remove_stale_folders(parent=None):
    """Remove the visitor folders of server processes that no longer run; returns how many went."""
    removed = 0
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        found = re.fullmatch(rf"{FOLDER_PREFIX}(\d+)-.*", folder.name)
        if not found or not folder.is_dir():
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        except (PermissionError, OverflowError):  # another user's live process, or no such number
            pass
    return removed


def watch(store, every=SWEEP_SECONDS):
    """The watchdog: sweep `store` every `every` seconds, for the life of the process."""
    def loop():
        while True:
            time.sleep(every)
            try:
                store.sweep(session_is_open)
            except Exception:  # the watchdog must outlive any one bad sweep
                pass

    threading.Thread(target=loop, name="aestudio-visitor-watchdog", daemon=True).start()


@st.cache_resource
def visitor_store():
    remove_stale_folders()
    store = VisitorStore(KEPT_VISITORS)
    watch(store)
    return store


def xsrf_token(cookie):
    """The token inside Streamlit's XSRF cookie.

    The cookie is Tornado's version 2 format, `2|mask|masked token|timestamp`: each page load masks
    the same token with a fresh random mask, so only the unmasked token identifies the browser.
    Any other format is taken whole.
    """
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            return bytes(value ^ mask[index % len(mask)] for index, value in enumerate(masked)).hex()
    except (ValueError, ZeroDivisionError):
        pass
    return cookie


def browser_owner():
    """A digest of the token in the browser's XSRF cookie (a per-browser secret), or `None` without one."""
    try:
        cookie = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # no browser behind this run (bare mode)
        cookie = None
    if not isinstance(cookie, str) or not cookie:
        return None
    return hashlib.sha256(xsrf_token(cookie).encode()).hexdigest()


def current_visitor():
    """This visitor: the one the URL names when it is this browser's, else this browser's latest (a new tab at the
    plain address), else a new one; the URL then names it."""
    owner = browser_owner()
    store = visitor_store()
    visitor_id = st.session_state.get("visitor_id") or st.query_params.get(VISITOR_PARAM)
    visitor = store.find(visitor_id, owner) if visitor_id else None
    if visitor is None:
        visitor_id, visitor = store.latest(owner) or store.create(owner)
    context = get_script_run_ctx()
    if context is not None:
        visitor.sessions.add(context.session_id)
    visitor.last_seen = time.monotonic()
    st.session_state["visitor_id"] = visitor_id
    if st.query_params.get(VISITOR_PARAM) != visitor_id:
        st.query_params[VISITOR_PARAM] = visitor_id
    return visitor


def session_models():
    """The models this visitor trained: `{key: ModelEntry}`."""
    return current_visitor().models


def session_dir():
    """This visitor's own temporary folder; nothing a visitor does writes anywhere else."""
    return current_visitor().directory


def add_session_model(model, path):
    """Add a model saved (with its card) in `session_dir()` to the picker, and pick it; returns its key.

    Beyond `KEPT_MODELS`, the oldest of this visitor's models is dropped with its files.
    """
    key = SESSION_PREFIX + Path(path).stem
    kept = session_models()
    kept.pop(key, None)
    kept[key] = ModelEntry(key, model, zoo.load_card(path), Path(path))
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
        entries[name] = ModelEntry(name, None, card, path)
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
