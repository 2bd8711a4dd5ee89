#!/usr/bin/env bash
# One-shot GPU verification of mlc's GPU backend (issue 14), for a machine with an
# NVIDIA GPU and driver but no network. Budget: under 8 minutes (the step timeouts below sum to
# 460 s; test_gpu_runtime.py checks that and the script's syntax).
#
#   On a machine with network, once:   bench/gpu_check.sh --download wheels/
#       (pip downloads every wheel needed for Linux x86-64 / this Python into wheels/)
#   Carry the repository and wheels/ to the GPU machine, then:
#                                       bench/gpu_check.sh wheels/
#
# Steps (each bounded by `timeout`; the log goes to gpu_check.log):
#   1. a fresh venv (.venv-gpu) from the wheels only (--no-index): mlc + test extra,
#      cuda-bindings (the driver layer; pycuda would need a source build), the CUDA 12
#      cuBLAS and nvcc wheels (cuBLAS, ptxas, libdevice), CuPy, JAX with CUDA 12;
#   2. nvidia-smi, the device mlc sees, ptxas from the wheel;
#   3. the GPU tests: test_gpu_runtime.py (real driver: GPU vs CPU, cuBLAS, training
#      step with shared variables on the device, vector loads, ifelse, host ops) and
#      test_gpu_codegen.py (ptxas, emulation);
#   4. bench/run.py W1-W7 (with the W5/W6 training steps) with --device cuda against
#      JAX on the GPU and CuPy, numpy on the CPU as the ratio base; JSON in bench/gpu_results.json.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEEL_REQS=(-e '.[test]' cuda-bindings==12.9.* nvidia-cublas-cu12 nvidia-cuda-nvcc-cu12
            nvidia-cuda-runtime-cu12 cupy-cuda12x 'jax[cuda12]' setuptools wheel)

if [[ "${1:-}" == "--download" ]]; then
    dest=${2:?usage: bench/gpu_check.sh --download DIR}
    mkdir -p "$dest"
    $PY -m pip download -d "$dest" --only-binary=:all: --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 \
        --python-version "$($PY -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')" \
        "${WHEEL_REQS[@]:2}" xdsl==0.74.0 llvmlite==0.50.0 'numpy>=2,<3' scipy pytest hypothesis lit filecheck
    exit $?
fi

WHEELS=${1:-${MLC_WHEELS:-wheels}}
LOG=gpu_check.log
: > "$LOG"
say() { echo "== $*" | tee -a "$LOG"; }
run() { local t=$1; shift; say "$*"; timeout "$t" "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }
t0=$(date +%s)
status=0

say "1. install from $WHEELS (no network)"
[[ -d .venv-gpu ]] || $PY -m venv .venv-gpu
V=.venv-gpu/bin
run 120 $V/pip install -q --no-index --find-links "$WHEELS" "${WHEEL_REQS[@]}" || status=1
export MLC_GPU_DRIVER=${MLC_GPU_DRIVER:-cuda-bindings}

say "2. the machine"
run 10 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
run 30 $V/python -c "
from mlc.runtime import cuda_driver, ptx
d = cuda_driver.driver()
print('driver layer:', d.name, d.version(), '| device:', d.device_name(), d.capability())
print('ptxas:', ptx.find_ptxas(), '| libdevice:', ptx.find_libdevice())
from mlc.runtime.cublas import find_cublas; print('cublas:', find_cublas())
" || status=1

say "3. GPU tests"
run 120 $V/python -m pytest -q -x -p no:randomly test/unit/test_gpu_runtime.py test/unit/test_gpu_codegen.py -k "not emulat" || status=1

say "4. bench W1-W7 with --device cuda vs JAX (GPU) and CuPy"
run 180 $V/python bench/run.py --device cuda --only W1,W2,W3,W4,W5,W6,W7 --impls numpy,mlc,jax,cupy \
    --repeat 7 --budget 12 --settle 0.02 --out bench/gpu_results.json || status=1

say "done in $(( $(date +%s) - t0 )) s, status $status (log: $LOG, results: bench/gpu_results.json)"
exit $status
