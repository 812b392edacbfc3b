#!/usr/bin/env bash
# Benchmark of the secret scanner: a push of 100 changed files against the
# local stack (in-process local-aws + moto). Prints wall time and CodeCommit
# calls per operation. Usage: scripts/bench-secret-scanner.sh [files] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${MOTO_ENDPOINT:-${AWS_ENDPOINT_URL:-}}" ]]; then
  [[ -f .local/env ]] || { echo "start the stack first: scripts/local-stack.sh up" >&2; exit 2; }
  # shellcheck disable=SC1091
  . .local/env
fi
# Debug profile by default (dependencies are optimised in it, see Cargo.toml;
# a release build of the SDK takes minutes): BENCH_PROFILE=release for LTO.
# `--workspace --example`: the features of the workspace build (not
# `-p secret-scanner`'s), so its artifacts are reused, nothing rebuilt.
profile=()
dir=debug
[[ "${BENCH_PROFILE:-dev}" == release ]] && { profile=(--release); dir=release; }
cargo build --quiet "${profile[@]}" --workspace --example bench_push
exec "${CARGO_TARGET_DIR:-target}/$dir/examples/bench_push" "${1:-100}" "${2:-3}"
