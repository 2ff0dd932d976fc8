"""The command line: `python -m aecore models | train | train-photo | evaluate | denoise`.

Each command is a thin wrapper over the library. Bad arguments and unusable inputs end with one
line on stderr and exit status 2, never a traceback; a folder run where some files failed (each
named on stderr) ends with status 1.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

EXIT_FAILED = 1  # some files of a folder failed; the rest were written
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not a usage block."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def option_value(text):
    """`key=value` with a JSON value (strings may go unquoted): `hidden_sizes=[256,128]`."""
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def writable_folder(folder):
    """Make `folder` and check that a file can be written there, before any training starts."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as error:
        raise ValueError(f"--out {folder}: cannot write there ({error.strerror or error})") from None
    return folder


def model_options(code_size, options):
    """`--code-size` and the `--option key=value` pairs as one dict of constructor options, each given once."""
    merged = {}
    for key, value in options:
        if key in merged:
            raise ValueError(f"--option {key} is given twice")
        merged[key] = value
    if code_size is not None:
        if "code_size" in merged:
            raise ValueError("the code size is given twice (--code-size and --option code_size=...)")
        merged["code_size"] = code_size
    return merged


STRATEGIES = ("default", "mirrored", "multi-worker")  # aecore.distributed's, without importing TensorFlow


def make_parser():
    from aecore.cards import IMAGE_MODELS, LOSSES, OPTIMIZERS  # not aecore.architectures: parsing needs no Keras
    from aecore.datasets import DATASETS

    parser = OneLineParser(prog="python -m aecore", description="Keras autoencoders: train, evaluate, denoise.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    commands.add_parser("models", help="list the model catalogue")

    train = commands.add_parser("train", help="train a catalogue model and save it with its card")
    train.add_argument("--model", required=True, choices=IMAGE_MODELS, help="(photo models: see train-photo)")
    train.add_argument("--dataset", default="mnist", choices=list(DATASETS))
    train.add_argument("--epochs", type=positive_int, default=5)
    train.add_argument("--batch-size", type=positive_int, default=128)
    train.add_argument("--code-size", type=positive_int, default=None)
    train.add_argument("--noise", default=None, help="KIND:LEVEL, for example gaussian:0.4, masking:0.3")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=None)
    train.add_argument("--learning-rate", type=float, default=None)
    train.add_argument("--loss", choices=LOSSES, default=None)
    train.add_argument("--lr-decay-rate", type=float, default=None,
                       help="multiply the learning rate by this every --lr-decay-steps steps")
    train.add_argument("--lr-decay-steps", type=positive_int, default=None)
    train.add_argument("--validation-split", type=float, default=0.1)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit", type=positive_int, default=None, help="train on the first N training images")
    train.add_argument("--classes", type=int, nargs="+", default=None,
                       help="train (and test) on these classes alone: a detector of anomalies, whose normal "
                            "images they are")
    train.add_argument("--option", type=option_value, action="append", default=[],
                       help="model constructor option as key=JSON, for example filters=64")
    train.add_argument("--init", type=Path, default=None,
                       help="fine-tune this saved model (same --model) instead of starting from scratch")
    train.add_argument("--out", required=True, type=Path, help="folder for NAME.keras and NAME.json")
    train.add_argument("--name", default=None, help="file name stem (default MODEL_DATASET[_NOISE])")
    train.add_argument("--strategy", choices=STRATEGIES, default="default",
                       help="mirrored: every GPU of this machine; multi-worker: the machines TF_CONFIG lists, each "
                            "running this same command (--batch-size is the global batch, split across replicas)")

    photo = commands.add_parser("train-photo", help="train a photo denoiser on photo patches, saving every epoch")
    photo.add_argument("--channels", type=int, choices=[1, 3], default=1, help="1 for gray, 3 for colour")
    photo.add_argument("--epochs", type=positive_int, default=10, help="epochs (at most, with --minutes)")
    photo.add_argument("--minutes", type=float, default=None,
                       help="train for this long, the learning rate following the clock (see ClockSchedule)")
    photo.add_argument("--steps", type=positive_int, default=500, help="batches per epoch")
    photo.add_argument("--batch-size", type=positive_int, default=16)
    photo.add_argument("--patch-size", type=positive_int, default=48)
    photo.add_argument("--learning-rate", type=float, default=1e-3)
    photo.add_argument("--max-sigma", type=float, default=55.0, help="largest noise sigma, 0-255 scale")
    photo.add_argument("--clip-fraction", type=float, default=0.5,
                       help="share of patches clipped to [0, 1] and rounded to 8 bits after the noise")
    photo.add_argument("--scales", type=float, nargs=2, default=[0.15, 0.5], metavar=("MIN", "MAX"),
                       help="range of the random scale applied to the photos (read at most 2560 px on a side)")
    photo.add_argument("--detail-bias", type=float, default=0.5,
                       help="share of patches picked as the most detailed of three candidates")
    photo.add_argument("--jpeg-fraction", type=float, default=0.0,
                       help="share of noisy patches saved as 4:2:0 JPEG (quality 70-95) and read back, as photos are")
    photo.add_argument("--mix", choices=["camera"], default=None,
                       help="draw each patch's noise from aecore.degrade's mix (camera, gray, correlated, white, "
                            "JPEG) instead of white Gaussian noise")
    photo.add_argument("--mix-option", type=option_value, action="append", default=[],
                       help="with --mix camera, one share of the mix as key=JSON, for example jpeg=0.6 or "
                            "jpeg_quality=[50,95] (aecore.degrade.Mix lists them)")
    photo.add_argument("--equalize-sigmas", action="store_true",
                       help="weight each patch's loss by 1 / (sigma + 5) so low noise counts as much as high")
    photo.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="float32",
                       help="mixed_bfloat16 trains 2-3x faster on CPUs with AMX or AVX-512 BF16; saved as float32")
    photo.add_argument("--photos", type=Path, action="append", default=None,
                       help="a folder of training photos (default: AECORE_PHOTO_DIR or the wallpaper packages)")
    photo.add_argument("--seed", type=int, default=0)
    photo.add_argument("--workers", type=positive_int, default=1,
                       help="processes that cut and degrade patches (a GPU machine needs many to keep up)")
    photo.add_argument("--option", type=option_value, action="append", default=[],
                       help="model constructor option as key=JSON, for example widths=[32,64,128]; with --init, "
                            "grows the saved model (wider levels, more blocks) without changing what it computes")
    photo.add_argument("--init", type=Path, default=None,
                       help="resume from this saved photo model and its card (a gray one may start a colour model)")
    photo.add_argument("--out", required=True, type=Path, help="folder for NAME.keras and NAME.json")
    photo.add_argument("--name", default=None, help="file name stem (default photo_gray or photo_color)")

    evaluate = commands.add_parser("evaluate", help="score a saved model on a test set")
    evaluate.add_argument("model_path", type=Path)
    evaluate.add_argument("--dataset", default="mnist", choices=list(DATASETS))
    evaluate.add_argument("--noise", default=None, help="give the model noisy inputs, score against clean ones")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--limit", type=positive_int, default=None, help="score the first N test images")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    denoise = commands.add_parser("denoise", help="denoise an image file, or every image in a folder "
                                                  "(photo models: at full size, in colour)")
    denoise.add_argument("paths", nargs="+", metavar="[MODEL] INPUT OUTPUT",
                         help="MODEL: a .keras file, a shipped model's name, or 'photo' (the default): the "
                              "shipped colour photo model, gray pictures going to the gray one. INPUT: an image "
                              "file, or a folder of them (subfolders included). OUTPUT: the image to write "
                              "(.png, or .jpg for a JPEG of quality 95), or for a folder the folder of PNGs")
    denoise.add_argument("--noise", default=None, help="digit models: add this noise first, for example gaussian:0.4")
    denoise.add_argument("--sigma", type=float, default=None,
                         help="photo models: add Gaussian noise of this sigma (0-255) first, to score the result")
    denoise.add_argument("--seed", type=int, default=0)
    denoise.add_argument("--best", action="store_true",
                         help="photo models: average the eight flips and turns (0.1-0.2 dB better, 8x slower)")
    denoise.add_argument("--strength", type=float, default=1.0,
                         help="photo models: share of the removed noise taken away, 0-1 (default 1: all)")
    denoise.add_argument("--colour-strength", type=float, default=None,
                         help="photo models: the same for colour noise alone (default: --strength)")
    denoise.add_argument("--keep-gps", action="store_true",
                         help="keep the GPS position of the input's EXIF (dropped by default; the rest is kept)")
    denoise.add_argument("--no-digit-prep", action="store_true", help="resize only, no MNIST-style centring")
    denoise.add_argument("--overwrite", action="store_true",
                         help="folders: denoise files whose output exists too (by default they are skipped, "
                              "so an interrupted run resumes)")
    denoise.add_argument("--workers", type=positive_int, default=None,
                         help="folders: threads reading and as many writing (default 2-4, by the CPU count)")
    return parser


def progress_bar(progress, stream=sys.stderr, width=30):
    filled = int(width * progress.fraction)
    losses = "  ".join(f"{key} {value:.4f}" for key, value in progress.logs.items())
    eta = "" if progress.eta_seconds != progress.eta_seconds else f"  eta {progress.eta_seconds:4.0f}s"
    stream.write(f"\repoch {progress.epoch}/{progress.epochs} [{'#' * filled}{'.' * (width - filled)}] "
                 f"{progress.images_per_second:7.0f} img/s{eta}  {losses}\033[K")
    if progress.phase != "batch":
        stream.write("\n")
    stream.flush()


def command_models(args):
    from aecore.architectures import list_models

    for name, description in list_models().items():
        print(f"{name:14} {description}")


def command_train(args):
    from aecore.architectures import build, catalogue_name, compile_model, recipe
    from aecore.datasets import load_dataset
    from aecore.distributed import is_chief, local_copy, make_strategy
    from aecore.noise import Noise
    from aecore.training import TrainConfig, train
    from aecore.zoo import check_name, load_card, load_model, save_trained

    if args.strategy != "default" and args.init:
        raise ValueError("--init fine-tunes on one device; it does not combine with --strategy")
    strategy = make_strategy(args.strategy)  # before anything else runs on TensorFlow, as multi-worker needs
    chief = is_chief(strategy)
    noise = Noise.parse(args.noise)
    noise_tag = str(noise).replace(":", "") if noise else None
    name = check_name(args.name or "_".join(filter(None, [args.model, args.dataset, noise_tag])))
    if chief:  # the other workers write nothing
        writable_folder(args.out)
    options = model_options(args.code_size, args.option)
    dataset = full = load_dataset(args.dataset)
    if args.classes:
        dataset = dataset.only_classes(args.classes)
    if args.limit:
        dataset = dataset.subset(train=args.limit)
    if chief:
        print(f"data: {dataset.describe()}", file=sys.stderr)
        if strategy is not None:
            print(f"strategy: {args.strategy}, {strategy.num_replicas_in_sync} replicas, global batch "
                  f"{args.batch_size}", file=sys.stderr)
    else:
        print(f"worker {strategy.cluster_resolver.task_id}: training with the others; the chief writes the model",
              file=sys.stderr)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, noise=noise,
                         validation_split=args.validation_split, seed=args.seed)
    compile_options = dict(optimizer=args.optimizer, learning_rate=args.learning_rate, loss=args.loss,
                           decay_rate=args.lr_decay_rate, decay_steps=args.lr_decay_steps)
    if args.init:  # fine-tune a saved model: no new architecture, a fresh optimizer
        if args.code_size or args.option:
            raise ValueError("--code-size and --option describe a new model; they do not apply with --init")
        model, build_options = compile_model(load_model(args.init), **compile_options), {}
        prior = load_card(args.init)
        if catalogue_name(model) != args.model:
            raise ValueError(f"{args.init} holds a {catalogue_name(model)} model, not {args.model}")
    else:
        if options:  # a wrong --option fails in this throwaway build, with one line; `train` builds after seeding
            try:
                build(args.model, input_shape=dataset.input_shape, **options, **compile_options)
            except TypeError as error:
                raise ValueError(f"--option: {error}") from None
        model, build_options = args.model, dict(**options, **compile_options)
    result = train(model, dataset, config, on_progress=progress_bar if chief else None, strategy=strategy,
                   **build_options)
    if not chief:
        print("done; the chief saves the model", file=sys.stderr)
        return
    if strategy is not None:
        result = dataclasses.replace(result, model=local_copy(result.model))
    extra = None
    if args.classes:  # a detector: how well it tells its classes from the others in the whole test set
        from aecore.anomaly import detector_card

        extra = detector_card(result.model, full, args.classes)
    path = save_trained(result, dataset, config, args.out, name, recipe(args.model, **compile_options),
                        fine_tuned_from=(args.init, prior) if args.init else None, extra_card=extra)
    print(f"saved {path}", file=sys.stderr)
    card = load_card(path)
    print(json.dumps({key: value for key, value in card.items() if key not in ("history", "file")}, indent=2))


def command_train_photo(args):
    import dataclasses

    from aecore.photo_training import PhotoStage, run_stage

    writable_folder(args.out)
    stage = PhotoStage(**{key.name: getattr(args, key.name) for key in dataclasses.fields(PhotoStage)
                          if key.name not in ("options", "mix_options")},
                       options=dict(args.option), mix_options=dict(args.mix_option))
    stage.noise_mix()  # a wrong share fails here, in one line, before the photos are read
    path = run_stage(stage, args.out, args.name, args.photos, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"saved {path}", file=sys.stderr)


def command_evaluate(args):
    from aecore.datasets import load_dataset
    from aecore.metrics import evaluate_model
    from aecore.noise import Noise
    from aecore.zoo import load_model

    noise = Noise.parse(args.noise)
    model = load_model(args.model_path)
    dataset = load_dataset(args.dataset)
    if model.example_shape != dataset.input_shape:
        raise ValueError(f"the model takes {model.example_shape} but {args.dataset} has {dataset.input_shape}")
    x_test = dataset.x_test[: args.limit]
    started = time.perf_counter()
    scores = evaluate_model(model, x_test, noise, seed=args.seed)
    report = {**scores["model"], "noise": str(noise) if noise else None, "seed": args.seed,
              "dataset": args.dataset, "data_source": dataset.source, "seconds": round(time.perf_counter() - started, 3)}
    if scores["noisy_input"]:
        report["noisy_input"] = scores["noisy_input"]
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.model_path.name} on {dataset.describe()}" + (f", noise {noise}" if noise else ""))
    print(f"{'metric':8} {'model':>10}" + (f" {'noisy input':>12}" if noise else ""))
    for metric in (name for name in ("mse", "bce", "psnr", "ssim") if name in scores["model"]):  # points: no SSIM
        line = f"{metric:8} {report[metric]:10.4f}"
        if noise:
            line += f" {scores['noisy_input'][metric]:12.4f}"
        print(line)


def folder_progress(report, stream=sys.stderr, width=30):
    filled = int(width * report.finished / max(1, report.total))
    rate = report.images_per_second
    eta = f"  eta {(report.total - report.finished) / rate:4.0f}s" if rate else ""
    failed = f"  {len(report.failures)} failed" if report.failures else ""
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {report.finished:,}/{report.total:,} "
                 f"{rate:7.1f} images/s{eta}{failed}\033[K")
    stream.flush()


def command_denoise_folder(args, model):
    from aecore.batch import denoise_folder
    from aecore.images import IMAGE_SUFFIXES

    report = None

    def progress(latest):
        nonlocal report
        report = latest
        folder_progress(latest)

    def above_the_bar(line):
        print(f"\r\033[K{line}", file=sys.stderr, flush=True)

    try:
        denoise_folder(model, args.input, args.output, noise=args.noise, seed=args.seed,
                       digit_style=not args.no_digit_prep, ensemble=args.best, overwrite=args.overwrite,
                       strength=args.strength, colour_strength=args.colour_strength, keep_gps=args.keep_gps,
                       workers=args.workers, on_progress=progress,
                       on_failure=lambda name, why: above_the_bar(f"failed: {name}: {why}"),
                       on_note=lambda name, note: above_the_bar(f"note: {name}: {note}"))
    except KeyboardInterrupt:
        if report is not None:
            print(file=sys.stderr)
            print(f"interrupted: {report.written:,} written this run, {report.skipped:,} done before; "
                  "run the same command again to go on", file=sys.stderr)
        raise
    print(file=sys.stderr)
    if not report.total and not report.skipped:
        raise FileNotFoundError(f"no image files in {args.input} (it reads {' '.join(IMAGE_SUFFIXES)})")
    line = (f"denoised {report.written:,} of {report.total:,} images into {args.output} in {report.seconds:.1f} s "
            f"({report.images_per_second:.1f} images/s); {len(report.failures):,} failed"
            f"{' (named above)' if report.failures else ''}; {report.skipped:,} skipped (done before)")
    if report.ignored:
        line += f"; {report.ignored:,} ignored (not image files)"
    print(line)
    return EXIT_FAILED if report.failures else 0


def denoise_model(name):
    """The model `denoise` was named: a .keras file, a shipped model's name, or "photo" (the colour photo model)."""
    from aecore.denoise import COLOUR_MODEL
    from aecore.zoo import load_model, pretrained_dir, shipped_model

    path = Path(name)
    if path.suffix == ".keras" or path.exists():
        return load_model(path)
    model = shipped_model(COLOUR_MODEL if name == "photo" else name)
    if model is None:
        raise FileNotFoundError(f"no model file {name} and no shipped model of that name in {pretrained_dir()}")
    return model


def denoise_paths(args):
    """(model name, input, output) from the 2 or 3 paths given; the model defaults to "photo"."""
    if len(args.paths) not in (2, 3):
        raise ValueError("denoise takes [MODEL] INPUT OUTPUT")
    model, *rest = args.paths if len(args.paths) == 3 else ["photo", *args.paths]
    return model, Path(rest[0]), Path(rest[1])


def command_denoise(args):
    from aecore.denoise import blend, denoise, is_photo_model, noise_in_words
    from aecore.images import ImageError, decode_file, read_metadata, to_jpeg, to_png
    from aecore.noise import Noise

    args.model_path, args.input, args.output = denoise_paths(args)
    for value in (args.strength, args.colour_strength):
        if value is not None and not 0 <= value <= 1:
            raise ValueError(f"a strength is between 0 and 1, got {value}")
    if not args.input.exists():
        raise FileNotFoundError(f"no input image or folder at {args.input}")
    model = denoise_model(args.model_path)
    if len(model.example_shape) != 3:
        raise ValueError(f"the model takes vectors of shape {model.example_shape}, not images")
    photo = is_photo_model(model)
    if photo and args.noise:
        raise ValueError("photo models take --sigma (0-255 scale), not --noise")
    if not photo and args.sigma is not None:
        raise ValueError("digit models take --noise KIND:LEVEL (for example gaussian:0.4), not --sigma")
    if photo:  # one description of the added noise from here on: a sigma of 25 is gaussian:0.098
        args.noise = Noise.from_sigma(args.sigma)
    if args.input.is_dir():
        return command_denoise_folder(args, model)
    data = args.input.read_bytes()
    item = decode_file(args.input.name, data, color=photo)
    if item.error:
        raise ImageError(item.error)
    if photo and item.note:
        print(f"note: {item.note}", file=sys.stderr)
    result = denoise(model, item.image, noise=args.noise, seed=args.seed,
                     digit_style=not args.no_digit_prep, ensemble=args.best,
                     on_progress=lambda done: print(f"\rdenoising {done:4.0%}", end="", file=sys.stderr) if photo else None)
    output = result.output
    metadata = None
    if photo:
        output = blend(result.noisy, result.output, args.strength, args.colour_strength)
        metadata = read_metadata(data, keep_gps=args.keep_gps)
    as_jpeg = args.output.suffix.lower() in (".jpg", ".jpeg")
    args.output.write_bytes(to_jpeg(output, metadata) if as_jpeg else to_png(output, metadata))
    if photo:
        print(file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    height, width = result.output.shape[:2]
    line = f"wrote {args.output}: {width} x {height}, {result.seconds:.2f} s"
    if photo:
        luminance, colour = result.removed
        line += (f"; noise removed: {noise_in_words(max(luminance, colour))}, luminance sigma {luminance:.1f}"
                 f" and colour sigma {colour:.1f} of 255")
    else:
        line += f", estimated input noise sigma {result.estimated_sigma:.1f}/255"
    if args.sigma or args.noise or not photo:
        scores = result.scores()
        line += f"; psnr {scores['psnr']:.2f} dB (noisy {scores['noisy_psnr']:.2f}), ssim {scores['ssim']:.3f}"
        line += " against the prepared input" if not photo else " against the clean input"
    print(line)


COMMANDS = {"models": command_models, "train": command_train, "train-photo": command_train_photo,
            "evaluate": command_evaluate, "denoise": command_denoise}


def main(argv=None):
    from aecore import import_tensorflow_quietly

    args = make_parser().parse_args(argv)  # before TensorFlow loads: a mistyped option is told at once
    import_tensorflow_quietly()  # no CUDA and oneDNN start-up lines on a CPU machine's terminal
    from aecore.datasets import DatasetUnavailable

    try:
        status = COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, DatasetUnavailable, OSError) as error:
        print(f"python -m aecore {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status or 0
