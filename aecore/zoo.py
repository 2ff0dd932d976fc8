"""Saving and loading trained models with their model cards.

A trained model is two files side by side: `NAME.keras` (the Keras archive) and `NAME.json`, its
card (architecture, options, data and its source, noise, epochs, time, final losses, test metrics,
library versions). Both are written to a temporary name and renamed, so a crash mid-save leaves
any earlier version intact. Files hold weights without optimizer state (a third of the size with
Adam); loading gives an uncompiled model for predictions, and `compile_model` readies it for
fine-tuning. Loading uses `safe_mode=True` and is meant for files this project wrote; a damaged or
crafted file (no `config.json`, a class that is not ours, weights that would need terabytes) is
refused with a `ModelFileError` before anything big is allocated: the model is first built with
deferred variables (`keras.StatelessScope`), which costs no memory, and its weights are counted.
Cards are read without Keras: it is imported with the first model saved or loaded, so a caller
that only lists models (the app's sidebar on start-up) does not wait for TensorFlow.
"""

import datetime
import functools
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

MAX_PARAMETERS = 250_000_000  # 1 GB of float32 weights; the largest shipped model has 2.4 million
NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def check_name(name):
    if not name or not set(name) <= NAME_CHARACTERS or name.startswith("."):
        raise ValueError(f"model name {name!r} may use only letters, digits, '_', '-' and '.'")
    return name


def library_versions():
    import importlib

    import keras

    backend = keras.backend.backend()
    return {"keras": keras.__version__, backend: importlib.import_module(backend).__version__, "numpy": np.__version__}


def hyperparameters(model):
    """The constructor arguments of a catalogue model, as its config holds them."""
    return {key: value for key, value in model.get_config().items() if key not in ("name", "trainable", "dtype")}


def changed_options(model):
    """The options where `model` departs from its catalogue entry's defaults (input shape and code size aside).

    The card's description is the entry's docstring; this says what the recipe changed about it.
    """
    defaults = hyperparameters(type(model)(input_shape=model.example_shape))
    return {key: value for key, value in hyperparameters(model).items()
            if key not in ("input_shape", "code_size") and value != defaults.get(key)}


def make_card(model, dataset, config, result, test_metrics, recipe=None):
    """A JSON-ready model card for a model trained by `aecore.training.train`.

    `batch_size` is the global batch; `replicas` and `workers` say how many devices and machines shared it.
    """
    from aecore.architectures import catalogue_name
    return {
        "name": model.name,
        "architecture": catalogue_name(model),
        "description": (type(model).__doc__ or "").strip().splitlines()[0],
        "options": hyperparameters(model),
        "changed_options": changed_options(model),
        "recipe": recipe or {},
        "dataset": dataset.name,
        **({"classes": list(dataset.classes)} if dataset.classes is not None else {}),
        "data_source": dataset.source,
        "train_examples": int(len(dataset.x_train)),
        "noise": str(config.noise) if config.noise else None,
        "epochs": result.epochs_run,
        "epochs_requested": config.epochs,
        "stopped_early": result.stopped,
        "batch_size": config.batch_size,
        "replicas": result.replicas,
        "workers": result.workers,
        "seed": config.seed,
        "seconds": round(result.seconds, 2),
        "images_per_second": round(result.images_per_second, 1),
        "final_losses": result.final_losses,
        "history": result.history,
        "test_metrics": test_metrics,
        "versions": library_versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def make_photo_card(model, files, prior, stage, history):
    """A model card for a photo denoiser after one more training stage.

    `prior` is the card of the model the stage started from (`{}` for a new one); stages, patches
    and seconds add up, and the validation rows continue its own.
    """
    stages = [*prior.get("stages", []), stage]
    rows = [*prior.get("validation", []), *history]
    return {
        "name": model.name,
        "architecture": "photo",
        "description": (type(model).__doc__ or "").strip().splitlines()[0],
        "options": hyperparameters(model),
        "channels": model.example_shape[-1],
        "dataset": "photos",
        "data_source": "photographs from Debian's wallpaper packages (mate-backgrounds, lomiri-wallpapers, "
                       "plasma-workspace-wallpapers); licences in each package's copyright file",
        "training_photos": sorted({*prior.get("training_photos", []), *(Path(f).as_posix().split("/share/")[-1]
                                                                         for f in files)}),
        "noise": (f"blind; trained on aecore.degrade's mix: camera noise (Poisson-Gaussian after unprocessing, "
                  f"random camera, Bayer), gray, correlated and white Gaussian up to sigma {stage['max_sigma']:g}"
                  f" of 255, JPEG 4:2:0 / 4:4:4 (the card's last stage gives the shares)"
                  if stage.get("mix") or any(s.get("mix") for s in prior.get("stages", []))
                  else f"gaussian, sigma 0-{stage['max_sigma']:g} of 255, blind"),
        "recipe": {"optimizer": "adam", "loss": "mse", "schedule": "cosine decay to 1/10 per stage, over its steps or (--minutes) its clock time after a first epoch at 1/10"},
        "stages": stages,
        **({"grown_from_gray": prior["grown_from_gray"]} if "grown_from_gray" in prior else {}),
        "patches_seen": sum(s["patches"] for s in stages),
        "seconds": round(sum(s["seconds"] for s in stages), 1),
        "epochs": sum(s["epochs"] for s in stages),
        "validation": rows,
        "test_metrics": {"model": {k: v for k, v in rows[-1].items() if k.startswith("psnr")}} if rows else {},
        "versions": library_versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


STALE_TEMPORARY_SECONDS = 600  # a save takes seconds; a temporary file this old was left by a killed process


def remove_stale_temporaries(directory, stem, now=None):
    """Remove half-written `.STEM.*` files that a process killed during a save left in `directory`."""
    now = time.time() if now is None else now
    for leftover in Path(directory).glob(f".{stem}.*"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                leftover.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


def _write_atomically(path, write):
    """Call `write(temporary_path)` and rename the result onto `path`."""
    path = Path(path)
    remove_stale_temporaries(path.parent, path.stem)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _save_without_optimizer_state(model, path):
    """`model.save(path)` with a fresh optimizer of the same configuration in place of the trained one."""
    trained = getattr(model, "optimizer", None)
    if trained is None:
        return model.save(path)
    model.optimizer = trained.__class__.from_config(trained.get_config())
    try:
        model.save(path)
    finally:
        model.optimizer = trained


def save_model(model, directory, name, card):
    """Write `directory/name.keras` and `directory/name.json` atomically; returns the `.keras` path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    check_name(name)
    model_path = directory / f"{name}.keras"
    _write_atomically(model_path, lambda temporary: _save_without_optimizer_state(model, temporary))
    text = json.dumps({**card, "file": model_path.name}, indent=2, default=float)
    _write_atomically(directory / f"{name}.json", lambda temporary: Path(temporary).write_text(text + "\n"))
    return model_path


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message says why in one line."""


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def archive_config(path):
    """The model config inside a `.keras` archive, read without building anything."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ModelFileError(f"{path.name} is damaged or not a Keras model: its archive has no config.json")
            with archive.open("config.json") as member:
                text = member.read(16 << 20)
        config = json.loads(text)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise ModelFileError(f"{path.name} is not a Keras model archive ({_first_line(error)})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{path.name} is damaged: its config.json is not valid JSON") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelFileError(f"{path.name} is damaged: its config.json describes no model")
    return config


def parameter_count(config, name="the model file"):
    """How many weights the model of `config` holds, counted on a model whose variables are never allocated."""
    import keras
    from keras.src.backend.common import global_state

    import aecore.architectures  # noqa: F401  (registers the model classes before any load)

    config = {key: value for key, value in config.items() if key != "compile_config"}  # an optimizer is not weights
    try:
        with keras.StatelessScope(initialize_variables=False):
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
            return sum(float(np.prod(variable.shape, dtype=np.float64)) for variable in model.variables)
    except Exception as error:  # a crafted config fails in many ways; each is one line for the person
        raise ModelFileError(f"{name} holds a model this project cannot build ({_first_line(error)})") from None
    finally:  # the counted variables are never to be allocated, by a later scope either
        global_state.set_global_attribute("uninitialized_variables", [])


def pretrained_dir():
    """The folder of shipped models: `AESTUDIO_PRETRAINED_DIR`, else the project's `pretrained/`."""
    return Path(os.environ.get("AESTUDIO_PRETRAINED_DIR", Path(__file__).resolve().parent.parent / "pretrained"))


@functools.lru_cache(maxsize=4)
def _shipped(path, modified):
    return load_model(path)


def shipped_model(name):
    """The shipped model `name` from `pretrained_dir()`, loaded once per process, or `None` if not installed."""
    path = pretrained_dir() / f"{name}.keras"
    return _shipped(path, path.stat().st_mtime) if path.is_file() else None


def load_model(path):
    """A model saved by `save_model`, uncompiled (safe mode on; never pass a file a stranger uploaded).

    Raises `ModelFileError` for a damaged or crafted file, and for one whose weights exceed
    `MAX_PARAMETERS`, before building it for real.
    """
    from aecore import import_tensorflow_quietly

    import_tensorflow_quietly()  # waits for an import under way on another thread (the app's warm-up)
    import keras

    path = Path(path)
    if path.suffix != ".keras" or not path.is_file():
        raise FileNotFoundError(f"no .keras model file at {path}")
    count = parameter_count(archive_config(path), path.name)
    if count > MAX_PARAMETERS:
        raise ModelFileError(f"{path.name} asks for {count:,.0f} weights ({count * 4 / 1e9:,.1f} GB); "
                             f"this project loads at most {MAX_PARAMETERS:,}")
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:
        raise ModelFileError(f"{path.name} could not be loaded ({_first_line(error)})") from None


def load_card(model_path):
    """The card beside `model_path`, or `{}` when it has none."""
    card_path = Path(model_path).with_suffix(".json")
    return json.loads(card_path.read_text()) if card_path.is_file() else {}


def save_trained(result, dataset, config, directory, name, recipe=None, test_examples=None, fine_tuned_from=None,
                 extra_card=None):
    """Score a finished run on the test set, write its card beside it, and return the `.keras` path.

    Args:
        result: the `TrainResult` of `aecore.training.train`.
        dataset: the `Dataset` it trained on; its first `test_examples` test inputs (all if `None`)
            are scored with the run's noise and seed.
        config: the run's `TrainConfig`.
        directory, name: where to write `name.keras` and `name.json`.
        recipe: the optimizer, learning rate and loss the run used, for the card.
        fine_tuned_from: `(path, card)` of the saved model the run started from, if any; the card
            then counts the whole training and shows the whole loss history.
        extra_card: further entries for the card (a detector's AUROC, say).
    """
    from aecore.metrics import evaluate_model

    check_name(name)
    # The noisy inputs' own MSE and PSNR are the card's baseline; their BCE and SSIM would add a second
    # for 10,000 digits to every `train` and say little more.
    scores = evaluate_model(result.model, dataset.x_test[:test_examples], config.noise, seed=config.seed,
                            baseline_metrics=["mse", "psnr"])
    card = make_card(result.model, dataset, config, result, scores, recipe)
    if fine_tuned_from is not None:
        prior_path, prior = fine_tuned_from
        card["fine_tuned_from"] = {"file": Path(prior_path).name, "epochs": prior.get("epochs", 0),
                                   "noise": prior.get("noise")}
        card["epochs"] += prior.get("epochs", 0)
        card["history"] = {key: prior.get("history", {}).get(key, []) + values for key, values in result.history.items()}
    card.update(extra_card or {})
    return save_model(result.model, directory, name, card)


def list_saved(directory):
    """`[(name, model path, card)]` for every `.keras` file in `directory`, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [(path.stem, path, load_card(path)) for path in sorted(directory.glob("*.keras")) if not path.name.startswith(".")]
