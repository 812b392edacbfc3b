#!/usr/bin/env bash
# Throughput of `codewarden scan` against Kingfisher on the same corpus.
#
# Builds codewarden in release, writes a deterministic corpus of ordinary
# source-like text with planted fake credentials (`codewarden bench-corpus`,
# default 200 MiB), installs Kingfisher (PyPI `kingfisher-bin`) into .venv if
# absent, then times each tool (best of BENCH_RUNS after one warm-up run, so
# the page cache and Kingfisher's rule cache are warm) with one thread and
# with the default thread count, and prints a table.
#
# Neither tool touches the network: codewarden never does; Kingfisher runs
# with --no-validate --no-update-check --git-history none. Where the kernel
# allows it, both run in a network namespace of their own (`unshare -n`),
# which makes that a guarantee rather than a promise.
#
# Environment: BENCH_SIZE_MIB (200), BENCH_RUNS (3), BENCH_DIR
# (.local/bench), CARGO_TARGET_DIR (target).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SIZE_MIB=${BENCH_SIZE_MIB:-200}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$ROOT/.local/bench}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CODEWARDEN=$TARGET/release/codewarden
KINGFISHER=$ROOT/.venv/bin/kingfisher
CORPUS=$WORK/corpus-${SIZE_MIB}mib
NPROC=$(nproc)

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

log "building codewarden (release)"
cargo build --release --quiet -p codewarden

mkdir -p "$WORK"
if [[ ! -f $CORPUS.done ]]; then
  log "writing a ${SIZE_MIB} MiB corpus to $CORPUS"
  rm -rf "$CORPUS"
  "$CODEWARDEN" bench-corpus "$CORPUS" --size-mib "$SIZE_MIB" --seed 1 >"$CORPUS.done"
fi
PLANTED=$(grep -o '[0-9]* planted' "$CORPUS.done" | cut -d' ' -f1)
BYTES=$(du -sb "$CORPUS" | cut -f1)

if [[ ! -x $KINGFISHER ]]; then
  log "installing kingfisher-bin into .venv"
  [[ -x .venv/bin/pip ]] || python3 -m venv .venv
  .venv/bin/pip install --quiet kingfisher-bin
fi


CODEWARDEN_CMD=("$CODEWARDEN" scan "$CORPUS" --quiet --format json --output "$WORK/codewarden.json")
KINGFISHER_CMD=("$KINGFISHER" --no-update-check --quiet scan "$CORPUS"
  --no-validate --git-history none --max-file-size 10
  --format json --output "$WORK/kingfisher.json")

count_codewarden() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["findings"])' "$WORK/codewarden.json"; }
count_kingfisher() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$WORK/kingfisher.json"; }

ROWS=()
measure() { # TOOL THREADS
  local tool=$1 threads=$2 secs found mbps
  local -n cmd="${tool^^}_CMD"
  log "timing $tool with $threads thread(s)"
  secs=$(best_of "${cmd[@]}" -j "$threads")
  found=$("count_$tool") # from the last timed run's report
  mbps=$(awk -v b="$BYTES" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? b / 1e6 / s : 0) }')
  ROWS+=("$(printf '%-11s %7s %9s %9s %9s' "$tool" "$threads" "$secs" "$mbps" "$found")")
}

measure codewarden 1
measure codewarden "$NPROC"
measure kingfisher 1
measure kingfisher "$NPROC"

printf '\ncorpus: %s (%s bytes, %s planted credentials), %s CPUs, best of %s runs\n' \
  "$CORPUS" "$BYTES" "$PLANTED" "$NPROC" "$RUNS"
printf '%-11s %7s %9s %9s %9s\n' tool threads seconds MB/s findings
printf '%s\n' "${ROWS[@]}"
printf '\n%s; %s\n' "$("$CODEWARDEN" --version)" "$("$KINGFISHER" --version)"
