#!/usr/bin/env bash
# Offline end-to-end demo: no AWS account, no Docker. Installs the tools
# (scripts/setup.sh), starts the local AWS stack (moto + local-aws), then runs
# one scenario per codewarden feature against it.
#
#   scripts/demo.sh                  # every scenario
#   scripts/demo.sh codecommit       # only the named scenario(s)
#   scripts/demo.sh --keep ...       # leave the local stack running afterwards
#   scripts/demo.sh --list           # the scenarios
#
# Each scenario is a function `scenario_<name>` below; a feature's issue
# adds or fills its own.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SCENARIOS=(codecommit secret_scanner repo_backup failure_notifier approvals)
KEEP=0
SELECTED=()
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --list)
      printf '%s\n' "${SCENARIOS[@]}"
      exit 0
      ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    -*)
      echo "demo.sh: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
    *)
      name=${arg//-/_}
      if ! printf '%s\n' "${SCENARIOS[@]}" | grep -qx "$name"; then
        echo "demo.sh: unknown scenario '$arg'; one of: ${SCENARIOS[*]}" >&2
        exit 2
      fi
      SELECTED+=("$name")
      ;;
  esac
done
[ "${#SELECTED[@]}" -gt 0 ] || SELECTED=("${SCENARIOS[@]}")

section() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
note() { printf '  %s\n' "$*"; }
# run CMD...: shows the command, then runs it.
run() {
  local arg shown=""
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then shown+=" $arg"; else shown+=" '$arg'"; fi
  done
  shown=${shown# }
  printf '\n\033[36m$ %s\033[0m\n' "${shown/#demo_git/git}"
  "$@"
}

# --- 0. tools and local AWS stack ----------------------------------------------
section "setup: tools into .venv (scripts/setup.sh)"
bash scripts/setup.sh

section "build: the whole workspace once (the same build scripts/test.sh makes)"
# One build with the workspace's unified features: building single packages
# (`cargo run -p ...`) would select other features and rebuild the SDK.
cargo build --workspace --all-targets
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

section "local AWS stack: moto + local-aws (scripts/local-stack.sh up)"
stop_stack() {
  local rc=$?
  if [ "$KEEP" -eq 1 ]; then
    printf '\nThe local stack keeps running (--keep): . .local/env; scripts/local-stack.sh down when done.\n'
  else
    section "local AWS stack down"
    bash scripts/local-stack.sh down || true
  fi
  exit "$rc"
}
trap stop_stack EXIT
LOCAL_STACK_SKIP_BUILD=1 bash scripts/local-stack.sh up
# shellcheck source=/dev/null
. .local/env
export PATH="$ROOT/.venv/bin:$PATH"
note "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL  (moto: S3, SNS, SQS, Logs, Secrets Manager, SSM)"
note "AWS_ENDPOINT_URL_CODECOMMIT=$AWS_ENDPOINT_URL_CODECOMMIT  (local-aws)"
note "AWS_ENDPOINT_URL_CODEPIPELINE=$AWS_ENDPOINT_URL_CODEPIPELINE  (local-aws)"

# Relative to $ROOT (the working directory throughout), for readable output.
WORK=.local/demo
rm -rf "$WORK"
mkdir -p "$WORK"

# git with a fixed identity and dates (the same commit ids on every run), no
# user configuration, no credential helper and no prompt (the demo must never
# wait for input).
demo_git() {
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 \
    GIT_AUTHOR_NAME="Dev One" GIT_AUTHOR_EMAIL=dev1@example.com \
    GIT_COMMITTER_NAME="Dev One" GIT_COMMITTER_EMAIL=dev1@example.com \
    GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
    git -c credential.helper= -c init.defaultBranch=main -c advice.detachedHead=false "$@"
}

# git_password REPO: CodeCommit's SigV4 git password (what git-remote-codecommit
# sends) for REPO on $CODEWARDEN_GIT_ENDPOINT, signed with the test
# credentials; local-aws verifies it exactly like CodeCommit (host included).
git_password() {
  "$ROOT/.venv/bin/python" - "$1" "$CODEWARDEN_GIT_ENDPOINT" "$AWS_REGION" "$AWS_SECRET_ACCESS_KEY" <<'EOF'
import datetime, hashlib, hmac, sys, urllib.parse

repo, endpoint, region, secret = sys.argv[1:]
host = urllib.parse.urlsplit(endpoint).netloc
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
date = stamp[:8]
canonical = f"GIT\n/v1/repos/{repo}\n\nhost:{host}\n\nhost\n"
to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, f"{date}/{region}/codecommit/aws4_request",
                     hashlib.sha256(canonical.encode()).hexdigest()])
key = ("AWS4" + secret).encode()
for part in (date, region, "codecommit", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
print(stamp + "Z" + hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest())
EOF
}

# git_url REPO: the clone URL with the SigV4 credentials in it.
git_url() {
  local host=${CODEWARDEN_GIT_ENDPOINT#http://}
  printf 'http://%s:%s@%s/v1/repos/%s' "$AWS_ACCESS_KEY_ID" "$(git_password "$1")" "$host" "$1"
}

# demo_git_remote DIR VERB REPO ARGS...: runs `git VERB <url of REPO> ARGS`
# in DIR; shows the URL with the password elided.
demo_git_remote() {
  local dir=$1 verb=$2 repo=$3
  shift 3
  printf '\n\033[36m$ git -C %s %s %s/v1/repos/%s %s   (user %s, SigV4 password)\033[0m\n' \
    "$dir" "$verb" "$CODEWARDEN_GIT_ENDPOINT" "$repo" "$*" "$AWS_ACCESS_KEY_ID"
  demo_git -C "$dir" "$verb" "$(git_url "$repo")" "$@"
}

commit_file() {
  local dir=$1 file=$2 message=$3
  mkdir -p "$(dirname "$dir/$file")"
  cat >"$dir/$file"
  demo_git -C "$dir" add -A
  demo_git -C "$dir" commit -q -m "$message"
  demo_git -C "$dir" rev-parse HEAD
}

# --- scenarios -----------------------------------------------------------------

# The CodeCommit stand-in: a repository created through the API, commits
# pushed over git smart HTTP, and the API answering about them.
scenario_codecommit() {
  section "CodeCommit: create a repository, push commits over HTTP, read them through the API"
  local repo=demo src="$WORK/demo-src"
  # A previous run's repository would make CreateRepository fail.
  rm -rf "${LOCAL_AWS_REPOS:?}/$repo" "${LOCAL_AWS_REPOS:?}/$repo.git"

  run aws codecommit create-repository --repository-name "$repo" \
    --repository-description "codewarden demo repository" --output json

  note ""
  note "Three commits in a local clone:"
  demo_git init -q "$src"
  local first third
  first=$(commit_file "$src" README.md "Add README" <<<"# demo"$'\n'"A repository for the codewarden demo.")
  commit_file "$src" src/app.py "Add the app" >/dev/null <<'EOF'
def handler(event, context):
    return {"ok": True}
EOF
  third=$(commit_file "$src" config/settings.toml "Add settings" <<'EOF'
[service]
name = "demo"
region = "us-east-1"
EOF
)
  run demo_git -C "$src" log --oneline

  if ! demo_git_remote "$src" push "$repo" main; then
    note "push over HTTP failed (see above)"
    return 1
  fi

  run aws codecommit get-repository --repository-name "$repo" --output json
  run aws codecommit list-repositories --output json
  run aws codecommit get-branch --repository-name "$repo" --branch-name main --output json
  run aws codecommit get-commit --repository-name "$repo" --commit-id "$third" --output json
  run aws codecommit get-differences --repository-name "$repo" \
    --before-commit-specifier "$first" --after-commit-specifier "$third" --output json

  section "CodeCommit: fault injection (local-aws admin API)"
  note "Reset the call counters, then make the next GetBranch call answer ThrottlingException:"
  run curl -sS -X DELETE "$LOCAL_AWS_ENDPOINT/_admin/calls"
  echo
  run curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/faults" -H 'Content-Type: application/json' \
    -d '{"operation": "GetBranch", "kind": "throttle", "count": 1}'
  echo
  note "The CLI's standard retry absorbs the throttling:"
  run aws codecommit get-branch --repository-name "$repo" --branch-name main \
    --query branch.commitId --output text
  note "local-aws counted GetBranch twice: the throttled call and its retry:"
  run curl -sS "$LOCAL_AWS_ENDPOINT/_admin/calls"
  echo

  section "CodeCommit: clone back over HTTP (the path repo-backup takes)"
  if ! demo_git_remote "$WORK" clone "$repo" -q demo-clone; then
    note "clone over HTTP failed (see above)"
    return 1
  fi
  run demo_git -C "$WORK/demo-clone" log --oneline --stat
  if [ "$(demo_git -C "$WORK/demo-clone" rev-parse HEAD)" != "$third" ]; then
    note "the clone's HEAD is not the pushed commit $third"
    return 1
  fi
  note "clone HEAD = pushed HEAD ($third)"
}

planned() {
  section "$1"
  note "planned: arrives with the $2 issue (see README.md, Status)."
}

# Will push a commit with a (fake) credential and show the masked SNS alert,
# the comment on the commit at the exact line and the findings report in S3.
scenario_secret_scanner() { planned "secret-scanner: a pushed credential is found, masked and reported" secret-scanner; }

# Will back the demo repository up to S3 as git bundles, push more, back up
# incrementally, and restore it with stock git.
scenario_repo_backup() { planned "repo-backup: incremental git bundles in S3, restored with git" repo-backup; }

# failure-notifier: the four events of one failed pipeline execution
# (build, action, stage, pipeline) give one alert with the failed action,
# the build's failing phase and the masked tail of its log; a redelivery
# gives none. The handler runs as the Lambda does (configuration from the
# environment, SDK clients through AWS_ENDPOINT_URL*), through
# the `invoke` example of the failure-notifier crate.
scenario_failure_notifier() {
  section "failure-notifier: one actionable alert per failed pipeline execution"
  local pipeline=codewarden-demo-pipeline
  local execution=c7d3e1f0-5a4b-4c2d-8e9f-0a1b2c3d4e5f
  local build=codewarden-demo-build:8e4f2a6c-1b3d-4e5f-a7b9-c0d1e2f3a4b5
  local group=/aws/codebuild/codewarden-demo-build stream=8e4f2a6c-1b3d-4e5f-a7b9-c0d1e2f3a4b5
  local bucket topic_arn queue_url queue_arn
  # awscli v1 ignores AWS_ENDPOINT_URL for SQS (queue.amazonaws.com): name moto explicitly.
  local moto=(--endpoint-url "$AWS_ENDPOINT_URL")
  # A fresh bucket per run: markers of an earlier run (--keep) would
  # rightly suppress the alert as a redelivery.
  bucket=codewarden-demo-markers-$(date +%s)

  note "An alerts topic delivering to a queue we can read, and the markers bucket (moto):"
  run aws "${moto[@]}" s3api create-bucket --bucket "$bucket" --output json
  topic_arn=$(aws "${moto[@]}" sns create-topic --name codewarden-demo-alerts --query TopicArn --output text)
  queue_url=$(aws "${moto[@]}" sqs create-queue --queue-name codewarden-demo-alerts --query QueueUrl --output text)
  aws "${moto[@]}" sqs purge-queue --queue-url "$queue_url" >/dev/null 2>&1 || true
  queue_arn=$(aws "${moto[@]}" sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn \
    --query Attributes.QueueArn --output text)
  run aws "${moto[@]}" sns subscribe --topic-arn "$topic_arn" --protocol sqs \
    --notification-endpoint "$queue_arn" --output json

  note ""
  note "The pipeline and its failed execution (local-aws CodePipeline), the build (CodeBuild):"
  run curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/pipelines" -H 'Content-Type: application/json' -d '{
    "name": "'"$pipeline"'", "stages": [
      {"name": "Source", "actions": [{"name": "Source", "category": "Source"}]},
      {"name": "Build", "actions": [{"name": "Build", "category": "Build",
        "configuration": {"ProjectName": "codewarden-demo-build"}}]},
      {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy"}]}]}'
  echo
  run curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/executions" -H 'Content-Type: application/json' -d '{
    "pipelineName": "'"$pipeline"'", "pipelineExecutionId": "'"$execution"'", "status": "Failed",
    "actions": [{"stageName": "Source", "actionName": "Source"},
      {"stageName": "Build", "actionName": "Build", "status": "Failed", "errorCode": "JobFailed",
       "errorMessage": "Build terminated with state: FAILED", "externalExecutionId": "'"$build"'"}]}'
  echo
  run curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codebuild/builds" -H 'Content-Type: application/json' -d '{
    "id": "'"$build"'", "buildStatus": "FAILED", "initiator": "codepipeline/'"$pipeline"'",
    "phases": [{"phaseType": "BUILD", "phaseStatus": "FAILED", "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR",
      "message": "Error while executing command: cargo clippy --all-targets -- -D warnings. Reason: exit status 101"}]}],
    "logs": {"groupName": "'"$group"'", "streamName": "'"$stream"'"}}'
  echo

  note ""
  note "The build log in CloudWatch Logs (moto), with a credential echoed by a careless script:"
  aws "${moto[@]}" logs create-log-group --log-group-name "$group" 2>/dev/null || true
  aws "${moto[@]}" logs create-log-stream --log-group-name "$group" --log-stream-name "$stream" 2>/dev/null || true
  local now lines=() i=0 line
  now=$(($(date +%s) * 1000))
  for line in "   Compiling app v0.1.0 (/codebuild/output/src/app)" \
    "+ aws configure set aws_access_key_id AKIAZ7Q3XK2LMNB4RT6Y" \
    "error: this \`if\` has identical blocks" \
    "  --> src/lib.rs:12:5" \
    "error: could not compile \`app\` (lib) due to 1 previous error" \
    "[Container] Command did not exit successfully cargo clippy --all-targets -- -D warnings exit status 101"; do
    lines+=("{\"timestamp\": $((now + i)), \"message\": $(printf '%s' "$line" | "$ROOT/.venv/bin/python" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}")
    i=$((i + 1))
  done
  (IFS=,; aws "${moto[@]}" logs put-log-events --log-group-name "$group" --log-stream-name "$stream" \
    --log-events "[${lines[*]}]" >/dev/null)
  run aws "${moto[@]}" logs get-log-events --log-group-name "$group" --log-stream-name "$stream" \
    --query 'events[].message' --output text

  note ""
  note "The four events of the failure, as EventBridge delivers them, then the pipeline event again:"
  local event
  for event in codebuild-from-pipeline codepipeline-action-failed codepipeline-stage-failed \
    codepipeline-pipeline-failed codepipeline-pipeline-failed; do
    ALERT_TOPIC_ARN=$topic_arn MARKER_BUCKET=$bucket S3_FORCE_PATH_STYLE=true LOG_TAIL_LINES=6 \
      RUST_LOG=warn \
      run "$TARGET_DIR/debug/examples/invoke" "events/$event.json"
  done

  note ""
  note "What the subscriber received: one alert (subject, then the text an email shows):"
  aws "${moto[@]}" sqs receive-message --queue-url "$queue_url" --max-number-of-messages 10 --output json |
    "$ROOT/.venv/bin/python" -c '
import json, sys
messages = json.load(sys.stdin).get("Messages", [])
print(f"  {len(messages)} message(s)")
for m in messages:
    envelope = json.loads(m["Body"])
    alert = json.loads(envelope["Message"])
    print("\n  Subject: " + envelope["Subject"])
    attrs = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
    print("  Attributes: " + json.dumps(attrs, sort_keys=True) + "\n")
    print("\n".join("    " + line for line in alert["text"].splitlines()))
    if "AKIAZ7Q3XK2LMNB4RT6Y" in m["Body"]:
        sys.exit("the credential leaked into the alert")
'
}

# Will send a manual-approval notification through the policy and follow the
# signed approve link to PutApprovalResult.
scenario_approvals() { planned "approval-gate / approval-callback: policy-driven approvals with signed links" "approval-gate / approval-callback"; }

for name in "${SELECTED[@]}"; do
  "scenario_$name"
done

section "done"
note "Scenarios run: ${SELECTED[*]}"
