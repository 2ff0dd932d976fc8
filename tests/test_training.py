"""The training entry point: progress, stopping, seeding, validation, strategies, threads."""

import math
import threading
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from aecore.architectures import build
from aecore.noise import Noise
from aecore.training import ProgressReporter, TrainConfig, TrainingJob, clean_batches, steps_per_execution, train


def test_progress_reports_epochs_losses_speed_and_eta(mnist_small):
    events = []
    result = train("dense", mnist_small, TrainConfig(epochs=3, batch_size=32), on_progress=events.append)
    epochs = [event for event in events if event.phase == "epoch"]
    assert [event.epoch for event in epochs] == [1, 2, 3]
    assert all({"loss", "val_loss"} <= set(event.logs) for event in epochs)
    assert events[-1].phase == "end" and events[-1].fraction == 1.0
    assert all(event.images_per_second > 0 for event in epochs) and epochs[1].eta_seconds > 0
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.images_per_second > 0 and result.epochs_run == 3


def test_progress_never_counts_past_the_last_batch_nor_a_negative_time_left():
    events = []
    reporter = ProgressReporter(epochs=1, batches=29, batch_size=32, on_progress=events.append, every_seconds=0)
    reporter.on_epoch_begin(0)
    for last in (7, 15, 23, 31):  # Keras names the last batch of each call of 8 steps, past the end on the last
        time.sleep(0.01)
        reporter.on_train_batch_end(last)
    assert [event.batch for event in events] == [8, 16, 24, 29]
    assert math.isnan(events[0].eta_seconds)  # no pace before a second call
    assert all(event.eta_seconds >= 0 for event in events[1:]) and events[-1].eta_seconds == 0
    assert reporter.images_seen == 29 * 32


def test_the_time_left_leaves_out_the_first_call_which_traces_the_step():
    events = []
    reporter = ProgressReporter(epochs=10, batches=8, batch_size=32, on_progress=events.append, every_seconds=0)
    reporter.on_epoch_begin(0)
    time.sleep(0.5)  # tracing and compiling the step
    reporter.on_train_batch_end(3)
    time.sleep(0.02)
    reporter.on_train_batch_end(7)  # 4 batches in 0.02 s: 72 batches left take about 0.4 s, not 4.5
    assert 0.2 < events[-1].eta_seconds < 1.5


def test_the_time_left_counts_what_each_epoch_takes_after_its_batches_and_the_speed_leaves_out_tracing():
    events = []
    reporter = ProgressReporter(epochs=3, batches=8, batch_size=32, on_progress=events.append, every_seconds=0)
    reporter.on_epoch_begin(0)
    time.sleep(0.3)  # tracing and compiling the step
    reporter.on_train_batch_end(3)
    time.sleep(0.05)
    reporter.on_train_batch_end(7)
    assert 4 * 32 / 0.05 * 0.5 < reporter.images_per_second() < 4 * 32 / 0.05 * 1.5  # not 256 images in 0.35 s
    reporter.on_epoch_end(0)
    time.sleep(0.4)  # validation and the page's pictures of the codes
    reporter.on_epoch_begin(1)
    reporter.on_train_batch_end(3)
    time.sleep(0.05)
    reporter.on_train_batch_end(7)
    # After the second epoch's batches: 8 batches left (about 0.1 s) and two epoch ends of about 0.4 s each.
    assert 0.6 < events[-1].eta_seconds < 1.4, events[-1].eta_seconds


def test_same_seed_same_run(mnist_small):
    config = TrainConfig(epochs=1, batch_size=64, noise="gaussian:0.3", seed=5)
    assert train("dense", mnist_small, config).history == train("dense", mnist_small, config).history
    other = TrainConfig(epochs=1, batch_size=64, noise="gaussian:0.3", seed=6)
    assert train("dense", mnist_small, other).history != train("dense", mnist_small, config).history


def test_the_training_step_draws_fresh_noise_every_step_from_its_seed(mnist_small):
    model = build("dense")
    model.training_noise, model.noise_seed = Noise("gaussian", 0.5), 3
    clean = mnist_small.x_train[:64]
    first, targets, _ = model.training_batch((clean, clean))
    again, _, _ = model.training_batch((clean, clean))
    model.optimizer.iterations.assign(1)
    second, _, _ = model.training_batch((clean, clean))
    np.testing.assert_array_equal(targets, clean)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    assert abs(float(tf.math.reduce_std(first - clean)) - 0.35) < 0.15  # clipped sigma 0.5
    model.training_noise = None
    assert model.training_batch((clean, clean))[0] is clean


def test_clean_batches_are_reshuffled_every_epoch(mnist_small):
    pipeline = clean_batches(mnist_small.x_train[:64], TrainConfig(batch_size=64))
    (inputs_1, targets_1), = list(pipeline)
    (inputs_2, _), = list(pipeline)
    np.testing.assert_array_equal(inputs_1, targets_1)
    assert not np.array_equal(inputs_1, inputs_2)
    np.testing.assert_array_equal(np.sort(inputs_1, axis=None), np.sort(inputs_2, axis=None))


def test_small_models_run_several_steps_a_call(mnist_small):
    assert steps_per_execution(build("dense"), 128) > 8
    assert steps_per_execution(build("conv"), 128) < steps_per_execution(build("dense"), 128)
    ends = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(batch))
    config = TrainConfig(epochs=1, batch_size=32, noise="masking:0.3", steps_per_execution=4)
    result = train("dense", mnist_small, config, callbacks=[record])
    assert ends[:3] == [3, 7, 11] and len(ends) == 4  # 461 training images: 15 batches, four to a call
    assert result.model.training_noise is None and result.model.steps_per_execution == 1


def test_stop_event_ends_at_the_next_batch_and_keeps_the_model(mnist_small):
    stop = threading.Event()

    def stop_after_first_epoch(progress):
        if progress.phase == "epoch":
            stop.set()

    result = train("dense", mnist_small, TrainConfig(epochs=50, batch_size=32), stop_after_first_epoch, stop)
    assert result.stopped and result.epochs_run == 2  # the second epoch ends after one batch
    assert result.model.reconstruct(mnist_small.x_test[:2]).shape == (2, 28, 28, 1)


def test_training_job_runs_in_the_background_with_previews(mnist_small):
    preview = mnist_small.x_test[:4]
    job = TrainingJob("dense", mnist_small, TrainConfig(epochs=2, batch_size=64), preview=preview).start()
    job.thread.join(timeout=60)
    assert job.status == "finished" and job.done and job.error is None
    assert len(job.history["loss"]) == 2 and len(job.history["val_loss"]) == 2
    assert job.preview_outputs.shape == preview.shape
    assert job.progress.phase == "end" and job.result.epochs_run == 2


def test_training_job_encodes_its_code_sample_after_each_epoch(mnist_small):
    sample = mnist_small.x_test[:50]
    job = TrainingJob("dense", mnist_small, TrainConfig(epochs=2, batch_size=64), code_sample=sample, code_size=2)
    assert job.preview_codes is None
    job.start().thread.join(timeout=60)
    assert job.status == "finished" and job.preview_codes.shape == (50, 2)
    np.testing.assert_allclose(job.preview_codes, job.result.model.encode(sample), rtol=1e-5, atol=1e-6)


def test_training_job_stops_and_keeps_a_usable_model(mnist_small):
    job = TrainingJob("conv", mnist_small, TrainConfig(epochs=100, batch_size=16)).start()
    job.stop()
    job.thread.join(timeout=60)
    assert not job.thread.is_alive() and job.status == "stopped"
    assert job.result.model.reconstruct(mnist_small.x_test[:2]).shape == (2, 28, 28, 1)


def test_training_job_is_done_only_once_its_model_is_kept(mnist_small):
    seen = []

    def keep(result):
        seen.append((job.done, job.result is result))
        return "kept"

    job = TrainingJob("dense", mnist_small, TrainConfig(epochs=1), keep=keep).start()
    job.thread.join(timeout=60)
    assert seen == [(False, True)] and job.kept == "kept" and job.status == "finished"
    failing = TrainingJob("dense", mnist_small, TrainConfig(epochs=1), keep=lambda result: 1 / 0).start()
    failing.thread.join(timeout=60)
    assert failing.status == "failed" and isinstance(failing.error, ZeroDivisionError)


def test_training_job_reports_errors(mnist_small):
    job = TrainingJob("conv", mnist_small.subset(train=3), TrainConfig(validation_split=0.9)).start()
    job.thread.join(timeout=30)
    assert job.status == "failed" and isinstance(job.error, ValueError)


def test_strategy_builds_the_model_inside_it(mnist_small):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    result = train("dense", mnist_small, TrainConfig(epochs=1), strategy=strategy)
    assert result.model.distribute_strategy is strategy
    with pytest.raises(ValueError, match="model's name"):
        train(build("dense"), mnist_small, TrainConfig(epochs=1), strategy=strategy)


def test_train_points_with_linear_model():
    from aecore.datasets import load_dataset

    points = load_dataset("points3d")
    result = train("linear", points, TrainConfig(epochs=20, batch_size=32), learning_rate=0.01)
    assert result.history["loss"][-1] < 0.6 * result.history["loss"][0]


@pytest.mark.parametrize(
    "config, message",
    [(dict(epochs=0), "epochs"), (dict(batch_size=0), "batch size"), (dict(validation_split=1.0), "validation split"),
     (dict(noise="gaussian:3"), "between 0 and 1.0")],
)
def test_bad_config_is_refused(config, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**config)


def test_training_pauses_between_batches_while_other_work_waits():
    from aecore.training import YieldWhile

    busy, polls = threading.Event(), []

    def is_busy():
        polls.append(1)
        if len(polls) == 5:
            checked.set()
        return busy.is_set()

    checked = threading.Event()
    busy.set()
    pause = YieldWhile(is_busy, most_seconds=60, step_seconds=0.01)
    batch_end = threading.Thread(target=pause.on_train_batch_end, args=(0,))
    batch_end.start()
    assert checked.wait(30)
    assert batch_end.is_alive()  # still holding the next batch back after 5 looks
    busy.clear()
    batch_end.join(30)
    assert not batch_end.is_alive()


def test_training_job_asks_whether_to_yield_after_every_call_of_the_step(mnist_small):
    asked = []
    job = TrainingJob("dense", mnist_small, TrainConfig(epochs=1, batch_size=64, steps_per_execution=2),
                      yield_to=lambda: asked.append(1) and False).start()
    job.thread.join(timeout=60)
    assert job.status == "finished"
    batches = -(-int(len(mnist_small.x_train) * 0.9) // 64)
    assert len(asked) == job.result.epochs_run * -(-batches // 2)
