#!/usr/bin/env bash
# One stage of photo_color on a lent GPU machine, which has JAX and PyTorch but no TensorFlow: Keras runs
# on JAX there (on PyTorch if JAX fails to start), and the .keras file it saves loads under TensorFlow.
# Needs, in the repository root: .whl/ (wheels of keras, optree and namex for that machine's Python),
# .photos/ (the training photos laid out as under /usr/share) and pretrained/photo_color.keras.
# Writes photo_color.keras, photo_color.json and the log to $OUT. The stage's length is MINUTES (7).
set -u
out=${OUT:-/tmp/gpu_stage}
minutes=${MINUTES:-7}
rate=${RATE:-3e-4}
seed=${SEED:-21}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
cp -r .photos/backgrounds .photos/wallpapers /usr/share/
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
workers=$(( $(nproc) - 1 ))
echo "$(nproc) cores, $workers patch workers"
stage() {  # $1: Keras backend, $2: whole minutes
    KERAS_BACKEND=$1 timeout $(( $2 * 60 + 120 )) python3 -m aecore train-photo --out "$out" --name photo_color \
        --precision mixed_bfloat16 --steps 1500 --batch-size 32 --patch-size 128 --channels 3 --epochs 1000 \
        --minutes "$2" --learning-rate "$rate" --equalize-sigmas --scales 0.15 1.0 --mix camera --seed "$seed" \
        --workers "$workers" --init pretrained/photo_color.keras 2>&1 | grep -v "os.fork" | tee -a "$out/log"
}
started=$(date +%s)
stage jax "$minutes"
if [ ! -f "$out/photo_color.keras" ]; then
    left=$(( minutes - ($(date +%s) - started) / 60 - 1 ))
    [ "$left" -ge 2 ] && stage torch "$left"
fi
ls -la "$out"
