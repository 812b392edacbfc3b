#!/usr/bin/env bash
# Benchmark of repo-backup against the local stack: a repository of
# $COMMITS commits (default 5000, generated with git fast-import) in
# local-aws, a full backup, one more commit, an incremental backup. Prints,
# for each, the bundle size, the bytes uploaded and the wall-clock time of
# the whole invocation (ref listing, fetch into a fresh mirror, pack, upload,
# manifest).
#
#   scripts/local-stack.sh up && . .local/env
#   scripts/bench-backup.sh [COMMITS]
#
# The handler runs as in Lambda (Config::from_env, AWS_ENDPOINT_URL*,
# CODEWARDEN_GIT_ENDPOINT) through the repo-backup-invoke example, built
# with the workspace's dev profile (dependencies at opt-level 2).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMITS=${1:-5000}
: "${LOCAL_AWS_REPOS:?start the stack first: scripts/local-stack.sh up && . .local/env}"
: "${AWS_ENDPOINT_URL:?start the stack first: scripts/local-stack.sh up && . .local/env}"
command -v git >/dev/null || { echo "bench-backup.sh: needs git (apt-get install git)" >&2; exit 2; }

# --workspace: the workspace build's features, so its artifacts are reused.
cargo build -q --workspace --example repo-backup-invoke
INVOKE=${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/repo-backup-invoke

stamp=$(date +%s)
repo=bench-backup-$stamp
bucket=codewarden-bench-backups-$stamp
src=$LOCAL_AWS_REPOS/$repo
work=$(mktemp -d)
trap 'rm -rf "$work" "$src"' EXIT

bgit() {
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
    GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com \
    GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com git "$@"
}

echo "generating $COMMITS commits (git fast-import) in $src"
bgit init -q -b main "$src"
python3 - "$COMMITS" <<'EOF' | bgit -C "$src" fast-import --quiet
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(1, n + 1):
    # 400 files; each commit rewrites one with ~2 KB of text that changes a little.
    path = f"src/module_{i % 400:03d}.txt"
    body = "".join(f"line {j} of {path}, revision {i // 400}, commit {i}\n" for j in range(40)).encode()
    msg = f"commit {i}\n".encode()
    out.write(b"commit refs/heads/main\n")
    out.write(f"committer Bench <bench@example.com> {1700000000 + i} +0000\n".encode())
    out.write(b"data %d\n" % len(msg) + msg)
    # fast-import continues the branch: no `from` needed after the first.
    out.write(f"M 100644 inline {path}\n".encode())
    out.write(b"data %d\n" % len(body) + body + b"\n")
EOF
bgit -C "$src" reset -q --hard main
bgit -C "$src" tag -a v1 -m "release 1"
echo "source: $(bgit -C "$src" rev-list --count main) commits, $(bgit -C "$src" count-objects -v | awk '/size-pack/ {print $2}') KiB packed"

aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket "$bucket" >/dev/null
python3 - "$repo" "$work/push.json" <<'EOF'
import json, sys
repo, out = sys.argv[1:]
event = json.load(open("events/codecommit-push.json"))
event["detail"]["repositoryName"] = repo
json.dump(event, open(out, "w"))
EOF

backup() {
  local start end
  start=$(date +%s.%N)
  BACKUP_BUCKET=$bucket S3_FORCE_PATH_STYLE=true MIRROR_DIR=$work/mirror RUST_LOG=warn \
    "$INVOKE" "$work/push.json" >"$work/out.json"
  end=$(date +%s.%N)
  python3 - "$1" "$work/out.json" "$start" "$end" <<'EOF'
import json, sys
label, path, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
outcome = json.loads(open(path).read().rsplit(" elapsed_ms=", 1)[0])
(_, r), = outcome["results"]
print(f"{label:<28} seq={r['seq']} full={str(r['full']).lower():<5} objects={r['objects']:>6} "
      f"bundle={r['size']:>9} B  uploaded={r['uploaded']:>9} B  time={end - start:6.2f} s")
EOF
}

echo
backup "full backup ($COMMITS commits)"
printf 'one more line\n' >>"$src/src/module_001.txt"
bgit -C "$src" commit -q -am "one more commit"
backup "incremental (1 commit)"
