"""The progress bar of slow work never shows an estimate that the time already spent has passed."""

import re
import time

import streamlit as st

from studio import progress


class Bar:
    def __init__(self, texts):
        self.texts = texts

    def progress(self, value, text):
        assert 0 <= value <= 1
        self.texts.append(text)

    def empty(self):
        pass


def test_a_run_slower_than_its_estimate_says_so_instead_of_a_total_already_passed(monkeypatch):
    texts = []
    monkeypatch.setattr(st, "progress", lambda value, text: texts.append(text) or Bar(texts))
    monkeypatch.setattr(progress, "TICK_SECONDS", 0.05)
    progress.result_cache().rates.pop("slow-test", None)
    assert progress.run_with_progress(lambda: time.sleep(1.8) or 7, "work", "slow-test", 1, 0.001) == 7
    for text in texts:
        for spent, total in re.findall(r"(\d+) s of about (\d+) s", text):
            assert int(spent) <= int(total), text
    assert "work · 2 s, more than the 1 s expected" in texts
    assert progress.waiting_text("work", 7.3, 6.9) == "work · 7 s of about 7 s"  # never "7 s, more than the 7 s"
    assert progress.result_cache().rates["slow-test"] >= 1.8
