#!/usr/bin/env bash
# Everything CI checks, in the order that fails fastest: setup, rustfmt,
# cfn-lint (and `sam validate --lint` when .venv-sam exists), clippy, one
# build of the whole workspace, the local AWS stack, then every test (unit,
# integration, end-to-end, doc). Prints a timing summary; exits non-zero on
# the first failure. `.ci/run` calls this with CI=true.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
mkdir -p .local

# A CI checkout is built once from scratch: incremental compilation only
# costs time and disk there (gigabytes of query caches nobody reuses).
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi

STEPS=()
TIMES=()
CURRENT=""
STEP_START=0
TOTAL_START=$SECONDS
STACK_STARTED=0
TEST_LOG=.local/test-output.log

banner() { printf '\n========== %s ==========\n' "$*"; }

# step NAME CMD...: runs CMD as a timed step.
step() {
  local name=$1
  shift
  CURRENT=$name
  STEP_START=$SECONDS
  banner "$name"
  "$@"
  STEPS+=("$name")
  TIMES+=($((SECONDS - STEP_START)))
  CURRENT=""
}

summary() {
  local rc=$1 i
  printf '\n========== summary ==========\n'
  for i in "${!STEPS[@]}"; do
    printf '  %-28s %5ss  ok\n' "${STEPS[$i]}" "${TIMES[$i]}"
  done
  if [ -n "$CURRENT" ]; then
    printf '  %-28s %5ss  FAILED\n' "$CURRENT" "$((SECONDS - STEP_START))"
  fi
  printf '  %-28s %5ss  %s\n' "total" "$((SECONDS - TOTAL_START))" "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)")"
}

on_exit() {
  local rc=$?
  if [ "$STACK_STARTED" -eq 1 ]; then
    banner "local stack down"
    bash scripts/local-stack.sh down || true
  fi
  summary "$rc"
  # Last line, for CI: the totals of cargo test's "test result:" lines.
  if [ -f "$TEST_LOG" ] && [ "$TESTS_RAN" -eq 1 ]; then
    awk '/^test result:/ {
           for (i = 1; i <= NF; i++) {
             if ($(i) ~ /^passed;?$/) p += $(i - 1)
             if ($(i) ~ /^failed;?$/) f += $(i - 1)
             if ($(i) ~ /^ignored;?$/) s += $(i - 1)
           }
         }
         END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$TEST_LOG"
  fi
  exit "$rc"
}
TESTS_RAN=0
trap on_exit EXIT

step "setup" bash scripts/setup.sh
step "cargo fmt --check" cargo fmt --all -- --check

lint_template() {
  .venv/bin/cfn-lint template.yaml
  if [ -x .venv-sam/bin/sam ]; then
    SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint --template-file template.yaml
  else
    echo "(sam validate --lint skipped: no .venv-sam; scripts/setup.sh --with-sam installs it)"
  fi
}
step "cfn-lint template.yaml" lint_template

# Same profile and features for clippy, build and test, so the build and the
# test run share every artifact (clippy's own are check-only by nature).
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo build" cargo build --workspace --all-targets

stack_up() {
  STACK_STARTED=1
  LOCAL_STACK_SKIP_BUILD=1 bash scripts/local-stack.sh up
}
step "local stack up" stack_up
# shellcheck source=/dev/null
. .local/env

run_tests() {
  TESTS_RAN=1
  cargo test --workspace 2>&1 | tee "$TEST_LOG"
}
rm -f "$TEST_LOG"
step "cargo test" run_tests
