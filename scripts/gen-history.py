#!/usr/bin/env python3
"""Writes a deterministic git history as a `git fast-import` stream.

Used by scripts/bench-history.sh (and the secret-scanner's git-path tests
through it): COMMITS linear commits on `main` over FILES source-like files;
every commit changes one or two files a few lines at a time. At
PLANTS evenly spaced commits a fake but well-formed credential of a known
kind is added to a file, and three commits later removed again, so it
lives in the history only (what a full-history sweep is for).

    gen-history.py STREAM MANIFEST [--commits N] [--files N] [--plants N] [--seed N]

STREAM receives the fast-import stream (`git fast-import < STREAM`);
MANIFEST a JSON list of the plants: {"mark", "commit_index", "path",
"kind", "lines"} (the commit is `:<mark>` in fast-import's marks file).
The credentials are never printed. The same arguments give the same bytes,
on any Python 3.
"""

import argparse
import json
import sys
import zlib

WORDS = (
    "request response buffer handler config value index count result client "
    "server session user account record entry parser writer reader stream "
    "cache metrics region bucket object commit branch message event state "
    "retry timeout limit offset items total path name header body status "
    "error context builder options payload digest schema version token key "
    "secret password api auth"
).split()
EXTENSIONS = ("rs", "py", "js", "go", "yaml", "md", "java", "ts")
UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
KINDS = ("aws-access-key", "stripe-live-key", "github-pat", "slack-bot-token")
MASK64 = (1 << 64) - 1


class Rng:
    """xorshift64*, the generator of `codewarden bench-corpus`."""

    def __init__(self, seed):
        self.state = ((seed * 0x9E3779B97F4A7C15) | 1) & MASK64

    def next(self):
        s = self.state
        s ^= s >> 12
        s ^= (s << 25) & MASK64
        s ^= s >> 27
        self.state = s
        return (s * 0x2545F4914F6CDD1D) & MASK64

    def below(self, n):
        return self.next() % n

    def word(self):
        return WORDS[self.below(len(WORDS))]

    def plain(self):
        return WORDS[self.below(len(WORDS) - 6)]

    def string(self, alphabet, length):
        return "".join(alphabet[self.below(len(alphabet))] for _ in range(length))


def code_line(rng, depth):
    indent = "    " * depth
    a, b, c, n = rng.word(), rng.word(), rng.word(), rng.below(10000)
    choice = rng.below(7)
    if choice == 0:
        return f"{indent}// {a} the {b} before the {c} is ready ({n})"
    if choice == 1:
        return f"{indent}let {a}_{b} = {c}.get_{a}({n});"
    if choice == 2:
        return f"{indent}if {a}.{b} > {n} {{ return {c}_{a}(); }}"
    if choice == 3:
        return f'{indent}log("{a} {b} failed: {{}}", {c});'
    if choice == 4:
        return f'{indent}{rng.plain()}_{rng.plain()}: "{c}-{n}"'
    if choice == 5:
        return f"{indent}fn {a}_{b}({c}: u32) {{ {a}.{b}({n}) }}"
    return f"{indent}{a} = {b}[{n}] + {c}"


def base62(value, width):
    out = []
    for _ in range(width):
        out.append(ALNUM[value % 62])
        value //= 62
    return "".join(reversed(out))


def plant(rng, kind):
    """The lines of a fake credential of `kind`, in a realistic setting."""
    if kind == "aws-access-key":
        return [
            f"aws_access_key_id = AKIA{rng.string(UPPER32, 16)}",
            f"aws_secret_access_key = {rng.string(B64, 40)}",
        ]
    if kind == "stripe-live-key":
        return [f'STRIPE_KEY = "sk_live_{rng.string(ALNUM, 24)}"']
    if kind == "github-pat":
        body = rng.string(ALNUM, 30)
        checksum = base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
        return [f"github_token: ghp_{body}{checksum}"]
    team = 1000000000 + rng.below(8999999999)
    user = 1000000000 + rng.below(8999999999)
    return [f'SLACK_BOT_TOKEN = "xoxb-{team}-{user}-{rng.string(ALNUM, 24)}"']


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stream")
    parser.add_argument("manifest")
    parser.add_argument("--commits", type=int, default=10000)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--plants", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.commits < 2 or args.files < 4 or args.plants < 0:
        parser.error("need --commits >= 2, --files >= 4 and --plants >= 0")
    if args.plants and args.commits // args.plants < 8:
        parser.error("too many plants for the commits: at least 8 commits per plant")

    rng = Rng(args.seed)
    paths = [
        f"src/pkg{i // 32:02}/module_{i:04}.{EXTENSIONS[i % len(EXTENSIONS)]}"
        for i in range(args.files)
    ]
    files = {p: [code_line(rng, rng.below(3)) for _ in range(60 + rng.below(120))] for p in paths}
    spacing = args.commits // args.plants if args.plants else 0
    plant_at = {spacing * k + spacing // 2: k for k in range(args.plants)} if spacing else {}
    removals = {}  # commit index -> (path, lines) to take out again
    busy = set()  # paths holding a plant: no other change until removed
    manifest = []
    time = 1_700_000_000

    out = open(args.stream, "wb")

    def data(text):
        raw = text.encode()
        out.write(b"data %d\n" % len(raw))
        out.write(raw)
        out.write(b"\n")

    for index in range(args.commits):
        mark = index + 1
        changed = []
        summary = f"change {index}"
        if index == 0:
            changed = list(paths)
            summary = "initial import"
        elif index in removals:
            path, lines = removals.pop(index)
            body = files[path]
            at = body.index(lines[0])
            del body[at : at + len(lines)]
            busy.discard(path)
            changed = [path]
            summary = f"remove a credential from {path}"
        elif index in plant_at:
            kind = KINDS[plant_at[index] % len(KINDS)]
            candidates = [p for p in paths if p not in busy]
            path = candidates[rng.below(len(candidates))]
            lines = plant(rng, kind)
            body = files[path]
            at = rng.below(len(body))
            body[at:at] = lines
            busy.add(path)
            removals[index + 3] = (path, lines)
            changed = [path]
            manifest.append(
                {"mark": mark, "commit_index": index, "path": path, "kind": kind, "lines": len(lines)}
            )
            summary = f"configure {path}"
        else:
            for _ in range(1 + rng.below(2)):
                path = paths[rng.below(len(paths))]
                if path in busy or path in changed:
                    continue
                body = files[path]
                for _ in range(1 + rng.below(4)):
                    op = rng.below(3)
                    if op == 0 and len(body) > 20:
                        del body[rng.below(len(body))]
                    elif op == 1:
                        body.insert(rng.below(len(body) + 1), code_line(rng, rng.below(3)))
                    else:
                        body[rng.below(len(body))] = code_line(rng, rng.below(3))
                changed.append(path)
            if not changed:
                path = next(p for p in paths if p not in busy)
                files[path].append(code_line(rng, 0))
                changed = [path]
        out.write(b"commit refs/heads/main\n")
        out.write(b"mark :%d\n" % mark)
        stamp = f"{time + index * 600} +0000"
        out.write(f"author Dev Eloper <dev@example.com> {stamp}\n".encode())
        out.write(f"committer Dev Eloper <dev@example.com> {stamp}\n".encode())
        data(summary + "\n")
        if index > 0:
            out.write(b"from :%d\n" % (mark - 1))
        for path in changed:
            out.write(f"M 100644 inline {path}\n".encode())
            data("\n".join(files[path]) + "\n")
        out.write(b"\n")
    out.close()
    with open(args.manifest, "w") as handle:
        json.dump(manifest, handle, indent=1)
    print(f"{args.commits} commits, {args.files} files, {len(manifest)} planted credentials", file=sys.stderr)


if __name__ == "__main__":
    main()
