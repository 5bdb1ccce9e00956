#!/usr/bin/env bash
# One prepared accelerator check: devices and versions, the accuracy table,
# the benchmarks and the test suite, run from this checkout on the device.
#
#   bash benchmarks/device_check.sh OUT [--dry-run]
#
# Needs only python3 with jax (and its CUDA plugin on a GPU), optax, flax,
# equinox, numpy, scipy, matplotlib, mpmath, statsmodels, scikit-learn and
# pytest: it installs nothing and runs jaxnn from this checkout (PYTHONPATH).
# Set PYTHON to use another interpreter, JAXNN_COMMIT to stamp the results
# where the copy is not a git checkout (a source digest is recorded anyway).
#
# Each step runs under its own time limit, so one slow step cannot eat the
# others' time; a failed step is recorded and the others still run. Within 8
# minutes on one H100 by construction: 45 + 90 + 200 s for the first three
# steps, the tests get what is left of 450 s (at least 60; stopped with
# SIGINT, pytest still writes what ran), the check 15 s, each kill 2 s more.
# --dry-run runs every step at tiny sizes on the CPU (about a minute on 2
# idle cores), so CI keeps the script from rotting. Writes 8 files in OUT:
#   env.json                      devices, versions, nvidia-smi, source stamp
#   accuracy.json, accuracy.md    python -m tools.accuracy on the device
#   benchmarks.json, .md, .png    python -m benchmarks (full; --smoke if dry)
#   tests.xml                     pytest's junit XML (not the CLI or docs tests)
#   log.txt                       every step's output, its time and exit status
# The exit status is the number of failed steps (0: all passed).
set -uo pipefail

out=${1:?usage: bash benchmarks/device_check.sh OUT [--dry-run]}
dry=0
case ${2:-} in
    "") ;;
    --dry-run) dry=1 ;;
    *) echo "unknown option ${2}: expected --dry-run" >&2; exit 2 ;;
esac
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2
cd "$(dirname "$0")/.." || exit 2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
log=$out/log.txt
: >"$log"
start=$SECONDS
failed=()

# step NAME SECONDS COMMAND...: run it under `timeout` (signal $sig, TERM by
# default), its output to the log; a non-zero exit is recorded as a failure.
step() {
    local name=$1 limit=$2 t0=$SECONDS rc
    shift 2
    echo "== $name (limit $limit s): $*" | tee -a "$log"
    timeout -s "${sig:-TERM}" -k 2 "$limit" "$@" >>"$log" 2>&1
    rc=$?
    echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$log"
    [[ $rc == 0 ]] || failed+=("$name (exit $rc$([[ $rc == 124 ]] && echo ', timed out'))")
}

if ((dry)); then
    export JAX_PLATFORMS=cpu
    accuracy=(--quick) benchmarks=(--smoke --deadline 150) limit=170 total=330
    # One test file and one module's doctests: proves the command and its XML.
    tests=(tests/test_public_api.py jaxnn/_registry.py)
else
    accuracy=() benchmarks=(--deadline 185 --reps 5) limit=200 total=450 tests=()
fi

{ command -v nvidia-smi >/dev/null && timeout 20 nvidia-smi; } >>"$log" 2>&1
step env 45 "$py" -m benchmarks._env --json "$out/env.json"
step accuracy 90 "$py" -m tools.accuracy "${accuracy[@]}" \
    --json "$out/accuracy.json" --markdown "$out/accuracy.md"
step benchmarks "$limit" "$py" -m benchmarks "${benchmarks[@]}" \
    --json "$out/benchmarks.json" --markdown "$out/benchmarks.md" \
    --plot "$out/benchmarks.png"
left=$((total - (SECONDS - start)))
# Tests share the device: no process may take most of its memory up front.
XLA_PYTHON_CLIENT_PREALLOCATE=false sig=INT step tests $((left > 60 ? left : 60)) \
    "$py" -m pytest -p no:cacheprovider -q -rfEs --durations=10 \
    --junitxml="$out/tests.xml" --ignore=tests/test_cli.py \
    --ignore=tests/test_docs_browser.py "${tests[@]}"
step check 15 "$py" -m benchmarks._check "$out"

echo "== $((${#failed[@]})) failed step(s) in $((SECONDS - start)) s: ${failed[*]:-none}" |
    tee -a "$log"
exit "${#failed[@]}"
