#!/usr/bin/env bash
# Installs what codewarden's scripts and tests need, into the repository only
# (.venv, .venv-sam), never globally: system git and curl (Debian packages,
# when missing), Python tools pinned in scripts/requirements.txt, and a check of
# the Rust toolchain. Idempotent: a second run only checks (a few seconds).
#
#   scripts/setup.sh              # git, curl, .venv (moto, cfn-lint, cargo-lambda, zig, awscli)
#   scripts/setup.sh --with-sam   # also the AWS SAM CLI in .venv-sam (~50 s the first time)
#   scripts/setup.sh --force      # reinstall the Python tools even if the stamp matches
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

WITH_SAM=0
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --with-sam) WITH_SAM=1 ;;
    --force) FORCE=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *)
      echo "setup.sh: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

START=$SECONDS
say() { printf '[setup] %s\n' "$*"; }
die() {
  printf '[setup] ERROR: %s\n' "$*" >&2
  exit 1
}

# --- Debian packages (only when something is missing) -----------------------
APT_UPDATED=0
apt_install() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need Debian packages '$*' but not root and no sudo: install them (apt-get install $*) and re-run"
    runner=(sudo -n)
  fi
  command -v apt-get >/dev/null 2>&1 || die "need '$*' and apt-get is not available: install them with your package manager and re-run"
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_git_http_backend() {
  command -v git >/dev/null 2>&1 && [ -x "$(git --exec-path)/git-http-backend" ]
}

if have_git_http_backend; then
  say "git: $(git --version | cut -d' ' -f3) with http-backend ($(git --exec-path))"
else
  # The e2e tests drive real repositories with git; repo-backup's tests serve
  # them over smart HTTP through `git http-backend`.
  apt_install git ca-certificates
  hash -r
  have_git_http_backend || die "git or git-http-backend still missing after apt-get install git"
  say "git: $(git --version | cut -d' ' -f3) installed"
fi

if command -v curl >/dev/null 2>&1; then
  say "curl: $(curl --version | head -n1 | cut -d' ' -f2)"
else
  apt_install curl ca-certificates
  hash -r
fi

# aws-lc-sys (the SDK's TLS) and ring build C code: a C compiler is required.
if ! command -v cc >/dev/null 2>&1; then
  apt_install gcc libc6-dev
  hash -r
fi

# --- Rust toolchain (checked, not installed: rustup is the user's choice) ----
command -v cargo >/dev/null 2>&1 ||
  die "cargo not found: install Rust with rustup (https://rustup.rs), then 'rustup component add rustfmt clippy'"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
need_rust=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n1)
have_rust=$(rustc --version | cut -d' ' -f2)
if [ -n "$need_rust" ] && [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -n1)" != "$need_rust" ]; then
  die "rustc $have_rust is older than the workspace's rust-version $need_rust: rustup update stable"
fi
say "rust: rustc $have_rust, $(cargo fmt --version), $(cargo clippy --version | cut -d' ' -f1-2)"

# --- Python virtual environments ---------------------------------------------
PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  apt_install python3 python3-venv
  hash -r
fi

# ensure_venv DIR REQUIREMENTS [CONSTRAINTS]: creates DIR if needed and
# installs REQUIREMENTS into it unless the stamp (hash of the pin files and
# the interpreter version) says the same set is already there.
ensure_venv() {
  local dir=$1 req=$2 cons=${3:-}
  local stamp="$dir/.codewarden-stamp"
  if [ -d "$dir" ] && ! "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "$dir: interpreter broken (moved or removed Python?), recreating"
    rm -rf "$dir"
  fi
  if [ ! -x "$dir/bin/python" ]; then
    say "creating $dir ($("$PYTHON" --version))"
    if ! "$PYTHON" -m venv "$dir" 2>/dev/null; then
      rm -rf "$dir"
      apt_install python3-venv
      "$PYTHON" -m venv "$dir"
    fi
  fi
  local want
  want=$({
    cat "$req" ${cons:+"$cons"}
    "$dir/bin/python" -VV
  } | sha256sum | cut -d' ' -f1)
  if [ "$FORCE" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "$dir: up to date with $req (stamp matches; --force reinstalls)"
    return 0
  fi
  say "$dir: pip install -r $req${cons:+ -c $cons}"
  rm -f "$stamp"
  # --isolated: ignore the user's pip config; PIP_* variables still apply
  # (e.g. a local wheel cache in PIP_FIND_LINKS).
  "$dir/bin/python" -m pip install --isolated --disable-pip-version-check -q \
    -r "$req" ${cons:+-c "$cons"}
  printf '%s\n' "$want" >"$stamp"
}

ensure_venv .venv scripts/requirements.txt scripts/constraints.txt
for tool in moto_server cfn-lint cargo-lambda aws; do
  [ -x ".venv/bin/$tool" ] || die ".venv/bin/$tool missing after install: run scripts/setup.sh --force"
done
.venv/bin/python -m ziglang version >/dev/null 2>&1 || die "zig (ziglang) does not run: run scripts/setup.sh --force"
say "tools: $(.venv/bin/python -c 'from importlib.metadata import version as v; print(", ".join(f"{p} {v(p)}" for p in ("moto", "cfn-lint", "cargo-lambda", "ziglang", "awscli")))')"

if [ "$WITH_SAM" -eq 1 ]; then
  ensure_venv .venv-sam scripts/requirements-sam.txt scripts/constraints-sam.txt
  say "sam: $(.venv-sam/bin/sam --version)"
fi

say "done in $((SECONDS - START)) s. Tools are in .venv/bin (export PATH=\"$ROOT/.venv/bin:\$PATH\" to use cargo lambda)."
