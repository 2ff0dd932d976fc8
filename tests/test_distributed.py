"""tf.distribute: per-worker shards and seeds, strategies by name, and two real workers on 127.0.0.1."""

import json
import re
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from aecore.architectures import build
from aecore.distributed import check_tf_config, make_strategy, steps_per_epoch, worker_batches, worker_seed
from aecore.training import TrainConfig, train
from tests.test_cli import ROOT

TWO_WORKER_RUN = dict(limit=1024, epochs=2, batch_size=64, seed=3, noise="gaussian:0.3")


def test_each_worker_gets_its_own_equal_shard_and_its_own_repeatable_noise():
    x = np.random.default_rng(0).random((203, 4, 4, 1)).astype(np.float32)
    config = TrainConfig(batch_size=20, noise="gaussian:0.2", seed=7)

    def batches(worker, workers=2, replicas=4):
        context = tf.distribute.InputContext(workers, worker, replicas)
        return [(noisy.numpy(), clean.numpy()) for noisy, clean in worker_batches(x, config, context)]

    first, second = batches(0), batches(1)
    assert len(first) == len(second) == 10 * 2  # 10 global steps of 20: 2 replicas per worker, 5 images each
    assert all(clean.shape == (5, 4, 4, 1) for _, clean in first + second)
    rows = lambda run: {clean.tobytes() for _, batch in run for clean in batch}  # noqa: E731
    assert rows(first) <= {row.tobytes() for row in x[0::2]} and rows(second) <= {row.tobytes() for row in x[1::2]}
    assert len(rows(first)) == len(rows(second)) == 100  # no example twice in an epoch
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, batches(0)))  # the same run repeats
    assert worker_seed(7, 0) != worker_seed(7, 1) == worker_seed(7, 1)
    with pytest.raises(ValueError, match="does not split evenly across 3 replicas"):
        steps_per_epoch(203, config, 1, 3)
    with pytest.raises(ValueError, match="fewer than one global batch"):
        steps_per_epoch(15, config, 2, 2)


def test_strategies_by_name(mnist_small, monkeypatch):
    assert make_strategy("default") is None
    result = train("dense", mnist_small, TrainConfig(epochs=1, batch_size=64), strategy="mirrored")
    assert isinstance(result.model.distribute_strategy, tf.distribute.MirroredStrategy)
    assert result.history["loss"][0] > 0
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG"):
        make_strategy("multi-worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        make_strategy("multi-worker")


@pytest.mark.parametrize("config, message", [
    ({"cluster": {"worker": "127.0.0.1:23456"}, "task": {"type": "worker", "index": 0}}, "host:port"),
    ({"cluster": ["127.0.0.1:23456"], "task": {"type": "worker", "index": 0}}, "host:port"),
    ({"cluster": {"worker": [1234]}, "task": {"type": "worker", "index": 0}}, "host:port"),
    ({"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}, "lists no workers"),
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, "not a role"),
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": -1}}, "task index -1"),
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}, "0 to 0"),
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": "0"}}, "task index '0'"),
    ({"cluster": {"worker": ["a:1"]}}, "must be JSON like"),
])
def test_a_malformed_tf_config_is_refused_in_one_line(config, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_tf_config(json.dumps(config))
    assert check_tf_config(json.dumps({"cluster": {"chief": ["a:1"], "worker": ["b:2", "c:3"]},
                                       "task": {"type": "worker", "index": 1}})) == \
        {"chief": ["a:1"], "worker": ["b:2", "c:3"]}


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


def test_two_workers_train_like_one_process_and_only_the_chief_writes(mnist, tmp_path):
    from aecore.metrics import evaluate_model
    from aecore.zoo import load_model

    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    run = TWO_WORKER_RUN
    command = [sys.executable, "-m", "aecore", "train", "--model", "dense", "--dataset", "mnist", "--strategy",
               "multi-worker", "--limit", str(run["limit"]), "--epochs", str(run["epochs"]), "--batch-size",
               str(run["batch_size"]), "--seed", str(run["seed"]), "--noise", run["noise"], "--name", "two"]
    processes, logs = [], []
    for index in range(2):
        environment = {**os.environ, "AECORE_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "",
                       "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        environment.pop("AECORE_DATA_DIR", None)
        logs.append(open(tmp_path / f"worker{index}.log", "w+"))
        processes.append(subprocess.Popen([*command, "--out", str(tmp_path / f"out{index}")], cwd=ROOT,
                                          env=environment, stdout=logs[-1], stderr=subprocess.STDOUT))
    try:
        for process in processes:
            process.wait(timeout=300)
    finally:  # a worker left waiting for the other never outlives the test
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    texts = [(log.seek(0), log.read())[1] for log in logs]
    for log in logs:
        log.close()
    assert [process.returncode for process in processes] == [0, 0], texts
    assert "Traceback" not in texts[1] and "the chief writes the model" in texts[1]
    assert not (tmp_path / "out1").exists()  # the other worker wrote nothing where people look
    card = json.loads((tmp_path / "out0" / "two.json").read_text())
    assert card["workers"] == 2 and card["replicas"] == 2 and card["epochs"] == 2

    config = TrainConfig(epochs=run["epochs"], batch_size=run["batch_size"], noise=run["noise"], seed=run["seed"])
    alone = train("dense", mnist.subset(train=run["limit"]), config).model
    test = mnist.x_test[:500]
    both = evaluate_model(load_model(tmp_path / "out0" / "two.keras"), test, config.noise, seed=0)["model"]
    single = evaluate_model(alone, test, config.noise, seed=0)["model"]
    assert both["bce"] == pytest.approx(single["bce"], rel=0.1), (both, single)
    untrained = evaluate_model(build("dense"), test, config.noise, seed=0)["model"]
    assert single["bce"] < 0.8 * untrained["bce"]  # it learned something
