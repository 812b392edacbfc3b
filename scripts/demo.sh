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

SCENARIOS=(codecommit secret_scanner push_protection repo_backup failure_notifier approvals)
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

# secret_push_event REPO OLD NEW: events/codecommit-push.json for that push, in $WORK.
secret_push_event() {
  "$ROOT/.venv/bin/python" - "$@" "$WORK/secrets-push.json" <<'EOF'
import json, sys
repo, old, new, out = sys.argv[1:]
event = json.load(open("events/codecommit-push.json"))
event["detail"].update(repositoryName=repo, oldCommitId=old, commitId=new)
json.dump(event, open(out, "w"), indent=2)
EOF
  printf '%s' "$WORK/secrets-push.json"
}

# secret-scanner: a commit with a planted (fake) AWS key pushed over HTTP;
# its push event goes to the function through the Lambda runtime API
# (`cargo lambda watch` + `cargo lambda invoke --data-file`), twice (the
# second is a redelivery); then the alert as the SQS subscriber receives it,
# the comment CodeCommit holds at the line, and the report in S3.
scenario_secret_scanner() {
  section "secret-scanner: a pushed credential is found, masked and reported"
  local repo=demo-secrets src="$WORK/secrets-src" key=AKIAZ7Q3XK2LMNB4RT6Y
  local moto=(--endpoint-url "$AWS_ENDPOINT_URL")
  local bucket topic_arn queue_url queue_arn old new event
  bucket=codewarden-demo-findings-$(date +%s)
  rm -rf "${LOCAL_AWS_REPOS:?}/$repo" "${LOCAL_AWS_REPOS:?}/$repo.git"
  aws codecommit create-repository --repository-name "$repo" --output json >/dev/null
  note "The findings topic delivering to a queue we can read, and the reports bucket (moto):"
  run aws "${moto[@]}" s3api create-bucket --bucket "$bucket" --output json
  topic_arn=$(aws "${moto[@]}" sns create-topic --name codewarden-demo-findings --query TopicArn --output text)
  queue_url=$(aws "${moto[@]}" sqs create-queue --queue-name codewarden-demo-findings --query QueueUrl --output text)
  aws "${moto[@]}" sqs purge-queue --queue-url "$queue_url" >/dev/null 2>&1 || true
  queue_arn=$(aws "${moto[@]}" sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn \
    --query Attributes.QueueArn --output text)
  run aws "${moto[@]}" sns subscribe --topic-arn "$topic_arn" --protocol sqs \
    --notification-endpoint "$queue_arn" --output json

  note ""
  note "A clean first commit, then one planting a (fake, but real-looking) AWS key at line 3:"
  demo_git init -q "$src"
  old=$(commit_file "$src" README.md "Add README" <<<"# payments")
  demo_git_remote "$src" push "$repo" main -q
  new=$(commit_file "$src" config/prod.env "Add production settings" <<EOF
# production
region = eu-west-1
aws_access_key_id = $key
EOF
)
  demo_git_remote "$src" push "$repo" main -q
  event=$(secret_push_event "$repo" "$old" "$new")

  note ""
  note "The push event, through the Lambda runtime API (cargo lambda watch), delivered twice:"
  local fn_env=(FINDINGS_TOPIC_ARN="$topic_arn" REPORT_BUCKET="$bucket" S3_FORCE_PATH_STYLE=true RUST_LOG=warn)
  local watch_pid="" port=9000 i
  if command -v cargo-lambda >/dev/null 2>&1; then
    local env_args=()
    for i in "${fn_env[@]}" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" \
      AWS_ENDPOINT_URL_CODECOMMIT="$AWS_ENDPOINT_URL_CODECOMMIT" AWS_REGION="$AWS_REGION" \
      AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"; do
      env_args+=(--env-var "$i")
    done
    cargo lambda watch --ignore-changes --invoke-port "$port" "${env_args[@]}" \
      >"$WORK/secret-scanner-watch.log" 2>&1 &
    watch_pid=$!
    for i in $(seq 1 120); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 1
    done
  fi
  for i in 1 2; do
    if [ -n "$watch_pid" ]; then
      run cargo lambda invoke secret-scanner --invoke-port "$port" --data-file "$event"
      echo
    else
      note "(cargo-lambda not found: the same handler through its invoke example)"
      run env "${fn_env[@]}" "$TARGET_DIR/debug/examples/secret-scanner-invoke" "$event"
    fi
  done
  [ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null || true

  note ""
  note "What the subscriber received: one alert (subject, attributes, then the text an email shows):"
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
    if sys.argv[1] in m["Body"]:
        sys.exit("the credential leaked into the alert")
' "$key"

  note ""
  note "The comment on the commit, at the line (CodeCommit, local-aws):"
  run aws codecommit get-comments-for-compared-commit --repository-name "$repo" \
    --before-commit-id "$old" --after-commit-id "$new" \
    --query 'commentsForComparedCommitData[].{location: location, comments: comments[].content}' --output json

  note ""
  note "The findings report the approval gate reads (S3):"
  run aws "${moto[@]}" s3 cp "s3://$bucket/findings/$repo/$new.json" "$WORK/secrets-report.json" --only-show-errors
  "$ROOT/.venv/bin/python" -m json.tool "$WORK/secrets-report.json"
  if grep -q "$key" "$WORK/secrets-report.json"; then
    note "the credential leaked into the report"
    return 1
  fi
}

# pr_event KIND PR OUT: the EventBridge event of pull request PR (KIND
# pullRequestCreated or pullRequestSourceBranchUpdated) for its current state.
pr_event() {
  local kind=$1 pr=$2 out=$3
  aws codecommit get-pull-request --pull-request-id "$pr" --output json >"$out.pr"
  "$ROOT/.venv/bin/python" - "$kind" "$out.pr" "$out" <<'EOF'
import json, sys
kind, pr_file, out = sys.argv[1:]
pr = json.load(open(pr_file))["pullRequest"]
target = pr["pullRequestTargets"][0]
sample = "codecommit-pr-created" if kind == "pullRequestCreated" else "codecommit-pr-source-updated"
event = json.load(open(f"events/{sample}.json"))
event["detail"].update(event=kind, pullRequestId=pr["pullRequestId"], revisionId=pr["revisionId"],
                       repositoryNames=[target["repositoryName"]], sourceCommit=target["sourceCommit"],
                       destinationCommit=target["destinationCommit"], mergeBase=target.get("mergeBase"),
                       sourceReference=target["sourceReference"])
json.dump(event, open(out, "w"), indent=2)
EOF
  printf '%s' "$out"
}

# push protection: `codewarden protect` installs an approval rule template
# that waits for the secret scanner's approval; a pull request adding a key
# cannot merge; after the fix commit the scanner approves and it merges.
# The scanner calls as its role (access key `scanner`, see local-stack.sh),
# the developer as the default user.
scenario_push_protection() {
  section "push protection: a pull request with a key cannot merge until codewarden approves"
  local repo=demo-protect src="$WORK/protect-src" key=AKIAZ7Q3XK2LMNB4RT6Y
  local moto=(--endpoint-url "$AWS_ENDPOINT_URL")
  local bucket topic_arn base pr event fixed revision
  bucket=codewarden-demo-protect-$(date +%s)
  rm -rf "${LOCAL_AWS_REPOS:?}/$repo" "${LOCAL_AWS_REPOS:?}/$repo.git"
  aws codecommit create-repository --repository-name "$repo" --output json >/dev/null
  aws "${moto[@]}" s3api create-bucket --bucket "$bucket" --output json >/dev/null
  topic_arn=$(aws "${moto[@]}" sns create-topic --name codewarden-demo-protect --query TopicArn --output text)
  demo_git init -q "$src"
  base=$(commit_file "$src" README.md "Add README" <<<"# payments")
  demo_git_remote "$src" push "$repo" main -q

  note ""
  note "Setup, run twice (idempotent): the template requires 1 approval by the scanner's role sessions"
  local role=arn:aws:iam::123456789012:role/codewarden-secret-scanner
  for _ in 1 2; do
    run "$TARGET_DIR/debug/codewarden" protect --scanner-role-arn "$role" --repositories "$repo" --branch main
  done
  run aws codecommit get-approval-rule-template --approval-rule-template-name codewarden-secret-scan \
    --query approvalRuleTemplate.approvalRuleTemplateContent --output text

  note ""
  note "A developer opens a pull request whose branch plants a (fake) AWS key:"
  demo_git -C "$src" checkout -q -b feature/settings
  commit_file "$src" config/prod.env "Add production settings" >/dev/null <<EOF
# production
aws_access_key_id = $key
EOF
  demo_git_remote "$src" push "$repo" feature/settings -q
  pr=$(aws codecommit create-pull-request --title "Add production settings" \
    --targets "repositoryName=$repo,sourceReference=feature/settings,destinationReference=main" \
    --query pullRequest.pullRequestId --output text)
  run aws codecommit get-pull-request --pull-request-id "$pr" \
    --query 'pullRequest.approvalRules[].{rule: approvalRuleName, template: originApprovalRuleTemplate.approvalRuleTemplateName}' --output json

  local fn_env=(FINDINGS_TOPIC_ARN="$topic_arn" REPORT_BUCKET="$bucket" S3_FORCE_PATH_STYLE=true RUST_LOG=warn
    AWS_ACCESS_KEY_ID=scanner)
  note ""
  note "The pullRequestCreated event, handled by the scanner (delivered twice):"
  event=$(pr_event pullRequestCreated "$pr" "$WORK/protect-created.json")
  for _ in 1 2; do
    run env "${fn_env[@]}" "$TARGET_DIR/debug/examples/secret-scanner-invoke" "$event"
  done
  revision=$(aws codecommit get-pull-request --pull-request-id "$pr" --query pullRequest.revisionId --output text)
  run aws codecommit evaluate-pull-request-approval-rules --pull-request-id "$pr" --revision-id "$revision" --output json
  note ""
  note "Merging is refused:"
  if run aws codecommit merge-pull-request-by-fast-forward --pull-request-id "$pr" --repository-name "$repo" --output json; then
    note "the unapproved pull request merged"
    return 1
  fi
  note ""
  note "The scanner's one summary comment on the pull request:"
  run aws codecommit get-comments-for-pull-request --pull-request-id "$pr" \
    --query 'commentsForPullRequestData[?location==null].comments[].content' --output text

  note ""
  note "The developer rotates the key and pushes a fix; the scanner handles pullRequestSourceBranchUpdated:"
  fixed=$(commit_file "$src" config/prod.env "Read the key from Secrets Manager" <<<"# production: the key comes from Secrets Manager")
  demo_git_remote "$src" push "$repo" feature/settings -q
  event=$(pr_event pullRequestSourceBranchUpdated "$pr" "$WORK/protect-updated.json")
  run env "${fn_env[@]}" "$TARGET_DIR/debug/examples/secret-scanner-invoke" "$event"
  run aws codecommit get-comments-for-pull-request --pull-request-id "$pr" \
    --query 'commentsForPullRequestData[?location==null].comments[].content' --output text
  run aws codecommit merge-pull-request-by-fast-forward --pull-request-id "$pr" --repository-name "$repo" \
    --query 'pullRequest.pullRequestTargets[0].mergeMetadata' --output json
  run aws codecommit get-branch --repository-name "$repo" --branch-name main --query branch.commitId --output text
  if [ "$(aws codecommit get-branch --repository-name "$repo" --branch-name main --query branch.commitId --output text)" != "$fixed" ]; then
    note "main is not at the fix commit"
    return 1
  fi
  if aws codecommit get-comments-for-pull-request --pull-request-id "$pr" --output json | grep -q "$key"; then
    note "the credential leaked into a comment"
    return 1
  fi
  note "merged: main moved from ${base:0:8} to the fix ${fixed:0:8}"
}

# backup_push_event REPO: events/codecommit-push.json for REPO, in $WORK.
backup_push_event() {
  "$ROOT/.venv/bin/python" - "$1" "$WORK/push-$1.json" <<'EOF'
import json, sys
repo, out = sys.argv[1:]
event = json.load(open("events/codecommit-push.json"))
event["detail"]["repositoryName"] = repo
json.dump(event, open(out, "w"), indent=2)
EOF
  printf '%s' "$WORK/push-$1.json"
}

# repo-backup: push, back up (full bundle), push again, back up (only the
# new objects), list the backups, restore them with `codewarden restore`
# (no git binary involved) and compare the restored repository with the
# source, ref by ref and object by object, with stock git.
scenario_repo_backup() {
  section "repo-backup: incremental git bundles in S3, restored with git"
  local repo=demo-backup src="$WORK/backup-src" dest="$WORK/backup-restored.git"
  local bucket event
  bucket=codewarden-demo-backups-$(date +%s)
  rm -rf "${LOCAL_AWS_REPOS:?}/$repo" "${LOCAL_AWS_REPOS:?}/$repo.git"
  aws codecommit create-repository --repository-name "$repo" --output json >/dev/null
  run aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket "$bucket" --output json
  local backup_env=(env BACKUP_BUCKET="$bucket" S3_FORCE_PATH_STYLE=true MIRROR_DIR="$WORK/backup-mirror"
    FULL_BUNDLE_EVERY=30 RUST_LOG=warn)

  note ""
  note "Two commits, a branch and a tag, pushed over HTTP:"
  demo_git init -q "$src"
  commit_file "$src" README.md "Add README" >/dev/null <<<"# backed up"
  commit_file "$src" src/app.py "Add the app" >/dev/null <<<"print('v1')"
  demo_git -C "$src" branch feature
  demo_git -C "$src" tag -a v1 -m "release 1"
  demo_git_remote "$src" push "$repo" main feature v1 -q
  event=$(backup_push_event "$repo")

  note ""
  note "The push event -> the first backup, a full bundle:"
  run "${backup_env[@]}" "$TARGET_DIR/debug/examples/repo-backup-invoke" "$event"

  note ""
  note "One more commit, the feature branch deleted; the next backup holds only the new objects:"
  commit_file "$src" src/app.py "Version 2" >/dev/null <<<"print('v2')"
  demo_git_remote "$src" push "$repo" main :feature -q
  run "${backup_env[@]}" "$TARGET_DIR/debug/examples/repo-backup-invoke" "$event"

  run "$TARGET_DIR/debug/codewarden" backups list --bucket "$bucket" --s3-path-style --repo "$repo"

  note ""
  note "Restore the latest state into a new bare repository, then compare with the source:"
  rm -rf "$dest"
  run "$TARGET_DIR/debug/codewarden" restore --bucket "$bucket" --s3-path-style --repo "$repo" "$dest"
  local want got
  want=$(demo_git -C "$src" for-each-ref --format='%(objectname) %(refname)' refs/heads/main refs/tags)
  got=$(demo_git --git-dir "$dest" for-each-ref --format='%(objectname) %(refname)')
  run demo_git --git-dir "$dest" for-each-ref
  if [ "$want" != "$got" ]; then
    note "the restored refs differ from the source's:"
    diff <(echo "$want") <(echo "$got") || true
    return 1
  fi
  if [ "$(demo_git -C "$src" rev-list --objects main v1 | sort)" != "$(demo_git --git-dir "$dest" rev-list --objects --all | sort)" ]; then
    note "the restored objects differ from the source's"
    return 1
  fi
  run demo_git --git-dir "$dest" fsck --full --strict --no-dangling
  rm -rf "$WORK/backup-clone"
  run demo_git clone -q "$dest" "$WORK/backup-clone"
  run demo_git -C "$WORK/backup-clone" log --oneline --decorate
  note "restored refs = source refs, objects identical, fsck clean, git clone works"
  note ""
  note "The point before the deletion is still there (--seq 1): the feature branch comes back:"
  rm -rf "$dest-1"
  run "$TARGET_DIR/debug/codewarden" restore --bucket "$bucket" --s3-path-style --repo "$repo" --seq 1 "$dest-1"
  run demo_git --git-dir "$dest-1" branch --list
}

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

# --- approvals: manual approvals through the policy and signed links ----------
APPROVAL_DEMO_REPO=codewarden-demo-gate

# The artifact revision of COMMIT in the demo repository, as CodePipeline records it.
approval_demo_revision() {
  printf '{"revisionId": "%s", "revisionSummary": "Release 1.4.0", "revisionUrl": "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/%s/commit/%s?region=us-east-1"}' \
    "$1" "$APPROVAL_DEMO_REPO" "$1"
}

# Seeds a succeeded execution of COMMIT: the last release, where the gate's history starts.
approval_demo_released() {
  local pipeline=$1 execution=$2 commit=$3
  curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/executions" -H 'Content-Type: application/json' -d '{
    "pipelineName": "'"$pipeline"'", "pipelineExecutionId": "'"$execution"'", "status": "Succeeded",
    "startTime": "2025-12-01T00:00:00Z", "artifactRevisions": ['"$(approval_demo_revision "$commit")"'],
    "actions": [{"stageName": "Source", "actionName": "Source"}, {"stageName": "Build", "actionName": "Build"},
                {"stageName": "Approve", "actionName": "ManualApproval"}, {"stageName": "Deploy", "actionName": "Deploy"}]}' >/dev/null
}

# Seeds an execution of COMMIT waiting at the approval and prints its token.
approval_demo_seed() {
  local pipeline=$1 execution=$2 commit=$3
  curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/executions" -H 'Content-Type: application/json' -d '{
    "pipelineName": "'"$pipeline"'", "pipelineExecutionId": "'"$execution"'",
    "trigger": {"triggerType": "CloudWatchEvent", "triggerDetail": "codecommit push to main"},
    "artifactRevisions": ['"$(approval_demo_revision "$commit")"'],
    "actions": [{"stageName": "Source", "actionName": "Source"}, {"stageName": "Build", "actionName": "Build"}]}' >/dev/null
  curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/approvals" -H 'Content-Type: application/json' -d '{
    "pipelineName": "'"$pipeline"'", "stageName": "Approve", "actionName": "ManualApproval",
    "pipelineExecutionId": "'"$execution"'"}' |
    "$ROOT/.venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# The SNS event the Manual approval action publishes, for TOKEN, expiring in a day.
approval_demo_event() {
  local token=$1 file=$2
  "$ROOT/.venv/bin/python" - "$token" "$file" <<'PY'
import datetime, json, sys
token, file = sys.argv[1], sys.argv[2]
event = json.load(open("events/sns-approval.json"))
message = json.loads(event["Records"][0]["Sns"]["Message"])
message["approval"]["token"] = token
expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
message["approval"]["expires"] = expires.strftime("%Y-%m-%dT%H:%MZ")
event["Records"][0]["Sns"]["Message"] = json.dumps(message)
json.dump(event, open(file, "w"))
PY
}

# A function URL request: GET of URL, or POST of FORM (urlencoded) to it.
approval_demo_request() {
  local method=$1 url=$2 form=$3 file=$4
  "$ROOT/.venv/bin/python" - "$method" "$url" "$form" "$file" <<'PY'
import base64, json, sys, urllib.parse
method, url, form, file = sys.argv[1:5]
if method == "GET":
    event = json.load(open("events/function-url-get.json"))
    query = urllib.parse.urlsplit(url).query
    event["rawQueryString"] = query
    event["queryStringParameters"] = dict(urllib.parse.parse_qsl(query))
else:
    event = json.load(open("events/function-url-post.json"))
    event["body"] = base64.b64encode(form.encode()).decode()
    event["isBase64Encoded"] = True
event["rawPath"] = "/"
event["requestContext"]["http"]["path"] = "/"
json.dump(event, open(file, "w"))
PY
}

# Status and the page's first paragraph, from a function URL response.
approval_demo_show() {
  "$ROOT/.venv/bin/python" -c '
import json, re, sys
response = json.load(sys.stdin)
body = response.get("body") or ""
h1 = re.search(r"<h1>(.*?)</h1>", body)
p = re.search(r"<p>(.*?)</p>", body)
print("  HTTP %s: %s" % (response["statusCode"], h1.group(1) if h1 else ""))
print("  " + re.sub(r"<[^>]+>", "", p.group(1) if p else "").replace("&#x27;", "'"'"'"))
' "$WORK/approve-url"
}

# What local-aws's CodePipeline recorded for each approval.
approval_demo_recorded() {
  printf '\n\033[36m$ curl -sS %s\033[0m\n' "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/approvals"
  curl -sS "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/approvals" | "$ROOT/.venv/bin/python" -c '
import json, sys
for a in json.load(sys.stdin):
    print("  %-15s %-8s %s" % (a["pipelineExecutionId"], a["status"], a.get("summary", "")))
'
}

scenario_approvals() {
  section "approval-gate / approval-callback: policy-driven approvals with signed links"
  local pipeline=codewarden-demo-pipeline repo=$APPROVAL_DEMO_REPO
  local src="${LOCAL_AWS_REPOS:?}/$APPROVAL_DEMO_REPO"
  local released clean leaky fixed unscanned
  local moto=(--endpoint-url "$AWS_ENDPOINT_URL")
  local bucket topic_arn queue_url queue_arn secret_arn token out
  bucket=codewarden-demo-findings-$(date +%s)

  note "The findings bucket, the approvers topic (delivering to a queue we read) and the signing secret (moto):"
  run aws "${moto[@]}" s3api create-bucket --bucket "$bucket" --output json
  topic_arn=$(aws "${moto[@]}" sns create-topic --name codewarden-demo-approvers --query TopicArn --output text)
  queue_url=$(aws "${moto[@]}" sqs create-queue --queue-name codewarden-demo-approvers --query QueueUrl --output text)
  aws "${moto[@]}" sqs purge-queue --queue-url "$queue_url" >/dev/null 2>&1 || true
  queue_arn=$(aws "${moto[@]}" sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn \
    --query Attributes.QueueArn --output text)
  aws "${moto[@]}" sns subscribe --topic-arn "$topic_arn" --protocol sqs --notification-endpoint "$queue_arn" >/dev/null
  secret_arn=$(aws "${moto[@]}" secretsmanager create-secret --name "codewarden-demo-approval-$(date +%s)" \
    --secret-string "$("$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')" \
    --query ARN --output text)
  note "signing secret: $secret_arn"

  note ""
  note "The pipeline (local-aws CodePipeline): Source -> Build -> Approve (manual) -> Deploy"
  run curl -sS -X POST "$LOCAL_AWS_ENDPOINT/_admin/codepipeline/pipelines" -H 'Content-Type: application/json' -d '{
    "name": "'"$pipeline"'", "stages": [
      {"name": "Source", "actions": [{"name": "Source", "category": "Source",
        "configuration": {"RepositoryName": "'"$repo"'", "BranchName": "main"}}]},
      {"name": "Build", "actions": [{"name": "Build", "category": "Build"}]},
      {"name": "Approve", "actions": [{"name": "ManualApproval", "category": "Approval"}]},
      {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy"}]}]}'
  echo

  # Reports as secret-scanner writes them: approval_demo_report COMMIT [FINDING].
  approval_demo_report() {
    local count=0
    [ -z "${2:-}" ] || count=1
    printf '{"schema": "codewarden/findings-report@1", "repository": "%s", "commitId": "%s",
      "ref": "refs/heads/main", "scannedAt": "2026-01-01T00:00:00Z", "findingCount": %s, "findings": [%s],
      "skipped": {"binary": 0, "submodule": 0, "tooLarge": 0}, "truncated": false}' \
      "$repo" "$1" "$count" "${2:-}" >"$WORK/report-$1.json"
    aws "${moto[@]}" s3 cp "$WORK/report-$1.json" "s3://$bucket/findings/$repo/$1.json" >/dev/null
  }

  note ""
  note "The repository (local-aws CodeCommit), released once; the gate checks every commit since that release:"
  rm -rf "$src" "$src.git"
  demo_git init -q "$src"
  released=$(commit_file "$src" app.py "Initial app" <<<'def handler(event, context): return {"ok": True}')
  approval_demo_report "$released"
  approval_demo_released "$pipeline" exec-released "$released"
  clean=$(commit_file "$src" README.md "Add README" <<<"# demo")
  approval_demo_report "$clean"

  local policy='{"rules": [{"pipeline": "'"$pipeline"'", "stage": "Approve", "autoApprove": true,
    "changeWindows": [{"timeZone": "UTC", "days": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"], "start": "00:00", "end": "24:00"}]}]}'
  approval_demo_gate() {
    APPROVERS_TOPIC_ARN=$topic_arn CALLBACK_URL=https://demo.lambda-url.us-east-1.on.aws/ \
      SIGNING_SECRET_ARN=$secret_arn FINDINGS_BUCKET=$bucket S3_FORCE_PATH_STYLE=true RUST_LOG=warn \
      APPROVAL_POLICY=$1 run "$TARGET_DIR/debug/examples/invoke_gate" "$2"
  }
  approval_demo_callback() {
    SIGNING_SECRET_ARN=$secret_arn RUST_LOG=warn "$TARGET_DIR/debug/examples/invoke_callback" "$1"
  }

  note ""
  note "1. Commit ${clean:0:8}, the only one since the release, scanned clean, stage allow-listed, inside the change window: approved by policy"
  token=$(approval_demo_seed "$pipeline" exec-clean "$clean")
  approval_demo_event "$token" "$WORK/approval-clean.json"
  approval_demo_gate "$policy" "$WORK/approval-clean.json"

  note ""
  leaky=$(commit_file "$src" deploy.sh "Add deploy script" <<<'export AWS_ACCESS_KEY_ID=AKIAZ7Q3XK2LMNB4RT6Y')
  approval_demo_report "$leaky" '{"ruleId": "aws-access-key-id", "severity": "high", "path": "deploy.sh", "line": 1,
    "column": 26, "masked": "AKIA****************", "fingerprint": "sha256:5e1c"}'
  fixed=$(commit_file "$src" README.md "Fix README" <<<"# demo (fixed)")
  approval_demo_report "$fixed"
  note "2. Commit ${leaky:0:8} adds a key, commit ${fixed:0:8} fixes the README on top: rejected at ${fixed:0:8}, naming ${leaky:0:8}"
  token=$(approval_demo_seed "$pipeline" exec-leaky "$fixed")
  approval_demo_event "$token" "$WORK/approval-leaky.json"
  approval_demo_gate "$policy" "$WORK/approval-leaky.json"

  note ""
  demo_git -C "$src" checkout -q -b hotfix "$clean"
  unscanned=$(commit_file "$src" app.py "Hotfix" <<<'def handler(event, context): return {"ok": False}')
  note "3. Commit ${unscanned:0:8} (a hotfix on ${clean:0:8}) was not scanned: the approvers get signed links"
  token=$(approval_demo_seed "$pipeline" exec-unscanned "$unscanned")
  approval_demo_event "$token" "$WORK/approval-unscanned.json"
  approval_demo_gate "$policy" "$WORK/approval-unscanned.json"
  out=$(aws "${moto[@]}" sqs receive-message --queue-url "$queue_url" --max-number-of-messages 10 --output json)
  printf '%s' "$out" | "$ROOT/.venv/bin/python" -c '
import json, sys
for m in json.load(sys.stdin).get("Messages", []):
    envelope = json.loads(m["Body"])
    request = json.loads(envelope["Message"])
    print("\n  Subject: " + envelope["Subject"] + "\n")
    print("\n".join("    " + line for line in request["text"].splitlines()))
    open(sys.argv[1], "w").write(request["approveUrl"])
' "$WORK/approve-url"
  local url
  url=$(cat "$WORK/approve-url")

  note ""
  note "A mail scanner opens the Approve link (GET): a confirmation page, nothing decided"
  approval_demo_request GET "$url" "" "$WORK/get.json"
  approval_demo_callback "$WORK/get.json" | approval_demo_show
  approval_demo_recorded

  note ""
  note "Someone changes decision=approve to decision=reject in the link: refused"
  approval_demo_request GET "${url/decision=approve/decision=reject}" "" "$WORK/tampered.json"
  approval_demo_callback "$WORK/tampered.json" | approval_demo_show

  note ""
  note "The approver confirms on the page (POST with their name): recorded in CodePipeline"
  local form="${url#*\?}&approver=Ann+Lee&comment=staging+smoke+tests+green"
  approval_demo_request POST "" "$form" "$WORK/post.json"
  approval_demo_callback "$WORK/post.json" | approval_demo_show
  approval_demo_recorded

  note ""
  note "The same form again (a replay): already decided"
  approval_demo_callback "$WORK/post.json" | approval_demo_show
}

for name in "${SELECTED[@]}"; do
  "scenario_$name"
done

section "done"
note "Scenarios run: ${SELECTED[*]}"
