"""Who a visitor is, what the server keeps for them, and the clean-up once they have gone.

A visitor is found again by a random id that the URL carries (`?visitor=...`), so a reload or a new
tab on that address finds their trained models, their training run and their Denoise page's photo
job. Where the browser sends Streamlit's XSRF cookie, the id is bound to that browser too: someone
else who opens the link gets a visitor of their own; and a new tab at the plain address finds the
browser's latest visitor by that cookie alone. The store is process-wide and bounded.

Visitors whose tabs are all closed are swept by a watchdog thread: after `RUN_GRACE_SECONDS` their
training run and photo job are stopped (a reload comes back well within that), and after
`VISITOR_IDLE_SECONDS` with no run left they are forgotten and their folder removed. At start-up,
folders that a server process no longer running left behind (one killed mid-save included) are removed.
"""

import hashlib
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

VISITOR_PARAM = "visitor"
KEPT_VISITORS = 64  # visitors whose models the server keeps, the most recently seen
RUN_GRACE_SECONDS = 60  # a run goes on this long after its visitor's last tab closed ...
VISITOR_IDLE_SECONDS = 30 * 60  # ... and the visitor's models and folder are kept this long
SWEEP_SECONDS = 10  # how often the watchdog looks
FOLDER_PREFIX = "aestudio-"  # then the server's process id: aestudio-1234-...


@dataclass
class Visitor:
    """One visitor's trained models, folder, training run and photo job, found again by the visitor id in the URL."""

    owner: str | None  # a digest of the browser's cookie, where it sends one
    directory: Path
    models: OrderedDict = field(default_factory=OrderedDict)  # {key: studio.models.ModelEntry}, oldest first
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


def session_dir():
    """This visitor's own temporary folder; nothing a visitor does writes anywhere else."""
    return current_visitor().directory
