"""One entry point, `train`, that fits any catalogue model on a dataset, with or without noise.

Clean batches come from memory through a `tf.data` pipeline, and the compiled training step draws
fresh noise for every batch (seeded, so a run repeats; see `Autoencoder.training_batch`), several
steps to one call from Python where a step is short; validation uses noise fixed by the seed.
Progress reaches a caller's function as `Progress` records; a `threading.Event` stops the run
after the current call and keeps the model.
"""

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from aecore import lower_this_threads_priority
from aecore.architectures import build
from aecore.distributed import distributed_batches, fit_ready, make_strategy, validation_batches, worker_count
from aecore.noise import Noise, add_noise


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batch size, noise, validation split and seed.

    `steps_per_execution` batches run in one call of the compiled step; `None` picks enough for
    about `EXECUTION_FLOPS` of work (see `steps_per_execution`).
    """

    epochs: int = 5
    batch_size: int = 128
    noise: Noise | None = None
    validation_split: float = 0.1
    seed: int = 0
    steps_per_execution: int | None = None

    def __post_init__(self):
        if int(self.epochs) < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch size must be at least 1, got {self.batch_size}")
        if self.steps_per_execution is not None and int(self.steps_per_execution) < 1:
            raise ValueError(f"steps per execution must be at least 1, got {self.steps_per_execution}")
        if not 0.0 <= self.validation_split < 1.0:
            raise ValueError(f"validation split must be in [0, 1), got {self.validation_split}")
        if isinstance(self.noise, str):
            object.__setattr__(self, "noise", Noise.parse(self.noise))


@dataclass(frozen=True)
class Progress:
    """A snapshot of a run: sent after some batches (`phase="batch"`), each epoch and at the end."""

    phase: str  # "batch", "epoch" or "end"
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    logs: dict  # the latest losses, for example {"loss": 0.03, "val_loss": 0.031}
    images_per_second: float
    eta_seconds: float
    model: keras.Model = field(repr=False, default=None)

    @property
    def fraction(self):
        """How much of the whole run is done, in [0, 1]."""
        return min(1.0, ((self.epoch - 1) * self.batches + self.batch) / max(1, self.epochs * self.batches))


@dataclass
class TrainResult:
    """What a run produced: the model, its per-epoch history, and how the run ended."""

    model: keras.Model
    history: dict
    epochs_run: int
    seconds: float
    stopped: bool
    images_per_second: float
    replicas: int = 1  # devices that shared each batch
    workers: int = 1  # machines that trained together

    @property
    def final_losses(self):
        return {key: values[-1] for key, values in self.history.items() if values}


class ProgressReporter(keras.callbacks.Callback):
    """Turns Keras callback events into `Progress` records, and honours a stop event between calls of the step."""

    def __init__(self, epochs, batches, batch_size, on_progress=None, stop_event=None, every_seconds=0.25):
        super().__init__()
        self.epochs, self.batches, self.batch_size = epochs, batches, batch_size
        self.on_progress = on_progress
        self.stop_event = stop_event
        self.every_seconds = every_seconds
        self.epoch = 1
        self.images_seen = 0
        self.training_seconds = 0.0
        self.stopped = False
        self.last_logs = {}
        self.first_call = None  # (seconds, batches) when the first call of the step ended
        self.between_epochs = 0.0  # seconds spent after epochs' last batches (validation, other callbacks)
        self.epoch_ended = None  # when the last finished epoch's last batch ended

    def images_per_second(self):
        """Images a second at the pace since the first call of the step (which traces and compiles it: counted in,
        a run's speed climbed from 11 to 159 images/s as it went)."""
        if self.first_call is not None and self.training_seconds > self.first_call[0]:
            seconds, batches = self.first_call
            return (self.images_seen - batches * self.batch_size) / (self.training_seconds - seconds)
        return self.images_seen / self.training_seconds if self.training_seconds else 0.0

    def send(self, phase, batch):
        if self.on_progress is None:
            return
        done = (self.epoch - 1) * self.batches + batch
        self.on_progress(Progress(phase, self.epoch, self.epochs, batch, self.batches, dict(self.last_logs),
                                  self.images_per_second(), self.seconds_left(done), self.model))

    def seconds_left(self, done):
        """Seconds until the run ends: the batches left at the pace since the first call of the step, plus the
        time each finished epoch took after its last batch (validation, the page's pictures) for each epoch
        left; NaN before there is a pace.

        The first call traces and compiles the step: counted in, it made a 35 s run say 775 s left. The time
        between epochs left out, a busy 3-epoch run said 36 s left with 64 s to go.
        """
        left = self.epochs * self.batches - done
        if left <= 0:
            return 0.0
        if self.first_call is None or done <= self.first_call[1] or self.training_seconds <= self.first_call[0]:
            return float("nan")
        seconds, batches = self.first_call
        finished = self.epoch - 1
        after_each_epoch = self.between_epochs / finished if finished else 0.0
        return left * (self.training_seconds - seconds) / (done - batches) + after_each_epoch * (self.epochs - finished)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self.epoch_start = self.last_sent = time.perf_counter()
        if self.epoch_ended is not None:
            self.between_epochs += self.epoch_start - self.epoch_ended
        self.seconds_before_epoch, self.images_before_epoch = self.training_seconds, self.images_seen

    def on_train_batch_end(self, batch, logs=None):  # `batch`: the last of the batches that one call ran
        # Keras names a call of several steps by where it would end: past the epoch's end on a short last call.
        batches_done = min(batch + 1, self.batches)
        now = time.perf_counter()
        self.training_seconds = self.seconds_before_epoch + now - self.epoch_start
        self.images_seen = self.images_before_epoch + batches_done * self.batch_size
        if self.first_call is None:
            self.first_call = (self.training_seconds, batches_done)
        if self.stop_event is not None and self.stop_event.is_set():
            self.model.stop_training = True
            self.stopped = True
        if now - self.last_sent >= self.every_seconds:
            self.last_logs.update({key: float(value) for key, value in (logs or {}).items()})
            self.send("batch", batches_done)
            self.last_sent = now

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ended = self.epoch_start + self.training_seconds - self.seconds_before_epoch
        self.last_logs = {key: float(value) for key, value in (logs or {}).items()}
        self.send("epoch", self.batches)


class YieldWhile(keras.callbacks.Callback):
    """Pause training between calls of the step while `busy()` says other work waits, at most `most_seconds` a call.

    A server that trains and draws pages on the same cores uses it to let pages go first; the cap
    keeps training moving however busy the server is.
    """

    def __init__(self, busy, most_seconds=0.5, step_seconds=0.02):
        super().__init__()
        self.busy, self.most_seconds, self.step_seconds = busy, most_seconds, step_seconds
        self.paused_seconds = 0.0

    def on_train_batch_end(self, batch, logs=None):
        waited = 0.0
        while waited < self.most_seconds and self.busy():
            time.sleep(self.step_seconds)
            waited += self.step_seconds
        self.paused_seconds += waited


def clean_batches(x, config):
    """A `tf.data` pipeline of (clean, clean) batches of `x`, shuffled anew each epoch; the step adds the noise.

    It shuffles indices and gathers whole batches, which is faster than shuffling examples one by one.
    """
    images = tf.convert_to_tensor(x)
    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)

    def pair(indices):
        batch = tf.gather(images, indices)
        return batch, batch

    return order.batch(config.batch_size).map(pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


EXECUTION_FLOPS = 2.5e9  # work per call of the compiled step: some 25-50 ms on a 2-core CPU
MOST_STEPS_PER_EXECUTION = 32


def forward_flops(model):
    """Floating-point operations (a multiply-add is 2) of a forward pass of one example through the dense and conv layers."""
    total = 0
    for submodel in (model.encoder, model.decoder):
        for layer in submodel.layers:
            if isinstance(layer, keras.layers.Dense):
                total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
            elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
                kernel_height, kernel_width, _, _ = layer.kernel.shape
                grid = layer.output if isinstance(layer, keras.layers.Conv2D) else layer.input
                positions = math.prod(grid.shape[1:3])
                total += 2 * positions * kernel_height * kernel_width * layer.input.shape[-1] * layer.filters
    return total


def steps_per_execution(model, batch_size):
    """Batches per call of the compiled step: one call per `EXECUTION_FLOPS` of training (forward and backward).

    Each call from Python costs about a millisecond, as much as a whole step of the `dense` model,
    so small models run up to `MOST_STEPS_PER_EXECUTION` steps a call. Progress, Stop and the
    pauses of `YieldWhile` act between calls, so a call stays short.
    """
    flops = 3 * forward_flops(model) * batch_size
    return max(1, min(MOST_STEPS_PER_EXECUTION, int(EXECUTION_FLOPS // flops) if flops else MOST_STEPS_PER_EXECUTION))


def split_validation(x, config):
    """Training and validation arrays: a seeded random `validation_split` of `x` held out."""
    order = np.random.default_rng(config.seed).permutation(len(x))
    held_out = int(round(config.validation_split * len(x)))
    if config.validation_split and held_out == 0:
        held_out = 1
    if held_out >= len(x):
        raise ValueError(f"{len(x)} examples are too few for a validation split of {config.validation_split}")
    return x[order[held_out:]], x[order[:held_out]]


def train(model, dataset, config=TrainConfig(), on_progress=None, stop_event=None, strategy=None, callbacks=(),
          **build_options):
    """Train `model` on `dataset.x_train` to reconstruct clean inputs from (optionally) noisy ones.

    Args:
        model: a compiled catalogue model, or a catalogue name to build (under `strategy` if given).
        dataset: an `aecore.datasets.Dataset`.
        config: a `TrainConfig`.
        on_progress: called with a `Progress` a few times a second, after each epoch and at the end.
        stop_event: a `threading.Event`; once set, training ends after the current call of the
            step (one batch, or a few for small models: see `steps_per_execution`).
        strategy: a `tf.distribute.Strategy` or its name in `aecore.distributed.STRATEGIES`; then
            `model` must be a name. The global batch `config.batch_size` is split across the replicas,
            each worker trains on its own shard with its own noise seed, in whole batches (a few
            examples at the end of a shard sit out each epoch), see `aecore.distributed`.
        callbacks: further Keras callbacks for `fit`.
        **build_options: passed to `aecore.build` when `model` is a name.

    Returns:
        a `TrainResult`.
    """
    keras.utils.set_random_seed(config.seed)
    strategy = make_strategy(strategy) if isinstance(strategy, str) else strategy and fit_ready(strategy)
    if isinstance(model, str):
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            model = build(model, input_shape=dataset.input_shape, **build_options)
    elif strategy is not None:
        raise ValueError("with a distribution strategy, pass the model's name so it is built inside the strategy")
    elif build_options:
        raise ValueError(f"build options {sorted(build_options)} apply only when the model is given by name")

    x_train, x_val = split_validation(dataset.x_train, config)
    validation = None
    if strategy is None:  # noise in the training step, several steps a call
        train_batches, batches = clean_batches(x_train, config), -(-len(x_train) // config.batch_size)
        model.training_noise, model.noise_seed = config.noise, config.seed
        model.steps_per_execution = config.steps_per_execution or steps_per_execution(model, config.batch_size)
        if len(x_val):
            validation = (add_noise(x_val, config.noise, seed=config.seed), x_val)
    else:  # noise in each worker's input pipeline, one step a call (collectives do not run inside a loop of steps)
        train_batches, batches = distributed_batches(x_train, config, strategy)
        if len(x_val):
            validation = validation_batches(add_noise(x_val, config.noise, seed=config.seed), x_val, config.batch_size)
    model.train_function = model.test_function = None  # traced again for this noise and step count
    reporter = ProgressReporter(config.epochs, batches, config.batch_size, on_progress, stop_event)

    started = time.perf_counter()
    try:
        history = model.fit(train_batches, validation_data=validation, validation_batch_size=config.batch_size,
                            epochs=config.epochs, verbose=0, shuffle=False, callbacks=[reporter, *callbacks])
    finally:
        model.training_noise = None
        model.steps_per_execution, model.train_function, model.test_function = 1, None, None
    seconds = time.perf_counter() - started
    result = TrainResult(model, {key: [float(v) for v in values] for key, values in history.history.items()},
                         len(history.epoch), seconds, reporter.stopped, reporter.images_per_second(),
                         model.distribute_strategy.num_replicas_in_sync, worker_count(strategy))
    reporter.send("end", reporter.batches)
    return result


class TrainingJob:
    """A training run on a daemon thread whose progress other threads (a web page) can read.

    Args:
        model: a compiled model or a catalogue name (see `train`).
        dataset: the `Dataset` to train on.
        config: a `TrainConfig`.
        preview: optional inputs reconstructed after every epoch, for a live picture of learning.
        code_sample: optional inputs encoded after every epoch (into `preview_codes`), to watch the
            codes' clusters form.
        keep: optional function of the `TrainResult`, run on the training thread once training
            ends (to score and save the model, say); what it returns becomes `kept`. The run is
            `done` only after it, so a reader never sees a finished run whose model is not kept yet.
        yield_to: optional function; while it returns true, training pauses between calls of the step
            (see `YieldWhile`). The training thread also runs at a lower priority.
        **build_options: passed to `aecore.build` when `model` is a name.

    The fields `status` ("running", "finished", "stopped" or "failed"), `progress` (the latest
    `Progress`), `history` (per-epoch losses so far), `preview_outputs`, `preview_codes`, `result`, `kept` and
    `error` are replaced whole, never mutated in place, so a reader always sees a consistent value.
    `result` is set as soon as training ends, while `keep` still runs.
    """

    def __init__(self, model, dataset, config, preview=None, keep=None, yield_to=None, code_sample=None,
                 **build_options):
        self.dataset, self.config, self.preview, self.keep = dataset, config, preview, keep
        self.code_sample = code_sample
        self.callbacks = (YieldWhile(yield_to),) if yield_to is not None else ()
        self.status = "running"
        self.progress = None
        self.history = {}
        self.preview_outputs = None
        self.preview_codes = None
        self.result = None
        self.kept = None
        self.error = None
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(model, build_options), name="aecore-training",
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        """Ask the run to end after the current call of the step; the model keeps what it learned."""
        self.stop_event.set()

    @property
    def stopping(self):
        return self.stop_event.is_set() and not self.done

    @property
    def done(self):
        return self.status != "running"

    def _on_progress(self, progress):
        if progress.phase == "epoch":
            self.history = {key: [*self.history.get(key, []), value] for key, value in progress.logs.items()}
            if self.preview is not None:
                self.preview_outputs = progress.model.reconstruct(self.preview)
            if self.code_sample is not None:
                self.preview_codes = progress.model.encode(self.code_sample)
        self.progress = progress

    def _run(self, model, build_options):
        lower_this_threads_priority()
        try:
            self.result = train(model, self.dataset, self.config, self._on_progress, self.stop_event,
                                callbacks=self.callbacks, **build_options)
            if self.keep is not None:
                self.kept = self.keep(self.result)
        except Exception as error:  # handed to the reader, who decides how to show it
            self.error = error
            self.status = "failed"
            return
        self.status = "stopped" if self.result.stopped else "finished"
