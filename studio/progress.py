"""Slow work with a progress bar instead of a bare spinner, and its results kept for the next visitor.

`run_with_progress` runs work that cannot report its own progress (t-SNE, say) on a worker thread
and meanwhile fills a bar against an estimate from earlier runs of the same kind, so a wait of more
than a second always shows how far along it is. `ResultCache` keeps a few finished results per
process, keyed by their arguments.
"""

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

TICK_SECONDS = 0.25


class ResultCache:
    """The latest `capacity` results by key, shared by every session; with the seconds per unit of work each kind took."""

    def __init__(self, capacity=16):
        self.capacity = capacity
        self.results = OrderedDict()
        self.rates = {}  # kind -> seconds per unit, measured
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
            return self.results.get(key)

    def put(self, key, value):
        with self.lock:
            self.results[key] = value
            while len(self.results) > self.capacity:
                self.results.popitem(last=False)


@st.cache_resource
def result_cache():
    return ResultCache()


def run_with_progress(work, label, kind, units, default_rate):
    """`work()` on a worker thread with a progress bar; returns its result (or raises its error).

    The bar fills against `units` times the seconds per unit that the last run of `kind` took
    (`default_rate` before any), never quite to the end until the work is done.
    """
    cache = result_cache()
    estimate = max(1.0, units * cache.rates.get(kind, default_rate))
    started = time.perf_counter()
    bar = st.progress(0.0, text=f"{label} · about {estimate:.0f} s")
    with ThreadPoolExecutor(max_workers=1) as executor:
        future = executor.submit(work)
        while not future.done():
            elapsed = time.perf_counter() - started
            bar.progress(min(0.95, elapsed / estimate), text=waiting_text(label, elapsed, estimate))
            time.sleep(TICK_SECONDS)
        result = future.result()
    cache.rates[kind] = (time.perf_counter() - started) / max(1, units)
    bar.empty()
    return result


def waiting_text(label, elapsed, estimate):
    """Seconds spent against the estimate; once the estimate is passed, said so rather than a total already exceeded
    (in whole seconds: "7 s, more than the 7 s expected" read oddly)."""
    if round(elapsed) <= round(estimate):
        return f"{label} · {elapsed:.0f} s of about {estimate:.0f} s"
    return f"{label} · {elapsed:.0f} s, more than the {estimate:.0f} s expected"
