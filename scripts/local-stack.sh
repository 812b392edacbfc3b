#!/usr/bin/env bash
# The local AWS stack: moto's server (S3, SNS, SQS, CloudWatch Logs, Secrets
# Manager, SSM, STS, KMS) and local-aws (CodeCommit, CodePipeline, git smart
# HTTP), both on 127.0.0.1, in the background. State lives in .local/:
# <name>.pid, <name>.port, <name>.log, repos/ and env.
#
#   scripts/local-stack.sh up       # build local-aws if needed, start both, wait, write .local/env
#   scripts/local-stack.sh down     # stop both (and clean stale pid files)
#   scripts/local-stack.sh status   # what runs where
#   scripts/local-stack.sh env      # print .local/env (source it: . .local/env)
#
# Ports: MOTO_PORT (default 4598) and LOCAL_AWS_PORT (default 4599). When set
# explicitly they must be free; a busy default is replaced by a free port.
# LOCAL_STACK_SKIP_BUILD=1 uses an existing target/debug/local-aws as is
# (scripts/test.sh builds the whole workspace first).
# STACK_TIMEOUT (default 30 s) bounds the wait for each server.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STATE="$ROOT/.local"
REPOS="$STATE/repos"
ENV_FILE="$STATE/env"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOCAL_AWS_BIN="$TARGET_DIR/debug/local-aws"
# Caller identities of local-aws (ACCESS_KEY_ID=ARN,...): requests signed with
# the access key `scanner` call as the secret scanner's role session (the
# pool of `codewarden protect`'s approval rule); `test` stays the default user.
IDENTITIES=${LOCAL_AWS_IDENTITIES:-scanner=arn:aws:sts::123456789012:assumed-role/codewarden-secret-scanner/secret-scanner}
TIMEOUT=${STACK_TIMEOUT:-30}
HOST=127.0.0.1

say() { printf '[stack] %s\n' "$*"; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

# pid_of NAME: the recorded pid if that process is still ours, else nothing.
# The command line is checked so a recycled pid is never taken for ours.
pid_of() {
  local name=$1 pid cmd
  [ -f "$STATE/$name.pid" ] || return 0
  pid=$(cat "$STATE/$name.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  case "$name:$cmd" in
    moto:*moto_server*) echo "$pid" ;;
    local-aws:*local-aws*) echo "$pid" ;;
  esac
}

port_of() { cat "$STATE/$1.port" 2>/dev/null || true; }

# alive PID: the process exists and is not a zombie.
alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

port_free() {
  "$ROOT/.venv/bin/python" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

free_port() {
  "$ROOT/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# choose_port NAME EXPLICIT DEFAULT
choose_port() {
  local name=$1 explicit=$2 default=$3
  if [ -n "$explicit" ]; then
    port_free "$explicit" || die "$name: port $explicit (set in the environment) is in use"
    echo "$explicit"
  elif port_free "$default"; then
    echo "$default"
  else
    free_port
  fi
}

# wait_http NAME URL PID: polls URL until it answers 2xx, the process dies or
# the timeout passes; on failure shows the log tail.
wait_http() {
  local name=$1 url=$2 pid=$3 deadline=$((SECONDS + TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! alive "$pid"; then
      say "$name exited during start-up; last lines of $STATE/$name.log:"
      tail -n 30 "$STATE/$name.log" >&2 || true
      rm -f "$STATE/$name.pid"
      die "$name did not start"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$name did not answer $url within ${TIMEOUT}s; last lines of $STATE/$name.log:"
      tail -n 30 "$STATE/$name.log" >&2 || true
      stop_one "$name" "$pid"
      die "$name did not start"
    fi
    sleep 0.2
  done
}

# start NAME PORT URL CMD...: starts CMD detached (own session, so it
# outlives this script and a Ctrl-C in the caller's terminal), logs to
# .local/NAME.log.
start() {
  local name=$1 port=$2 url=$3
  shift 3
  if command -v setsid >/dev/null 2>&1; then
    nohup setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  else
    nohup "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  fi
  local pid=$!
  echo "$pid" >"$STATE/$name.pid"
  echo "$port" >"$STATE/$name.port"
  wait_http "$name" "$url" "$pid"
  say "$name up: pid $pid, http://$HOST:$port (log $STATE/$name.log)"
}

# stop_one NAME [PID]: stops NAME's recorded process (PID: one this script
# just started, whatever its command line says).
stop_one() {
  local name=$1 pid=${2:-}
  [ -n "$pid" ] || pid=$(pid_of "$name")
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      say "$name (pid $pid) ignored SIGTERM for 5 s, sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
    say "$name stopped (pid $pid)"
  elif [ -f "$STATE/$name.pid" ]; then
    say "$name: removing stale pid file"
  fi
  rm -f "$STATE/$name.pid" "$STATE/$name.port"
}

write_env() {
  local moto_port=$1 aws_port=$2 tmp
  local moto="http://$HOST:$moto_port" local_aws="http://$HOST:$aws_port"
  tmp=$(mktemp "$STATE/env.XXXXXX")
  cat >"$tmp" <<EOF
# Written by scripts/local-stack.sh up; source it: . .local/env
# moto's server: S3, SNS, SQS, CloudWatch Logs, Secrets Manager, SSM, STS, KMS.
export MOTO_ENDPOINT=$moto
export AWS_ENDPOINT_URL=$moto
# local-aws: CodeCommit, CodePipeline and CodeBuild (BatchGetBuilds) APIs, git smart HTTP, /_admin.
export LOCAL_AWS_ENDPOINT=$local_aws
export AWS_ENDPOINT_URL_CODECOMMIT=$local_aws
export AWS_ENDPOINT_URL_CODEPIPELINE=$local_aws
export AWS_ENDPOINT_URL_CODEBUILD=$local_aws
# git over HTTP: \$CODEWARDEN_GIT_ENDPOINT/v1/repos/<name> (CodeCommit SigV4 git password).
export CODEWARDEN_GIT_ENDPOINT=$local_aws
export LOCAL_AWS_REPOS='$REPOS'
# Test credentials: both servers accept test/test; no real account is reached.
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
EOF
  mv "$tmp" "$ENV_FILE"
}

cmd_up() {
  mkdir -p "$STATE" "$REPOS"
  [ -x .venv/bin/moto_server ] || bash scripts/setup.sh

  if [ "${LOCAL_STACK_SKIP_BUILD:-0}" = 1 ] && [ -x "$LOCAL_AWS_BIN" ]; then
    say "using $LOCAL_AWS_BIN as built (LOCAL_STACK_SKIP_BUILD=1)"
  else
    # The build CI, demo.sh and `cargo test --workspace` share: any narrower
    # selection (`-p local-aws`, `--bin local-aws`) resolves other features
    # (no dev-dependencies) and rebuilds gix, tokio and serde beside it.
    say "cargo build --workspace --all-targets"
    cargo build --workspace --all-targets
  fi

  local moto_port aws_port pid
  pid=$(pid_of moto)
  if [ -n "$pid" ] && curl -fsS -o /dev/null --max-time 2 "http://$HOST:$(port_of moto)/moto-api/"; then
    moto_port=$(port_of moto)
    say "moto already up: pid $pid, http://$HOST:$moto_port"
  else
    stop_one moto
    moto_port=$(choose_port moto "${MOTO_PORT:-}" 4598)
    start moto "$moto_port" "http://$HOST:$moto_port/moto-api/" \
      "$ROOT/.venv/bin/moto_server" -H "$HOST" -p "$moto_port"
  fi

  pid=$(pid_of local-aws)
  if [ -n "$pid" ] && curl -fsS -o /dev/null --max-time 2 "http://$HOST:$(port_of local-aws)/_admin/health"; then
    aws_port=$(port_of local-aws)
    say "local-aws already up: pid $pid, http://$HOST:$aws_port (restart it with down + up after a rebuild)"
  else
    stop_one local-aws
    aws_port=$(choose_port local-aws "${LOCAL_AWS_PORT:-}" 4599)
    start local-aws "$aws_port" "http://$HOST:$aws_port/_admin/health" \
      env RUST_LOG="${RUST_LOG:-info}" LOCAL_AWS_IDENTITIES="$IDENTITIES" \
      "$LOCAL_AWS_BIN" --repos "$REPOS" --bind "$HOST:$aws_port" --region us-east-1
  fi

  write_env "$moto_port" "$aws_port"
  say "environment written to $ENV_FILE (. .local/env)"
}

cmd_down() {
  stop_one local-aws
  stop_one moto
  rm -f "$ENV_FILE"
}

cmd_status() {
  local name pid port url rc=0
  for name in moto local-aws; do
    pid=$(pid_of "$name")
    port=$(port_of "$name")
    if [ -z "$pid" ]; then
      say "$name: not running"
      rc=1
      continue
    fi
    if [ "$name" = moto ]; then url="http://$HOST:$port/moto-api/"; else url="http://$HOST:$port/_admin/health"; fi
    if curl -fsS -o /dev/null --max-time 2 "$url"; then
      say "$name: running, pid $pid, http://$HOST:$port, healthy"
    else
      say "$name: running, pid $pid, but $url does not answer"
      rc=1
    fi
  done
  [ -f "$ENV_FILE" ] && say "env: $ENV_FILE"
  return "$rc"
}

cmd_env() {
  [ -f "$ENV_FILE" ] || die "no $ENV_FILE: run scripts/local-stack.sh up"
  cat "$ENV_FILE"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
    ;;
esac
