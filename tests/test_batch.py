"""Folder runs: a broken file in the middle, an interrupted run resumed, names, photos, the command line."""

import numpy as np
import pytest

from aecore.batch import denoise_folder, plan
from aecore.denoise import denoise
from aecore.images import load_image, to_png
from aecore.noise import Noise
from tests.test_cli import run


@pytest.fixture(scope="module")
def digit_model_path(pretrained_dir):
    return pretrained_dir / "a_conv_gaussian.keras"  # briefly trained, shared with the app tests


@pytest.fixture(scope="module")
def digit_model(digit_model_path):
    from aecore.zoo import load_model

    return load_model(digit_model_path)


def write_digits(folder, mnist, count, start=0):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        (folder / f"{index:03d}.png").write_bytes(to_png(1 - mnist.x_test[index, ..., 0]))  # dark on light


def test_a_broken_file_in_the_middle_is_named_and_the_rest_go_through(digit_model, mnist, tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    write_digits(source, mnist, 6)
    (source / "003.png").write_bytes(to_png(mnist.x_test[3, ..., 0])[:60])  # truncated
    (source / "004.png").write_bytes(to_png(np.ones((28, 28))))  # blank paper: no digit to find
    write_digits(source / "more", mnist, 2, start=10)
    (source / "notes.txt").write_text("not an image")
    named = []
    report = denoise_folder(digit_model, source, target, noise="gaussian:0.3", seed=4, batch_size=3,
                            on_failure=lambda name, why: named.append(name))
    assert [name for name, _ in report.failures] == named == ["003.png", "004.png"]
    assert "damaged or truncated" in report.failures[0][1] and "no ink" in report.failures[1][1]
    assert report.total == 8 and report.written == 6 and report.ignored == 1
    written = sorted(path.relative_to(target).as_posix() for path in target.rglob("*"))
    assert written == ["000.png", "001.png", "002.png", "005.png", "more", "more/010.png", "more/011.png"]
    for name in ("001.png", "more/011.png"):  # what one `denoise` call on the file gives
        alone = denoise(digit_model, load_image((source / name).read_bytes()), noise="gaussian:0.3", seed=4)
        np.testing.assert_allclose(load_image((target / name).read_bytes()), alone.output[..., 0], atol=1.5 / 255)


def test_an_interrupted_run_resumes_without_redoing_what_it_wrote(digit_model, mnist, tmp_path, monkeypatch):
    import aecore.batch

    source, target = tmp_path / "in", tmp_path / "out"
    write_digits(source, mnist, 30)
    calls, write_png = [], aecore.batch.write_png

    def interrupted_at_the_sixth_write(path, image, metadata=None):
        calls.append(path.name)
        if len(calls) == 6:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the run
        write_png(path, image, metadata)

    monkeypatch.setattr(aecore.batch, "write_png", interrupted_at_the_sixth_write)
    with pytest.raises(KeyboardInterrupt):
        denoise_folder(digit_model, source, target, batch_size=4, workers=2)
    monkeypatch.undo()
    done_first = {path.name: path.stat().st_mtime_ns for path in target.glob("*.png")}
    assert 5 <= len(done_first) < 30 and calls[5] not in done_first
    (target / f".{calls[5]}.partial").write_bytes(b"half")  # what a killed process may leave

    second = denoise_folder(digit_model, source, target, batch_size=4)
    assert second.skipped == len(done_first) and second.written == 30 - len(done_first) == second.total
    kept = {path.name: path.stat().st_mtime_ns for path in target.glob("*.png") if path.name in done_first}
    assert kept == done_first  # not written again
    assert len(list(target.glob("*.png"))) == 30 and not list(target.glob(".*"))  # the half-written file replaced


def test_plan_names_outputs_without_clashes_and_leaves_its_own_output_out(tmp_path):
    for name in ("a.jpg", "a.png", "b.tif", ".hidden.png", "out/old.png", "sub/c.webp"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "out" / "b.png").write_bytes(b"done")
    tasks, report = plan(tmp_path, tmp_path / "out")
    assert [(task.name, task.target.relative_to(tmp_path / "out").as_posix()) for task in tasks] == [
        ("a.jpg", "a.png"), ("a.png", "a.png.png"), ("sub/c.webp", "sub/c.png")]
    assert report.skipped == 1 and report.total == 3
    assert len(plan(tmp_path, tmp_path / "out", overwrite=True)[0]) == 4
    with pytest.raises(ValueError, match="must not be the input folder"):
        plan(tmp_path, tmp_path)
    with pytest.raises(ValueError, match="is a file"):
        plan(tmp_path, tmp_path / "a.png")


def test_photo_models_write_each_photo_at_full_size_in_colour(pretrained_dir, tmp_path):
    from aecore.zoo import load_model

    model = load_model(pretrained_dir / "d_photo_color.keras")
    source = tmp_path / "in"
    source.mkdir()
    y, x = np.mgrid[0:40, 0:70] / 20.0
    photo = np.stack([0.5 + 0.3 * np.sin(x * (c + 1) + y) for c in range(3)], -1)
    (source / "wide.png").write_bytes(to_png(photo))
    (source / "tall.png").write_bytes(to_png(photo.transpose(1, 0, 2)))
    report = denoise_folder(model, source, tmp_path / "out", noise=Noise.from_sigma(20), seed=1)
    assert report.written == 2 and not report.failures
    output = load_image((tmp_path / "out" / "tall.png").read_bytes(), color=True)
    assert output.shape == (70, 40, 3)
    alone = denoise(model, load_image((source / "tall.png").read_bytes(), color=True), noise=Noise.from_sigma(20), seed=1)
    np.testing.assert_allclose(output, alone.output, atol=1.5 / 255)


def test_the_command_skips_what_is_done_names_failures_and_exits_1(digit_model_path, mnist, tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    write_digits(source, mnist, 5)
    (source / "002.png").write_bytes(b"not a png")
    target.mkdir()
    (target / "000.png").write_bytes(b"kept")  # done by an earlier run
    completed = run("denoise", str(digit_model_path), str(source), str(target), "--noise", "gaussian:0.2")
    assert completed.returncode == 1, completed.stderr
    assert "failed: 002.png: not an image" in completed.stderr and "Traceback" not in completed.stderr
    assert "images/s" in completed.stderr
    assert "denoised 3 of 4 images" in completed.stdout and "1 failed" in completed.stdout
    assert "1 skipped" in completed.stdout
    assert (target / "000.png").read_bytes() == b"kept" and len(list(target.glob("*.png"))) == 4

