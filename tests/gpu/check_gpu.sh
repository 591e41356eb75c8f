#!/usr/bin/env bash
# One short GPU check (well under 10 minutes) for any machine with an NVIDIA GPU:
#   tests/gpu/check_gpu.sh [--data DIR] [--sentences 1000] [--test 1000]
# Trains the bundled encoder on 1000 CoNLL-2003 sentences on cuda and on cpu (sentences/s and
# F1 each), runs the int8 and fp32 ONNX predictor with onnxruntime's CUDA provider against the
# CPU (F1 parity, sentences/s) and prints one summary table. Where no GPU is present it prints
# why and exits 0. CoNLL-2003 is read from $CONLL_DIR or ../shared/data/conll2003.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "check_gpu: skipped: no NVIDIA GPU on this machine (nvidia-smi finds none)"
    exit 0
fi
if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "check_gpu: skipped: torch sees no CUDA device (a CPU build of torch? see README: CPU or GPU)"
    exit 0
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec timeout 570 "$PY" tests/gpu/gpu_check.py "$@"
