"""Training on several GPUs or machines with `tf.distribute`: strategies by name, per-worker input, the chief.

`mirrored` copies the model onto every GPU of one machine; `multi-worker` onto every worker that the
standard `TF_CONFIG` environment variable lists, each machine running the same command. Either way
the global batch (`TrainConfig.batch_size`) is split across the replicas, each worker reads only its
own shard of the training images and draws its noise from its own seed (made from the run's seed
and the worker's number, so a run repeats), and only the chief writes files.
"""

import json
import os

import numpy as np
import tensorflow as tf

from aecore.noise import corrupt

from aecore.cli import STRATEGIES  # the command line offers them without importing TensorFlow


def make_strategy(name):
    """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`); `None` for "default", one device.

    Make a `multi-worker` strategy first thing in a program, before TensorFlow runs any operation.
    """
    if name in (None, "default"):
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name != "multi-worker":
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        raise ValueError("the multi-worker strategy needs the TF_CONFIG environment variable: the cluster and "
                         "this worker's place in it (see README, 'Training on several machines')")
    check_tf_config(text)
    return fit_ready(tf.distribute.MultiWorkerMirroredStrategy())


TF_CONFIG_SHAPE = ('TF_CONFIG must be JSON like {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                   '"task": {"type": "worker", "index": 0}}')


def check_tf_config(text):
    """The cluster `TF_CONFIG` describes, as a dict; `ValueError` in one line for anything TensorFlow would trip on.

    Each role lists "host:port" strings, and the task names a listed role and a place in its list.
    """
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        role, index = task["type"], task["index"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(TF_CONFIG_SHAPE) from None
    if not isinstance(cluster, dict) or not all(
            isinstance(hosts, list) and all(isinstance(host, str) and ":" in host for host in hosts)
            for hosts in cluster.values()):
        raise ValueError(TF_CONFIG_SHAPE + ': each role of "cluster" a list of "host:port" strings')
    if not cluster.get("worker"):
        raise ValueError("TF_CONFIG lists no workers")
    if role not in cluster:
        roles = ", ".join(map(str, cluster))
        raise ValueError(f"TF_CONFIG's task type {role!r} is not a role of its cluster ({roles})")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[role]):
        raise ValueError(f"TF_CONFIG's task index {index!r} is not a place in its {len(cluster[role])} {role} "
                         f"addresses (0 to {len(cluster[role]) - 1})")
    return cluster


def fit_ready(strategy):
    """`strategy`, made to take what Keras 3's `fit` asks of it (done once; other strategies left as they are).

    With MultiWorkerMirroredStrategy, `fit` (Keras 3.15) calls `strategy.reduce` in two ways it
    cannot take (keras-team/keras#20585): a whole (input, target) batch at once, to learn the shapes
    before training, and each step's scalar losses with `axis=0`. This strategy's `reduce` takes a
    structure part by part and averages a scalar across replicas without an axis.
    """
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and not hasattr(strategy, "reduce_one"):
        strategy.reduce_one = strategy.reduce

        def reduce_parts(reduce_op, value, axis=None):
            def reduce_part(part):
                rank = strategy.experimental_local_results(part)[0].shape.rank
                return strategy.reduce_one(reduce_op, part, axis=axis if rank else None)

            return tf.nest.map_structure(reduce_part, value)

        strategy.reduce = reduce_parts
    return strategy


def worker_count(strategy):
    """How many machines (chief and workers) train together under `strategy`: 1 without a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if not getattr(resolver, "task_type", None):
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def is_chief(strategy):
    """Whether this process writes the run's files: always without a cluster, else the chief (or worker 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if not task_type:
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "chief" or (task_type == "worker" and resolver.task_id == 0 and not has_chief)


def worker_seed(seed, worker):
    """The seed of worker number `worker` in a run seeded `seed`: a different stream for each, repeatable."""
    return int(np.random.SeedSequence([seed, worker]).generate_state(1, np.uint32)[0])


def steps_per_epoch(examples, config, workers, replicas):
    """Global steps in one epoch: each worker's equal shard in whole per-replica batches."""
    if config.batch_size % replicas:
        raise ValueError(f"the global batch of {config.batch_size} does not split evenly across {replicas} replicas")
    steps = examples // workers * workers // config.batch_size
    if steps < 1:
        raise ValueError(f"{examples} training examples are fewer than one global batch of {config.batch_size}")
    return steps


def worker_batches(x, config, context):
    """One worker's pipeline of (noisy, clean) per-replica batches, for `distribute_datasets_from_function`.

    The worker takes every `num_input_pipelines`-th example from its number on, as many as every
    worker gets (so all run the same number of steps and none waits on the others at the end), and
    shuffles and corrupts them with its own seed. Batches are whole: a replica's share of the global
    batch.
    """
    workers, worker = context.num_input_pipelines, context.input_pipeline_id
    replicas_here = context.num_replicas_in_sync // workers
    per_replica = context.get_per_replica_batch_size(config.batch_size)
    steps = steps_per_epoch(len(x), config, workers, context.num_replicas_in_sync)
    shard = tf.convert_to_tensor(x[worker::workers][: steps * per_replica * replicas_here])
    seed = worker_seed(config.seed, worker)
    order = tf.data.Dataset.range(len(shard)).shuffle(len(shard), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def pair(indices, noise_seed):
        batch = tf.gather(shard, indices)
        return corrupt(batch, config.noise, noise_seed), batch

    batches = tf.data.Dataset.zip(order.batch(per_replica, drop_remainder=True), seeds)
    return batches.map(pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def distributed_batches(x, config, strategy):
    """`(distributed dataset, global steps per epoch)` of noisy training batches under `strategy`."""
    steps = steps_per_epoch(len(x), config, worker_count(strategy), strategy.num_replicas_in_sync)
    dataset = strategy.distribute_datasets_from_function(lambda context: worker_batches(x, config, context))
    return dataset, steps


def validation_batches(x_noisy, x_clean, batch_size):
    """Validation pairs that every worker scores a share of (the strategy splits them by example)."""
    dataset = tf.data.Dataset.from_tensor_slices((x_noisy, x_clean)).batch(batch_size)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def local_copy(model):
    """A copy of `model` with its weights, outside any strategy: for the chief to score and save alone.

    Under MultiWorkerMirroredStrategy even `predict` is a collective operation that every worker
    would have to join; the copy runs on this machine only.
    """
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy
