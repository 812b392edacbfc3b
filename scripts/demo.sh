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
bash scripts/local-stack.sh up
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

# Will feed a failed CodePipeline execution / CodeBuild build event and show
# the one actionable alert (and the "recovered" notice).
scenario_failure_notifier() { planned "failure-notifier: one actionable alert per failed execution" failure-notifier; }

# Will send a manual-approval notification through the policy and follow the
# signed approve link to PutApprovalResult.
scenario_approvals() { planned "approval-gate / approval-callback: policy-driven approvals with signed links" "approval-gate / approval-callback"; }

for name in "${SELECTED[@]}"; do
  "scenario_$name"
done

section "done"
note "Scenarios run: ${SELECTED[*]}"
