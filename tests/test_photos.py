"""Photo folders, reading photos, and the noisy patch sampler; the train-photo command resumes stages."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from aecore.photos import NoPhotos, PatchSampler, find_photos, gaussian_noise, read_photo


def synthetic_photo(path, width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    channels = [np.sin(6 * x * rng.random() + 4 * y * rng.random() + c) * 0.4 + 0.5 for c in range(3)]
    Image.fromarray((np.stack(channels, -1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture()
def photo_dir(tmp_path):
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    for index in range(12):
        synthetic_photo(folder / ("nested" if index % 2 else "") / f"p{index:02d}.png", 96 + 8 * index, 80, index)
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_a_folder_of_ones_own_is_used_whole_with_every_tenth_file_held_out(photo_dir):
    training, validation = find_photos([photo_dir]), find_photos([photo_dir], validation=True)
    assert len(training) == 11 and len(validation) == 1
    assert not set(training) & set(validation)
    assert all(path.suffix == ".png" for path in training)


def test_no_photos_says_where_it_looked_and_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_PHOTO_DIR", str(tmp_path))
    with pytest.raises(NoPhotos, match="mate-backgrounds"):
        find_photos()


def test_read_photo_shrinks_to_the_longest_side_in_gray_or_colour(photo_dir):
    path = photo_dir / "p10.png"
    assert read_photo(path, 3).shape == (80, 176, 3)
    small = read_photo(path, 1, max_side=88)
    assert small.shape == (40, 88, 1) and small.dtype == np.uint8


def test_patches_are_fresh_noisy_copies_of_clean_photo_pieces(photo_dir):
    photos = [read_photo(path, 3) for path in find_photos([photo_dir])]
    sampler = PatchSampler(photos, patch_size=24, batch_size=64, batches=3, clip_fraction=0.0, seed=1)
    noisy, clean = sampler[0]
    assert noisy.shape == clean.shape == (64, 24, 24, 3) and noisy.dtype == clean.dtype == np.float32
    assert 0 <= clean.min() and clean.max() <= 1
    sigmas = (noisy - clean).reshape(64, -1).std(axis=1) * 255
    assert sigmas.max() < 58 and sigmas.min() < 10 and np.ptp(sigmas) > 30  # levels spread over [0, 55]
    assert (noisy < 0).any() or (noisy > 1).any()  # unclipped
    again, _ = sampler[0]
    assert not np.array_equal(again, noisy)  # fresh noise every batch


def test_clipped_patches_are_8_bit_like_a_real_upload():
    rng = np.random.default_rng(0)
    clean = np.full((4, 8, 8, 1), 0.98, np.float32)
    noisy = gaussian_noise(clean, np.full(4, 0.2, np.float32), rng, np.array([True, True, False, False]))
    assert noisy[:2].max() <= 1 and np.allclose(noisy[:2] * 255, np.round(noisy[:2] * 255), atol=1e-4)
    assert noisy[2:].max() > 1


@pytest.mark.slow
def test_train_photo_saves_every_epoch_and_resumes_with_init(photo_dir, tmp_path, capsys):
    from aecore.cli import main

    out = tmp_path / "out"
    common = ["train-photo", "--photos", str(photo_dir), "--steps", "2", "--batch-size", "4", "--patch-size", "16",
              "--out", str(out), "--option", "widths=[8,16,16]"]
    assert main([*common, "--channels", "3", "--epochs", "2"]) == 0
    card = json.loads((out / "photo_color.json").read_text())
    assert card["architecture"] == "photo" and card["channels"] == 3 and card["epochs"] == 2
    assert card["patches_seen"] == 16 and len(card["validation"]) == 2
    assert set(card["test_metrics"]["model"]) == {"psnr_sigma15", "psnr_sigma25", "psnr_sigma50", "psnr_camera_jpeg"}
    assert len(card["training_photos"]) == 11

    resume = [arg for arg in common if arg not in ("--option", "widths=[8,16,16]")]
    assert main([*resume, "--channels", "3", "--epochs", "1", "--mix", "camera", "--init",
                 str(out / "photo_color.keras")]) == 0
    card = json.loads((out / "photo_color.json").read_text())
    assert card["epochs"] == 3 and card["patches_seen"] == 24 and len(card["stages"]) == 2
    assert card["stages"][1]["init"] == "photo_color.keras" and card["options"]["widths"] == [8, 16, 16]
    assert "mix" not in card["stages"][0] and card["stages"][1]["mix"]["camera"] > 0  # the card records the mix
    assert "camera noise" in card["noise"]

    grow = ["--option", "widths=[12,16,16]", "--option", "blocks=2"]
    assert main([*resume, "--channels", "3", "--epochs", "1", *grow, "--init", str(out / "photo_color.keras")]) == 0
    card = json.loads((out / "photo_color.json").read_text())
    assert card["options"]["widths"] == [12, 16, 16] and card["options"]["blocks"] == 2 and card["epochs"] == 4
    assert card["stages"][2]["grown"] == {"widths": [12, 16, 16], "blocks": 2}

    assert main([*resume, "--channels", "1", "--epochs", "1", "--init", str(out / "photo_color.keras")]) == 2
    assert "not a 1-channel photo model" in capsys.readouterr().err


def test_a_colour_model_grown_from_a_gray_one_denoises_a_gray_picture_alike():
    from aecore.architectures import build
    from aecore.photo_training import gray_to_colour

    gray = build("photo", input_shape=(None, None, 1), widths=[8, 16], bottleneck_blocks=1)
    colour = gray_to_colour(gray)
    assert colour.example_shape == (None, None, 3) and colour.widths == gray.widths
    picture = np.random.default_rng(0).random((1, 16, 24, 1), dtype=np.float32)
    np.testing.assert_allclose(colour.reconstruct(np.repeat(picture, 3, axis=-1)),
                               np.repeat(gray.reconstruct(picture), 3, axis=-1), atol=1e-5)


def test_detail_bias_picks_more_textured_patches(photo_dir):
    photos = [read_photo(path, 1) for path in find_photos([photo_dir])]
    flat = np.zeros((200, 200, 1), np.uint8)  # half the photos flat, as wallpapers' skies are
    photos += [flat] * len(photos)

    def mean_gradient(bias):
        _, clean = PatchSampler(photos, patch_size=16, batch_size=256, detail_bias=bias, seed=2)[0]
        return np.abs(np.diff(clean, axis=1)).mean()

    assert mean_gradient(1.0) > 1.4 * mean_gradient(0.0)


def test_equalized_sigmas_weigh_low_noise_patches_more(photo_dir):
    photos = [read_photo(path, 3) for path in find_photos([photo_dir])]
    plain = PatchSampler(photos, patch_size=16, batch_size=64, seed=3)[0]
    noisy, clean, weights = PatchSampler(photos, patch_size=16, batch_size=64, equalize_sigmas=True, seed=3)[0]
    weights = weights.ravel()
    assert len(plain) == 2 and weights.shape == (64,) and np.isclose(weights.mean(), 1, atol=1e-5)
    noise = (noisy - clean).reshape(64, -1).std(axis=1)
    assert np.corrcoef(noise, weights)[0, 1] < -0.8  # the noisier the patch, the less it weighs


def test_jpeg_patches_carry_their_colour_noise_in_two_by_two_blocks(photo_dir):
    photos = [read_photo(path, 3) for path in find_photos([photo_dir])]
    kwargs = dict(patch_size=32, batch_size=8, max_sigma=40, clip_fraction=0.0, seed=5)
    white, clean = PatchSampler(photos, **kwargs)[0]
    jpeg, same_clean = PatchSampler(photos, jpeg_fraction=1.0, **kwargs)[0]
    np.testing.assert_array_equal(clean, same_clean)
    assert np.array_equal(jpeg * 255, np.round(jpeg * 255))  # 8-bit, as read back from a file

    def chroma_blockiness(noisy):  # Cb-like noise: how alike the two columns of each 2 x 2 block are
        chroma = (noisy - clean)[..., 2] - (noisy - clean)[..., 1]
        left, right = chroma[:, :, 0::2], chroma[:, :, 1::2]
        return np.corrcoef(left.ravel(), right.ravel())[0, 1]

    assert chroma_blockiness(white) < 0.1 and chroma_blockiness(jpeg) > 0.5


def test_a_grown_model_computes_the_same_and_then_learns_with_its_new_weights():
    from aecore.architectures import build
    from aecore.photo_training import grow

    small = build("photo", input_shape=(None, None, 3), widths=[8, 16], bottleneck_blocks=1)
    big = grow(small, widths=[12, 24], blocks=2)
    assert big.widths == (12, 24) and big.blocks == 2 and big.count_params() > small.count_params()
    picture = np.random.default_rng(0).random((2, 16, 24, 3), dtype=np.float32)
    np.testing.assert_allclose(big.reconstruct(picture), small.reconstruct(picture), atol=1e-5)

    silent = big.encoder.get_layer("encoder_0_1_conv_b")  # a new block: its second conv starts at zero
    assert not np.any(silent.get_weights()[0])
    big.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    big.fit(picture, picture * 0.5, epochs=1, verbose=0)
    assert np.any(silent.get_weights()[0])
    assert np.any(big.decoder.get_layer("noise").get_weights()[0][:, :, 8:, :])  # new channels now reach the output

    with pytest.raises(ValueError, match="shrinks nothing"):
        grow(small, widths=[4, 16])


def test_each_forked_patch_worker_draws_its_own_stream(photo_dir, monkeypatch):
    """With use_multiprocessing, Keras forks workers that each hold a copy of the sampler: without a
    stream of its own per process, every worker would yield the same batches."""
    import aecore.photos

    photos = [read_photo(path, 3) for path in find_photos([photo_dir])]

    def batch_in_process(pid):
        sampler = PatchSampler(photos, patch_size=16, batch_size=4, seed=5)
        monkeypatch.setattr(aecore.photos.os, "getpid", lambda: pid)
        try:
            return sampler[0][0]
        finally:
            monkeypatch.undo()

    parent = PatchSampler(photos, patch_size=16, batch_size=4, seed=5)[0][0]
    first, second, first_again = batch_in_process(101), batch_in_process(102), batch_in_process(101)
    assert not np.array_equal(first, second) and not np.array_equal(first, parent)
    np.testing.assert_array_equal(first, first_again)  # seeded by (seed, process id)


def test_a_stage_given_minutes_starts_at_a_tenth_and_anneals_by_the_clock():
    from aecore.photo_training import ClockSchedule

    schedule = ClockSchedule(1e-3, seconds=100)
    assert schedule.rate(0, 0) == pytest.approx(1e-4)  # Adam's fresh moments settle first
    assert schedule.rate(1, 0) == pytest.approx(1e-3)
    assert schedule.rate(5, 50) == pytest.approx(5.5e-4)
    assert schedule.rate(9, 100) == schedule.rate(9, 400) == pytest.approx(1e-4)


@pytest.mark.slow
def test_a_stage_given_minutes_stops_when_the_next_epoch_would_not_fit(photo_dir):
    from aecore.architectures import build
    from aecore.photo_training import train_photo_denoiser

    photos = [read_photo(path, 3) for path in find_photos([photo_dir])]
    model = build("photo", input_shape=(None, None, 3), widths=[8, 16], bottleneck_blocks=1)
    sampler = PatchSampler(photos, patch_size=16, batch_size=4, batches=3, seed=6)
    history = train_photo_denoiser(model, sampler, epochs=50, learning_rate=1e-3, minutes=0.05, log=lambda line: None)
    assert 1 <= len(history) < 50  # three seconds: the first epoch (with its compilation) is most of them
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) < 1e-3


def test_a_stage_records_its_settings_as_the_card_lists_them():
    from aecore.photo_training import RECORDED, PhotoStage

    plain = PhotoStage(channels=3, scales=(0.15, 1.0)).record()
    assert list(plain) == list(RECORDED) and plain["scales"] == [0.15, 1.0] and "mix" not in plain
    camera = PhotoStage(mix="camera", init="photo_color.keras", options={"blocks": 3}).record()
    assert camera["mix"]["camera"] > 0 and camera["grown"] == {"blocks": 3}
    assert "grown" not in PhotoStage(options={"blocks": 3}).record()  # a new model is built with them, not grown
    jpeg = PhotoStage(mix="camera", mix_options={"jpeg": 0.6, "jpeg_quality": [60, 95]}).record()
    assert jpeg["mix"]["jpeg"] == 0.6 and jpeg["mix"]["jpeg_quality"] == [60, 95] and jpeg["mix"]["camera"] > 0
    with pytest.raises(ValueError, match="give --mix camera too"):
        PhotoStage(mix_options={"jpeg": 0.6}).record()
