#!/usr/bin/env bash
# Precision of `codewarden scan` on the samples of two public rule sets:
# every negative example of Kingfisher (`negative_examples` in
# data/rules/*.yml) and gitleaks (`fps` in cmd/generate/config/rules/*.go)
# must not be flagged; their positive examples (`examples`, `tps`) should be.
#
# The rule sets are read at run time from git checkouts or bare mirrors
# (nothing of them is copied into this repository); each sample is written
# to a file of its own and all are scanned in one run. A file counts as
# flagged when codewarden reports anything in it.
#
# Usage: scripts/bench-precision.sh [--list] [--list-positives]
#   --list            every flagged negative: source rule, our rule, masked match
#   --list-positives  every missed positive
#
# Environment: KINGFISHER_RULES (/work/.mirror/mongodb+kingfisher/repo),
# GITLEAKS_RULES (/work/.mirror/gitleaks+gitleaks/repo), CODEWARDEN (a
# built binary; default: build the debug binary into CARGO_TARGET_DIR),
# CARGO_TARGET_DIR (target).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINGFISHER_RULES=${KINGFISHER_RULES:-/work/.mirror/mongodb+kingfisher/repo}
GITLEAKS_RULES=${GITLEAKS_RULES:-/work/.mirror/gitleaks+gitleaks/repo}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for pair in "Kingfisher:$KINGFISHER_RULES:KINGFISHER_RULES" "gitleaks:$GITLEAKS_RULES:GITLEAKS_RULES"; do
  IFS=: read -r name dir var <<<"$pair"
  if [[ ! -d $dir ]]; then
    echo "bench-precision: the $name rule set is not at $dir:" \
      "clone its repository (a bare mirror will do) and set $var to its path" >&2
    exit 2
  fi
done

if [[ -z ${CODEWARDEN:-} ]]; then
  echo "==> building codewarden" >&2
  # The workspace build the tests share (a narrower one resolves other features).
  cargo build --quiet --workspace --all-targets
  CODEWARDEN=$TARGET/debug/codewarden
fi

if [[ ! -x $CODEWARDEN ]]; then
  echo "bench-precision: no codewarden binary at $CODEWARDEN (build it: cargo build --workspace --all-targets)" >&2
  exit 2
fi
# The scan runs from a temporary directory: the binary's path must not be relative.
CODEWARDEN=$(realpath "$CODEWARDEN")

exec python3 "$ROOT/scripts/bench_precision.py" \
  --codewarden "$CODEWARDEN" \
  --kingfisher "$KINGFISHER_RULES" \
  --gitleaks "$GITLEAKS_RULES" "$@"
