# Sourced by the bench-*.sh scripts: `log`, network isolation and `best_of`.
# Expects WORK (a scratch directory) and RUNS (timed runs) to be set.

log() { printf '==> %s\n' "$*" >&2; }

# Every timed tool runs in a network namespace of its own where the kernel
# allows it, which makes "no network" a guarantee rather than a promise.
ISOLATE=()
if unshare -n true 2>/dev/null; then
  ISOLATE=(unshare -n)
else
  log "unshare -n is not permitted here: relying on the tools' own no-network flags"
fi

# best_of CMD...: the best wall-clock seconds of RUNS runs of CMD (after a
# warm-up run). Exit codes are ignored: the tools exit non-zero on findings.
best_of() {
  local best="" secs i
  "${ISOLATE[@]}" "$@" >/dev/null 2>&1 || true
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e' -o "$WORK/time.txt" "${ISOLATE[@]}" "$@" >/dev/null 2>&1 || true
    secs=$(tail -n1 "$WORK/time.txt")
    if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$secs
    fi
  done
  echo "$best"
}
