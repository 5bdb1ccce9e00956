#!/usr/bin/env bash
# Run jaxnn's full benchmark suite on a CUDA GPU (H100/H200 class) and write
# benchmarks/results/gpu.{json,md,png}. Extra arguments go to the suite, e.g.
#   benchmarks/gpu.sh --quick            # a few minutes, small sizes
#   benchmarks/gpu.sh --suite activations
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e '.[bench]' 'jax[cuda12]'
python - <<'PY'
import jax
assert jax.default_backend() == "gpu", f"JAX sees no GPU: {jax.devices()}"
print("devices:", jax.devices())
PY
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
python -m benchmarks \
  --json benchmarks/results/gpu.json \
  --markdown benchmarks/results/gpu.md \
  --plot benchmarks/results/gpu.png \
  "$@"
