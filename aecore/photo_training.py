"""Training a photo denoiser in stages that survive the end of a session.

`train_photo_denoiser` fits a `photo` model on `PatchSampler` batches and, after every "epoch" (a
fixed number of steps), scores it on held-out photos at sigma 15, 25 and 50 and saves it with its
card, atomically. A stage that is cut off keeps its last epoch; the next stage resumes from that file
(`--init` on the command line) and the card adds up the patches, steps and seconds of all stages.
"""

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from aecore.photos import gaussian_noise

VALIDATION_SIGMAS = (15, 25, 50)
VALIDATION_CROP = 256


def as_policy(model, policy):
    """A copy of a photo model whose layers compute under `policy` ("float32" or "mixed_bfloat16")."""
    from aecore.zoo import hyperparameters

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        copy = type(model)(name=model.name, **hyperparameters(model))
    finally:
        keras.mixed_precision.set_global_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def gray_to_colour(model):
    """A colour photo model that starts from a trained gray one: the same body, the first and last layers spread over 3 channels.

    The first convolution sees each channel with a third of the gray weights (so a gray picture gives
    the same features), and the last predicts the same noise for each channel; colour training then
    starts from a good denoiser instead of from scratch.
    """
    from aecore.architectures import PhotoDenoiser
    from aecore.zoo import hyperparameters

    if model.example_shape[-1] != 1:
        raise ValueError("gray_to_colour takes a 1-channel photo model")
    options = {**hyperparameters(model), "input_shape": (None, None, 3)}
    colour = PhotoDenoiser(name=model.name, **options)
    for source, target in ((model.encoder, colour.encoder), (model.decoder, colour.decoder)):
        for layer in source.layers:
            weights = layer.get_weights()
            if not weights:
                continue
            if layer.name == "head":
                weights = [np.repeat(weights[0], 3, axis=2) / 3]
            elif layer.name == "noise":
                weights = [np.repeat(weights[0], 3, axis=3)]
            target.get_layer(layer.name).set_weights(weights)
    return colour


def grow(model, **options):
    """A bigger photo model that computes exactly what `model` does, so training goes on from it.

    `options` change `widths`, `blocks` or `bottleneck_blocks` (none may shrink). Every trained
    weight is copied into the same place of the new model. A new channel gets fresh weights from the
    old channels, but the old channels get zero weights from it, and a new residual block's second
    convolution starts at zero (the block passes its input through); so the output is unchanged until
    training moves those zeros, and the gradient reaches them at once.
    """
    from aecore.architectures import PhotoDenoiser
    from aecore.zoo import hyperparameters

    old = hyperparameters(model)
    new = {**old, **options}
    new["code_size"] = list(new["widths"])[-1]
    if len(new["widths"]) != len(old["widths"]) or any(
            a < b for a, b in zip([*new["widths"], new["blocks"], new["bottleneck_blocks"]],
                                  [*old["widths"], old["blocks"], old["bottleneck_blocks"]])):
        raise ValueError(f"grow keeps the number of levels and shrinks nothing: {old} -> {new}")
    bigger = PhotoDenoiser(name=model.name, **new)
    for part in ("encoder", "decoder"):
        trained = {layer.name: layer for layer in getattr(model, part).layers}
        for layer in getattr(bigger, part).layers:
            if not layer.get_weights():
                continue
            kernel = np.array(layer.get_weights()[0])
            if layer.name in trained:
                old_kernel = trained[layer.name].get_weights()[0]
                # Conv2D kernels are (h, w, in, out); Conv2DTranspose kernels are (h, w, out, in).
                into, out = (3, 2) if isinstance(layer, keras.layers.Conv2DTranspose) else (2, 3)
                n_in, n_out = old_kernel.shape[into], old_kernel.shape[out]
                from_new = [slice(None)] * 4
                from_new[into], from_new[out] = slice(n_in, None), slice(None, n_out)
                kernel[tuple(from_new)] = 0
                kernel[tuple(slice(0, n) for n in old_kernel.shape)] = old_kernel
            elif layer.name.endswith("_conv_b"):  # a new residual block starts as the identity
                kernel[:] = 0
            layer.set_weights([kernel])
    return bigger


def validation_crops(photos, size=VALIDATION_CROP):
    """The centre `size` x `size` crop of each photo, as float32 in [0, 1]."""
    crops = []
    for photo in photos:
        top, left = max(0, (photo.shape[0] - size) // 2), max(0, (photo.shape[1] - size) // 2)
        crops.append(photo[top : top + size, left : left + size].astype(np.float32) / 255)
    return crops


def validation_psnr(model, crops, sigmas=VALIDATION_SIGMAS, seed=0):
    """Mean PSNR (dB) of `model` on `crops` with unclipped Gaussian noise of each sigma (0-255 scale), and with camera noise saved as JPEG (`camera_jpeg`)."""
    from aecore.metrics import psnr

    rng = np.random.default_rng(seed)
    scores = {}
    for sigma in sigmas:
        values = []
        for crop in crops:
            clean = crop[np.newaxis]
            noisy = gaussian_noise(clean, np.float32([sigma / 255]), rng, np.array([False]))
            values.append(psnr(clean, np.clip(np.asarray(model(noisy, training=False)), 0, 1))[0])
        scores[f"psnr_sigma{sigma}"] = float(np.mean(values))
    values = []
    for crop in crops:
        clean = crop[np.newaxis]
        values.append(psnr(clean, np.clip(np.asarray(model(camera_jpeg(crop, rng)[np.newaxis], training=False)), 0, 1))[0])
    scores["psnr_camera_jpeg"] = float(np.mean(values))
    return scores


def camera_jpeg(crop, rng, shot=0.01):
    """`crop` (H x W x C) with camera noise of `shot` (a random camera, Bayer) saved as a 4:2:0 JPEG of quality 90."""
    from aecore.degrade import camera_noise, jpeg, read_noise_for
    from aecore.images import LUMA

    colour = np.repeat(crop, 3, axis=-1) if crop.shape[-1] == 1 else crop
    noisy = jpeg(camera_noise(colour, shot, read_noise_for(shot), rng), 90, "4:2:0")
    return (noisy @ LUMA)[..., np.newaxis] if crop.shape[-1] == 1 else noisy


class StageCheckpoint(keras.callbacks.Callback):
    """After every epoch: validate, print a line, and save the model with its card (atomically)."""

    def __init__(self, save, crops, log=print):
        super().__init__()
        self.save, self.crops, self.log = save, crops, log
        self.history, self.started, self.epochs = [], time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        scores = validation_psnr(self.model, self.crops) if self.crops else {}
        row = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", float("nan"))), **scores,
               "seconds": round(time.perf_counter() - self.started, 1)}
        self.history.append(row)
        self.log("  ".join(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                           for key, value in row.items()))
        self.save(self.history)


class ClockSchedule(keras.callbacks.Callback):
    """The learning rate by the clock, for a stage given minutes rather than epochs.

    The first epoch runs at a tenth of `learning_rate`, so that Adam's fresh moments settle before
    they move a trained model far; after it the rate follows a cosine from `learning_rate` down to a
    tenth over `seconds` of wall-clock time (set at each epoch's start), and training stops after the
    last epoch that fits. A machine of unknown speed (a lent GPU, a busy server) so ends its stage
    annealed instead of cut off half-way down the schedule.
    """

    def __init__(self, learning_rate, seconds):
        super().__init__()
        self.peak, self.seconds, self.started = float(learning_rate), float(seconds), None

    def rate(self, epoch, elapsed):
        if epoch == 0:
            return self.peak / 10
        fraction = min(1.0, elapsed / self.seconds)
        return self.peak * (0.1 + 0.45 * (1 + math.cos(math.pi * fraction)))

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate = self.rate(epoch, time.perf_counter() - self.started)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.started
        if elapsed * (epoch + 2) / (epoch + 1) > self.seconds:  # one more epoch of the mean length would overrun
            self.model.stop_training = True


def train_photo_denoiser(model, sampler, epochs, learning_rate, validation=(), save=None, log=print, minutes=None):
    """Fit `model` on `sampler` for `epochs` epochs of `len(sampler)` steps with Adam and MSE.

    Args:
        model: a `photo` model (built under any dtype policy).
        sampler: a `PatchSampler`.
        epochs: epochs to run in this stage (at most, with `minutes`).
        learning_rate: Adam's learning rate, halved by cosine decay to a tenth over the stage.
        validation: float32 crops scored after every epoch (`validation_crops`).
        save: called after every epoch with the list of per-epoch rows so far.
        log: where the per-epoch lines go.
        minutes: if given, the stage's length in wall-clock minutes, and the schedule `ClockSchedule`'s.

    Returns:
        the per-epoch rows (epoch, loss, PSNR at each validation sigma, seconds).
    """
    checkpoint = StageCheckpoint(save or (lambda history: None), list(validation), log)
    callbacks = [checkpoint]
    if minutes:
        rate = float(learning_rate)
        callbacks.append(ClockSchedule(learning_rate, minutes * 60))
    else:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * len(sampler), alpha=0.1)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse")
    model.fit(sampler, epochs=epochs, verbose=0, callbacks=callbacks)
    return checkpoint.history


# What a stage's card records of its settings, in this order (channels, init and options are recorded elsewhere).
RECORDED = ("epochs", "steps", "batch_size", "patch_size", "learning_rate", "max_sigma", "scales", "clip_fraction",
            "detail_bias", "equalize_sigmas", "jpeg_fraction", "precision", "seed", "minutes", "workers")


@dataclass(frozen=True)
class PhotoStage:
    """One training stage of a photo denoiser: the settings of `python -m aecore train-photo`.

    `init` resumes from a saved photo model and its card (a gray one may start a colour model);
    `options` are constructor options (`widths`, `blocks`, ...): a new model's, or with `init` the
    bigger model `grow` makes of the saved one. `mix="camera"` draws each patch's noise from
    `aecore.degrade.DEFAULT_MIX`, with `mix_options` changed, instead of white Gaussian noise. The rest
    are `PatchSampler`'s and `train_photo_denoiser`'s.
    """

    channels: int = 1
    epochs: int = 10
    steps: int = 500
    batch_size: int = 16
    patch_size: int = 48
    learning_rate: float = 1e-3
    max_sigma: float = 55.0
    scales: tuple = (0.15, 0.5)
    clip_fraction: float = 0.5
    detail_bias: float = 0.5
    equalize_sigmas: bool = False
    jpeg_fraction: float = 0.0
    mix: str | None = None
    mix_options: dict = field(default_factory=dict)
    precision: str = "float32"
    seed: int = 0
    minutes: float | None = None
    workers: int = 1
    init: Path | None = None
    options: dict = field(default_factory=dict)

    def noise_mix(self):
        """The `aecore.degrade.Mix` this stage draws its noise from, or None for white Gaussian noise."""
        from aecore.degrade import Mix

        if self.mix_options and not self.mix:
            raise ValueError("mix options change the camera mix: give --mix camera too")
        return Mix.with_changes(self.mix_options) if self.mix else None

    def record(self):
        """The stage as its card lists it, before it has run."""
        settings = asdict(self)
        row = {key: list(settings[key]) if key == "scales" else settings[key] for key in RECORDED}
        mix = self.noise_mix()
        if mix:
            row["mix"] = mix.as_card()
        if self.init and self.options:
            row["grown"] = dict(self.options)
        return row


def starting_model(stage):
    """The model a stage trains, under its precision, and the card it continues (`{}` for a new model)."""
    from aecore.architectures import PhotoDenoiser, build
    from aecore.zoo import load_card, load_model

    if not stage.init:
        return build("photo", input_shape=(None, None, stage.channels), **stage.options), {}
    init = Path(stage.init)
    model, prior = load_model(init), load_card(init)
    if not isinstance(model, PhotoDenoiser):
        raise ValueError(f"{init} is not a photo model")
    if stage.options:  # a bigger model that starts out computing what the saved one does
        model = grow(model, **stage.options)
    if model.example_shape[-1] == 1 and stage.channels == 3:  # a colour model grown from a gray one
        model, prior = gray_to_colour(model), {**prior, "grown_from_gray": init.name}
    elif model.example_shape[-1] != stage.channels:
        raise ValueError(f"{init} is not a {stage.channels}-channel photo model")
    return as_policy(model, stage.precision), prior


def run_stage(stage, out, name=None, folders=None, log=print):
    """Train one `PhotoStage` on the photos in `folders` (default: `aecore.photos.photo_dirs`).

    After every epoch the model is validated and saved to `out/NAME.keras` with a card that adds this
    stage to the ones before it, so a stage cut off keeps its last epoch. Returns the saved path.
    """
    from aecore.photos import PatchSampler, find_photos, read_photo
    from aecore.zoo import check_name, make_photo_card, save_model

    name = check_name(name or ("photo_gray" if stage.channels == 1 else "photo_color"))
    out = Path(out)
    files, held_out = find_photos(folders), find_photos(folders, validation=True)
    log(f"reading {len(files)} training and {len(held_out)} validation photos")
    photos = [read_photo(path, stage.channels) for path in files]
    validation = validation_crops([read_photo(path, stage.channels, max_side=1024) for path in held_out])
    keras.utils.set_random_seed(stage.seed)
    keras.mixed_precision.set_global_policy(stage.precision)
    model, prior = starting_model(stage)
    sampler = PatchSampler(photos, stage.patch_size, stage.batch_size, stage.steps, stage.max_sigma, stage.scales,
                           stage.clip_fraction, stage.detail_bias, stage.equalize_sigmas, stage.jpeg_fraction,
                           mix=stage.noise_mix(), seed=stage.seed + len(prior.get("stages", [])),
                           workers=stage.workers, use_multiprocessing=stage.workers > 1,
                           max_queue_size=4 * stage.workers)
    record, started = stage.record(), time.perf_counter()

    def save(history):
        done = dict(record, epochs=len(history), seconds=round(time.perf_counter() - started, 1),
                    patches=len(history) * stage.steps * stage.batch_size,
                    init=Path(stage.init).name if stage.init else None)
        save_model(as_policy(model, "float32"), out, name, make_photo_card(model, files, prior, done, history))

    train_photo_denoiser(model, sampler, stage.epochs, stage.learning_rate, validation, save, log, stage.minutes)
    return out / f"{name}.keras"
