"""Visitors (`studio.visitors`): found again by the URL and the browser, kept in a bounded store, swept once gone."""

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, start_training, training_run, wait_for_training


def test_the_visitor_store_is_bounded():
    from studio.visitors import VisitorStore

    store = VisitorStore(capacity=2)
    first, first_visitor = store.create(owner=None)
    second, second_visitor = store.create(owner="browser")
    assert store.find(second, owner="another browser") is None  # a link opened in another browser
    assert store.find(first, owner=None) is first_visitor  # seen again: now the most recent
    store.create(owner=None)
    assert store.find(second, owner="browser") is None and not second_visitor.directory.exists()
    assert store.find(first, owner=None) is first_visitor


def test_a_browser_finds_its_latest_visitor_and_no_other_browser_does():
    from studio.visitors import VisitorStore

    store = VisitorStore(capacity=4)
    older, _ = store.create(owner="browser")
    newer, newer_visitor = store.create(owner="browser")
    store.create(owner="another browser")
    store.create(owner=None)
    assert store.latest("browser") == (newer, newer_visitor)
    store.find(older, owner="browser")  # a tab on the older visitor's address: now the latest
    assert store.latest("browser")[0] == older
    assert store.latest("a third browser") is None
    assert store.latest(None) is None  # without a cookie nothing tells browsers apart


def test_a_new_tab_at_the_plain_address_keeps_the_browsers_models(app_env, monkeypatch):
    """issue 28, item 4: the sidebar promised models through new tabs, but a new tab got a new visitor."""
    from studio import models, visitors

    monkeypatch.setattr(visitors, "browser_owner", lambda: "digest of this browser's cookie")
    at = wait_for_training(start_training(epochs=1))
    key, visitor = training_run(at).key, at.query_params["visitor"]
    label = key.removeprefix(models.SESSION_PREFIX)  # what the picker shows
    new_tab = AppTest.from_file(APP, default_timeout=120).run()  # no ?visitor= in the address
    assert new_tab.query_params["visitor"] == visitor
    assert label in new_tab.sidebar.selectbox(key="model").options
    assert any("new tabs of this browser" in caption.value for caption in new_tab.sidebar.caption)

    monkeypatch.setattr(visitors, "browser_owner", lambda: "digest of another browser's cookie")
    for address in ({}, {"visitor": visitor}):  # the plain address, or this browser's link
        other = AppTest.from_file(APP, default_timeout=120)
        other.query_params.update(address)
        other.run()
        assert other.query_params["visitor"] != visitor and label not in other.sidebar.selectbox(key="model").options
    monkeypatch.setattr(visitors, "browser_owner", lambda: None)  # no cookie: nothing to know the browser by
    assert AppTest.from_file(APP, default_timeout=120).run().query_params["visitor"] != visitor


def test_a_browser_is_known_by_the_token_in_its_xsrf_cookie_not_by_its_mask():
    from studio.visitors import xsrf_token

    # Two page loads of one browser (seen in Chromium): a fresh mask each time, the same token.
    first = xsrf_token("2|f465b405|1bff95810baae844f0e69fafb0962149|1795436943")
    assert first == xsrf_token("2|4f239dc2|a0b9bc46b0ecc1834ba0b6680bd0088e|1795436943")
    assert first != xsrf_token("2|f465b405|1bff95810baae844f0e69fafb0962148|1795436943")
    assert xsrf_token("plain-value") == "plain-value"


def test_a_run_whose_tabs_are_all_closed_is_stopped_and_its_visitor_later_removed(app_env):
    import time

    from studio import visitors

    at = start_training("conv", epochs=50, count=4000)
    store = visitors.visitor_store()
    visitor = store.visitors[at.session_state["visitor_id"]]
    assert visitor.sessions  # the session that started it
    later = time.monotonic() + visitors.RUN_GRACE_SECONDS + 1
    store.sweep(lambda session: True, now=later)  # a tab still open: the run goes on
    assert not training_run(at).job.stopping
    store.sweep(lambda session: False, now=later)  # just closed: within the grace a reload comes back
    assert not training_run(at).job.stopping
    store.sweep(lambda session: False, now=later + visitors.RUN_GRACE_SECONDS + 1)
    job = training_run(at).job
    assert job.stopping or job.done
    job.thread.join(120)
    assert job.done and job.result.epochs_run < 50
    store.sweep(lambda session: False, now=later + visitors.VISITOR_IDLE_SECONDS + 1)
    assert at.session_state["visitor_id"] not in store.visitors and not visitor.directory.exists()


def test_start_up_removes_the_folders_of_servers_that_no_longer_run(tmp_path):
    import os
    import subprocess
    import sys

    from studio.visitors import FOLDER_PREFIX, remove_stale_folders

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = tmp_path / f"{FOLDER_PREFIX}{ended.pid}-abc"
    alive = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-def"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / ".model.x1y2.keras").write_bytes(b"half written")
    assert remove_stale_folders(tmp_path) == 1
    assert not dead.exists() and alive.exists()
