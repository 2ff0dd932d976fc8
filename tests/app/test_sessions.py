"""Many visitors at once: isolation between sessions, a shared model left intact, hosted-mode caps."""

import hashlib
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aecore.datasets import load_dataset
from studio.limits import counts_up_to, training_limits
from tests.app.conftest import APP, start_training, training_run, wait_for_training


def weights_digest(model):
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.asarray(weight).tobytes())
    return digest.hexdigest()


def test_two_sessions_train_at_once_and_see_only_their_own_models(app_env):
    from studio.models import load_pretrained
    from studio.visitors import visitor_store

    shared = load_pretrained(str(app_env / "a_conv_gaussian.keras"), (app_env / "a_conv_gaussian.keras").stat().st_mtime)
    before = weights_digest(shared)
    pretrained_files = sorted((path.name, path.stat().st_mtime) for path in app_env.iterdir())

    first, second = start_training(), start_training()
    # While both run, a third visitor switches pages: the runs carry on.
    first.switch_page("app_pages/home.py").run()
    first = wait_for_training(first)
    second = wait_for_training(second)
    first.switch_page("app_pages/train.py").run()

    first_key = training_run(first).key
    second_key = training_run(second).key
    assert training_run(first).job is not training_run(second).job
    first_visitor = visitor_store().visitors[first.session_state["visitor_id"]]
    second_visitor = visitor_store().visitors[second.session_state["visitor_id"]]
    assert set(first_visitor.models) == {first_key} and set(second_visitor.models) == {second_key}
    assert first_visitor.directory != second_visitor.directory
    assert weights_digest(shared) == before, "a shared cached model was changed"
    assert sorted((path.name, path.stat().st_mtime) for path in app_env.iterdir()) == pretrained_files


def test_concurrent_predictions_on_a_shared_model_agree(app_env, mnist):
    from studio.models import load_pretrained

    path = app_env / "a_conv_gaussian.keras"
    model = load_pretrained(str(path), path.stat().st_mtime)
    batches = [mnist.x_test[i * 16 : (i + 1) * 16] for i in range(8)]
    expected = [model.reconstruct(batch) for batch in batches]
    results = [None] * len(batches)

    def predict(index):
        for _ in range(5):
            results[index] = model.reconstruct(batches[index])

    threads = [threading.Thread(target=predict, args=(index,)) for index in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.fixture
def hosted(monkeypatch, app_env):
    monkeypatch.setenv("AESTUDIO_HOSTED", "1")
    training_limits.clear()
    yield
    limits = training_limits()
    for job in list(limits.jobs):
        job.stop()
        job.thread.join(timeout=60)
    monkeypatch.delenv("AESTUDIO_HOSTED")
    training_limits.clear()


def test_hosted_mode_caps_are_shown_and_enforced(hosted):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert any("Hosted demo: at most 10 epochs" in caption.value for caption in at.caption)
    assert at.slider(key="train_epochs").max == 10
    assert at.select_slider(key="train_count").options[-1] == f"{min(10000, len(load_dataset('mnist').x_train)):,}"
    running = [start_training("conv", epochs=10) for _ in range(2)]
    third = start_training(epochs=1)
    assert any("2 training runs are already going" in error.value for error in third.error)
    assert training_run(third) is None
    for at in running:
        training_run(at).job.stop()


def test_counts_offered_stop_at_what_exists_and_at_the_cap():
    assert counts_up_to(1437, range(500, 60001, 500)) == [500, 1000, 1437]
    assert counts_up_to(60000, range(500, 10001, 500))[-1] == 10000
    assert counts_up_to(120, (200, 500, 1000)) == [120]
    assert counts_up_to(10000, (200, 500, 1000, 2000, 5000)) == [200, 500, 1000, 2000, 5000]


def test_trained_models_survive_a_reload_and_stay_out_of_other_sessions(app_env):
    at = wait_for_training(start_training(epochs=1))
    key, visitor = training_run(at).key, at.query_params["visitor"]
    assert at.query_params["model"] == key
    reloaded = AppTest.from_file(APP, default_timeout=120)  # a reload: a new session, the same address
    reloaded.query_params.update({"visitor": visitor, "model": key})
    reloaded.run()
    assert reloaded.sidebar.selectbox(key="model").value == key and not reloaded.sidebar.warning
    assert any("Nobody else sees them" in caption.value for caption in reloaded.sidebar.caption)
    stranger = AppTest.from_file(APP, default_timeout=120)  # someone given a link without the visitor id
    stranger.query_params.update({"model": key})
    stranger.run()
    assert key.removeprefix("session:") not in stranger.sidebar.selectbox(key="model").options  # options are labels
    assert any("someone else's session" in warning.value for warning in stranger.sidebar.warning)
    assert stranger.query_params["visitor"] != visitor


def test_a_reload_during_a_run_shows_the_run_and_keeps_its_model(app_env):
    at = start_training("conv", epochs=3, count=1000)
    reloaded = AppTest.from_file(APP, default_timeout=120)
    reloaded.query_params.update({"visitor": at.query_params["visitor"]})
    reloaded.run().switch_page("app_pages/train.py").run()
    assert training_run(reloaded) is training_run(at)
    assert reloaded.button(key="stop_training").label == "Stop" and reloaded.button(key="start_training").disabled
    reloaded = wait_for_training(reloaded)
    assert any("finished after 3 epoch" in success.value for success in reloaded.success)
    assert reloaded.sidebar.selectbox(key="model").value == training_run(at).key


@pytest.mark.parametrize("hosted_mode, cores, most", [(False, 2, 2), (False, 8, 4), (True, 1, 1), (True, 8, 2)])
def test_at_most_one_run_per_core_at_once(monkeypatch, hosted_mode, cores, most):
    from studio import limits

    monkeypatch.setattr(limits, "cpu_cores", lambda: cores)
    monkeypatch.setenv("AESTUDIO_HOSTED", "1" if hosted_mode else "0")
    training_limits.clear()
    try:
        assert training_limits().max_concurrent == most
    finally:
        training_limits.clear()


def test_pages_count_as_busy_while_they_run(app_env, monkeypatch):
    from studio import sidebar
    from studio.limits import page_activity

    seen, draw_sidebar = [], sidebar.sidebar
    monkeypatch.setattr(sidebar, "sidebar", lambda: (seen.append(page_activity().busy()), draw_sidebar())[1])
    AppTest.from_file(APP, default_timeout=120).run()
    assert seen == [True]  # training yields while the page is drawn ...
    assert not page_activity().busy()  # ... and not once it is drawn


def test_script_runs_do_not_force_a_full_garbage_collection():
    # Streamlit's default gc.collect(2) after every run, fragments included, cost about 0.2 s of the
    # GIL each with TensorFlow loaded; two visitors' progress fragments made pages take over a minute
    # to open (bench/responsive.py). The app's own config turns it off.
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_no_picture_is_sent_as_a_reference_to_the_browsers_cache(monkeypatch):
    # A reference the browser no longer holds ends in Streamlit's "Cached ForwardMsg MISS" dialog and a
    # dead page (streamlit#11357; met on the photo page while a zip's job ran). Read through Streamlit's
    # own config and hashing: a 200 KB picture is not cacheable, so it is never sent as a reference.
    from pathlib import Path

    from streamlit import config
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.forward_msg_cache import populate_hash_if_needed

    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # Streamlit reads ./.streamlit/config.toml
    config.get_config_options(force_reparse=True)
    try:
        msg = ForwardMsg()
        msg.delta.new_element.imgs.imgs.add().url = "data:image/jpeg;base64," + "A" * 200_000
        populate_hash_if_needed(msg)
        assert msg.hash and not msg.metadata.cacheable
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)


def test_a_new_session_walks_no_modules_to_watch_the_apps_files(monkeypatch):
    # Streamlit's source watcher resolved the path of every module in sys.modules for each new session
    # (1.45 CPU seconds with TensorFlow loaded, on the event loop that serves every visitor). Read
    # through Streamlit's own config: no file watcher is made, so an AppSession registers none.
    from pathlib import Path

    from streamlit import config
    from streamlit.watcher.path_watcher import NoOpPathWatcher, get_default_path_watcher_class

    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # Streamlit reads ./.streamlit/config.toml
    config.get_config_options(force_reparse=True)
    try:
        assert config.get_option("server.fileWatcherType") == "none"
        assert get_default_path_watcher_class() is NoOpPathWatcher
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)
