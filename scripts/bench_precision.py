#!/usr/bin/env python3
"""Precision of `codewarden scan` on the public rule sets' own samples.

Reads the rule sets of Kingfisher (YAML rules with `examples` and
`negative_examples`) and gitleaks (Go rule generators with `tps` and `fps`
sample lists) from git checkouts or bare mirrors given on the command line,
writes every sample to a file of its own, scans them all with one
`codewarden scan --format json` run, and counts per source:

- negatives flagged: files with at least one finding (file level: a finding
  by any of our rules counts, whatever rule the sample was written for);
- positives detected: files with at least one finding.

Nothing of the rule sets is copied into this repository: they are read at
run time. Python 3.11 standard library only (YAML and Go are read by the
small subset readers below, which cover what the two rule sets use; what
they cannot evaluate is counted as skipped, never guessed).

Usage: bench_precision.py --codewarden BIN --kingfisher DIR --gitleaks DIR
       [--work DIR] [--list] [--list-positives]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:  # the parser of `re`, used to generate strings matching a regex
    import re._parser as sre_parse  # Python >= 3.11
    import re._constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore
    import sre_constants as sre_c  # type: ignore


@dataclass
class Sample:
    source: str  # "kingfisher" | "gitleaks"
    rule: str  # the source's rule id (or file for gitleaks)
    positive: bool
    text: str
    name: str = "sample.txt"  # file name (gitleaks path-specific samples)


# --------------------------------------------------------------------------
# Reading a rule set from a directory or a bare git repository


class Tree:
    """Files of a checkout or of HEAD in a bare repository."""

    def __init__(self, root: Path):
        self.root = root
        self.bare = (root / "HEAD").is_file() and (root / "objects").is_dir()
        if not self.bare and not root.is_dir():
            raise SystemExit(f"{root}: no such directory")

    def files(self, prefix: str, suffix: str) -> list[str]:
        if self.bare:
            out = subprocess.run(
                ["git", f"--git-dir={self.root}", "ls-tree", "-r", "--name-only", "HEAD", "--", prefix],
                check=True, capture_output=True, text=True,
            ).stdout
            names = out.splitlines()
        else:
            base = self.root / prefix
            names = [str(p.relative_to(self.root)) for p in base.rglob("*")] if base.is_dir() else []
        return sorted(n for n in names if n.endswith(suffix))

    def read(self, name: str) -> str:
        if self.bare:
            return subprocess.run(
                ["git", f"--git-dir={self.root}", "show", f"HEAD:{name}"],
                check=True, capture_output=True,
            ).stdout.decode("utf-8", "replace")
        return (self.root / name).read_text("utf-8", "replace")

    def describe(self) -> str:
        if self.bare:
            return subprocess.run(
                ["git", f"--git-dir={self.root}", "log", "-1", "--format=%h %cs", "HEAD"],
                capture_output=True, text=True,
            ).stdout.strip()
        return str(self.root)


# --------------------------------------------------------------------------
# Kingfisher: a YAML subset reader for the two sequences we need.

LIST_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>examples|negative_examples):\s*(?:#.*)?$")
ID_KEY = re.compile(r"^\s*(?:-\s+)?id:\s*['\"]?([^'\"\s]+)")


def yaml_sequence(lines: list[str], start: int, key_indent: int) -> tuple[list[str], int]:
    """Items of the block sequence after line `start` (the key's line)."""
    items: list[str] = []
    i = start + 1
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if not stripped.startswith("- ") and stripped != "-":
            if indent <= key_indent:
                break
            i += 1  # a continuation we do not expect: skip it
            continue
        if indent < key_indent:
            break
        dash = indent
        value = stripped[2:] if stripped != "-" else ""
        value, i = yaml_scalar(lines, i, dash, value)
        if value is not None:
            items.append(value)
    return items, i


def yaml_scalar(lines: list[str], i: int, dash: int, value: str) -> tuple[str | None, int]:
    """The scalar that starts with `value` on line i; returns (text, next line)."""
    if value.startswith(("|", ">")):
        folded = value.startswith(">")
        chomp = "-" if "-" in value[:3] else ("+" if "+" in value[:3] else "")
        body: list[str] = []
        i += 1
        block_indent = None
        while i < len(lines):
            line = lines[i]
            if line.strip() == "":
                body.append("")
                i += 1
                continue
            indent = len(line) - len(line.lstrip(" "))
            if indent <= dash:
                break
            if block_indent is None:
                block_indent = indent
            if indent < block_indent:
                break
            body.append(line[block_indent:])
            i += 1
        while body and body[-1] == "" and chomp != "+":
            body.pop()
        text = (" " if folded else "\n").join(body)
        if chomp != "-":
            text += "\n"
        return text, i
    if value.startswith("'"):
        buf = value[1:]
        i += 1
        while not _single_closed(buf) and i < len(lines):
            buf += " " + lines[i].strip()
            i += 1
        end = _single_end(buf)
        return buf[:end].replace("''", "'"), i
    if value.startswith('"'):
        buf = value[1:]
        i += 1
        while _double_end(buf) is None and i < len(lines):
            buf += " " + lines[i].strip() if not buf.endswith("\\") else lines[i].strip()
            i += 1
        end = _double_end(buf)
        if end is None:
            return None, i
        return _unescape(buf[:end], YAML_ESCAPES), i
    # plain scalar: up to a comment
    text = re.split(r"\s#", value, maxsplit=1)[0].rstrip()
    return text, i + 1


def _single_end(buf: str) -> int:
    k = 0
    while k < len(buf):
        if buf[k] == "'":
            if k + 1 < len(buf) and buf[k + 1] == "'":
                k += 2
                continue
            return k
        k += 1
    return -1


def _single_closed(buf: str) -> bool:
    return _single_end(buf) >= 0


def _double_end(buf: str) -> int | None:
    k = 0
    while k < len(buf):
        if buf[k] == "\\":
            k += 2
            continue
        if buf[k] == '"':
            return k
        k += 1
    return None


YAML_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", "0": "\0", " ": " "}
GO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(s: str, simple: dict[str, str]) -> str:
    """Backslash escapes of a double-quoted YAML or Go string: the one-letter
    ones in `simple`, and \\xNN, \\uNNNN, \\UNNNNNNNN."""
    out, k = [], 0
    while k < len(s):
        c = s[k]
        if c == "\\" and k + 1 < len(s):
            n = s[k + 1]
            if n in simple:
                out.append(simple[n])
                k += 2
                continue
            width = {"x": 2, "u": 4, "U": 8}.get(n)
            if width:
                out.append(chr(int(s[k + 2 : k + 2 + width], 16)))
                k += 2 + width
                continue
        out.append(c)
        k += 1
    return "".join(out)


def kingfisher_samples(tree: Tree) -> tuple[list[Sample], int]:
    samples: list[Sample] = []
    for name in tree.files("data/rules", ".yml"):
        lines = tree.read(name).splitlines()
        rule = name
        i = 0
        while i < len(lines):
            m = ID_KEY.match(lines[i])
            if m:
                rule = m.group(1)
            m = LIST_KEY.match(lines[i])
            if m:
                items, nxt = yaml_sequence(lines, i, len(m.group("indent")))
                positive = m.group("key") == "examples"
                samples += [Sample("kingfisher", rule, positive, t) for t in items if t.strip()]
                i = max(nxt, i + 1)
                continue
            i += 1
    return samples, 0


# --------------------------------------------------------------------------
# gitleaks: a Go subset reader that evaluates the sample lists.

GO_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])+')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<num>[0-9]+)
  | (?P<op>:=|\.\.\.|[-+*/%(){}\[\],:;=<>!&|.])
    """,
    re.S | re.X,
)


def go_tokens(src: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(src):
        m = GO_TOKEN.match(src, pos)
        if not m:
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        text = m.group(kind)
        if kind == "raw":
            out.append(("str", text[1:-1].replace("\r", "")))
        elif kind == "str":
            out.append(("str", _unescape(text[1:-1], GO_ESCAPES)))
        else:
            out.append((kind, text))
    return out


class NotLiteral(Exception):
    """An expression this reader does not evaluate."""


# Ordinary assignment shapes a secret is written in (our own list: config
# files and source code), used where a rule generates its samples from a
# bare secret. `{i}` is the identifier, `{s}` the secret.
SAMPLE_SHAPES = [
    '{i}_token = "{s}"',
    "{i}Token={s}",
    '{{\n  "{i}_token": "{s}"\n}}',
    "{i}_token: '{s}'",
    '{I}_TOKEN := "{s}"',
    'String {i}Token = "{s}";',
    "{i}Token := `{s}`",
    'System.setProperty("{I}_TOKEN", "{s}")',
]


class GoEval:
    """Evaluates sample expressions: string literals, `+`, `append`, slice
    literals, variables assigned earlier in the function, and the handful of
    generator helpers the rule files call. Random secrets are generated from
    their regex with a fixed seed, so every run writes the same files."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.vars: dict[str, list[str]] = {}

    def expr(self, toks, i, allow_refs=True) -> tuple[list[str], int]:
        vals, i = self.term(toks, i, allow_refs)
        while i < len(toks) and toks[i] == ("op", "+"):
            rhs, i = self.term(toks, i + 1, allow_refs)
            if len(vals) != 1 or len(rhs) != 1:
                raise NotLiteral("+ of lists")
            vals = [vals[0] + rhs[0]]
        return vals, i

    def term(self, toks, i, allow_refs) -> tuple[list[str], int]:
        kind, text = toks[i]
        if kind == "str":
            return [text], i + 1
        if kind == "op" and text == "[" and toks[i + 1] == ("op", "]"):
            # []string{...}
            j = i + 2
            while toks[j] != ("op", "{"):
                j += 1
            return self.elements(toks, j + 1, "}", allow_refs)
        if kind == "ident":
            if i + 1 < len(toks) and toks[i + 1] == ("op", "("):
                return self.call(text, toks, i + 2, allow_refs)
            if not allow_refs or text not in self.vars:
                raise NotLiteral(f"variable {text}")
            return list(self.vars[text]), i + 1
        raise NotLiteral(f"token {text}")

    def elements(self, toks, i, close, allow_refs) -> tuple[list[str], int]:
        """Comma-separated expressions up to `close`; unevaluable elements
        are skipped (counted by the caller through `self.skipped`)."""
        out: list[str] = []
        while toks[i] != ("op", close):
            try:
                vals, j = self.expr(toks, i, allow_refs)
                if j < len(toks) and toks[j] == ("op", "..."):
                    j += 1
                out += vals
                i = j
            except (NotLiteral, IndexError, re.error, ValueError):
                self.skipped += 1
                i = skip_expr(toks, i)
            if toks[i] == ("op", ","):
                i += 1
            elif toks[i] != ("op", close):
                raise NotLiteral(f"unexpected {toks[i][1]}")
        return out, i + 1

    skipped = 0

    def call(self, name, toks, i, allow_refs) -> tuple[list[str], int]:
        short = name.split(".")[-1]
        sizes = {
            "Numeric": "[0-9]{%s}",
            "Hex": "[a-f0-9]{%s}",
            "AlphaNumeric": "[a-z0-9]{%s}",
            "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
            "AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
            "AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
        }
        if short == "append":
            args, j = self.elements(toks, i, ")", allow_refs)
            return args, j
        args, j = self.elements(toks, i, ")", allow_refs)
        if short in sizes and len(args) == 1:
            return [sizes[short] % args[0]], j
        if short == "Hex8_4_4_4_12":
            return ["[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"], j
        if short == "NewSecret" and len(args) == 1:
            return [generate(args[0], self.rng)], j
        if short == "GenerateSampleSecret" and len(args) == 2:
            return ['%s_api_token = "%s"' % (args[0], args[1])], j
        if short == "GenerateSampleSecrets" and len(args) == 2:
            ident, secret = args
            return [s.format(i=ident, I=ident.upper(), s=secret) for s in SAMPLE_SHAPES], j
        if short in ("Sprintf",) and args:
            fmt, rest = args[0], args[1:]
            try:
                return [fmt.replace("%s", "{}").replace("%v", "{}").format(*rest)], j
            except (IndexError, ValueError) as e:
                raise NotLiteral("Sprintf") from e
        if short in ("Repeat",) and len(args) == 2:
            return [args[0] * int(args[1])], j
        raise NotLiteral(f"call {name}")


def skip_expr(toks, i) -> int:
    depth = 0
    while i < len(toks):
        t = toks[i]
        if t[0] == "op" and t[1] in "([{":
            depth += 1
        elif t[0] == "op" and t[1] in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif t == ("op", ",") and depth == 0:
            return i
        i += 1
    return i


def generate(pattern: str, rng: random.Random) -> str:
    """A string matching `pattern` (Go RE2 syntax close enough to Python's)."""
    tree = sre_parse.parse(pattern)
    return "".join(_gen(tree, rng))


def _gen(items, rng) -> list[str]:
    out: list[str] = []
    for op, av in items:
        if op == sre_c.LITERAL:
            out.append(chr(av))
        elif op == sre_c.IN:
            chars: list[str] = []
            for iop, iav in av:
                if iop == sre_c.LITERAL:
                    chars.append(chr(iav))
                elif iop == sre_c.RANGE:
                    chars += [chr(c) for c in range(iav[0], iav[1] + 1)]
                elif iop == sre_c.CATEGORY:
                    chars += _category(iav)
                elif iop == sre_c.NEGATE:
                    raise ValueError("negated class")
            out.append(rng.choice(chars))
        elif op == sre_c.ANY:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            lo, hi, sub = av
            hi = lo + 8 if hi == sre_c.MAXREPEAT else hi
            for _ in range(rng.randint(lo, hi)):
                out += _gen(sub, rng)
        elif op == sre_c.SUBPATTERN:
            out += _gen(av[-1], rng)
        elif op == sre_c.BRANCH:
            out += _gen(rng.choice(av[1]), rng)
        elif op == sre_c.CATEGORY:
            out.append(rng.choice(_category(av)))
        elif op == sre_c.AT:
            pass
        else:
            raise ValueError(f"regex op {op}")
    return out


def _category(cat) -> list[str]:
    if cat == sre_c.CATEGORY_DIGIT:
        return list("0123456789")
    if cat == sre_c.CATEGORY_WORD:
        return list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
    if cat == sre_c.CATEGORY_SPACE:
        return [" "]
    raise ValueError(f"category {cat}")


def gitleaks_samples(tree: Tree) -> tuple[list[Sample], int]:
    samples: list[Sample] = []
    skipped = 0
    for n, name in enumerate(tree.files("cmd/generate/config/rules", ".go")):
        if name.endswith("_test.go"):
            continue
        toks = go_tokens(tree.read(name))
        ev = GoEval(seed=n)
        func = name
        i = 0
        while i < len(toks):
            kind, text = toks[i]
            if kind == "ident" and text == "func":
                ev.vars = {}
                func = toks[i + 1][1] if i + 1 < len(toks) else func
            if kind == "ident" and i + 1 < len(toks) and toks[i + 1] in (("op", ":="), ("op", "=")):
                var = text
                j = i + 2
                is_map = toks[j] == ("ident", "map")
                positive = var != "fps"
                # Negatives that are another rule's positives (a variable
                # holding samples of a sibling rule) are not negatives of
                # ours: only literal negatives count.
                allow_refs = positive
                ev.skipped = 0
                try:
                    if is_map:
                        while toks[j] != ("op", "{"):
                            j += 1
                        pairs, j = map_elements(ev, toks, j + 1, allow_refs)
                        vals = [v for _, v in pairs]
                        names = [Path(k).name or "sample.txt" for k, _ in pairs]
                    else:
                        vals, j = ev.expr(toks, j, allow_refs)
                        names = ["sample.txt"] * len(vals)
                except (NotLiteral, IndexError, re.error, ValueError):
                    vals, names = [], []
                    if var in ("tps", "fps"):
                        skipped += 1
                    j = i + 2  # not a sample list: read on, token by token
                skipped += ev.skipped if var in ("tps", "fps") else 0
                ev.vars[var] = vals
                if var in ("tps", "fps"):
                    rule = f"{Path(name).stem}.{func}"
                    # `tps = append(tps, ...)` re-adds the old ones: only new ones count.
                    seen = {(s.rule, s.positive, s.text) for s in samples}
                    for v, fname in zip(vals, names):
                        if v.strip() and (rule, positive, v) not in seen:
                            samples.append(Sample("gitleaks", rule, positive, v, fname))
                            seen.add((rule, positive, v))
                i = max(j, i + 1)
                continue
            i += 1
    return samples, skipped


def map_elements(ev: GoEval, toks, i, allow_refs) -> tuple[list[tuple[str, str]], int]:
    pairs = []
    while toks[i] != ("op", "}"):
        try:
            key, j = ev.expr(toks, i, allow_refs)
            assert toks[j] == ("op", ":")
            val, j = ev.expr(toks, j + 1, allow_refs)
            pairs.append((key[0], val[0]))
            i = j
        except (NotLiteral, IndexError, AssertionError, re.error, ValueError):
            ev.skipped += 1
            i = skip_expr(toks, skip_expr(toks, i) + 1) if toks[skip_expr(toks, i)] == ("op", ":") else skip_expr(toks, i)
        if toks[i] == ("op", ","):
            i += 1
        elif toks[i] != ("op", "}"):
            raise NotLiteral(f"unexpected {toks[i][1]}")
    return pairs, i + 1


# --------------------------------------------------------------------------
# Scanning and reporting


def write_samples(samples: list[Sample], work: Path) -> dict[str, Sample]:
    by_path: dict[str, Sample] = {}
    for n, s in enumerate(samples):
        kind = "pos" if s.positive else "neg"
        rel = f"{kind}/{s.source}/{n:05}/{s.name}"
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(s.text, "utf-8")
        by_path[rel] = s
    return by_path


def scan(codewarden: str, work: Path) -> dict[str, list[dict]]:
    proc = subprocess.run(
        [codewarden, "scan", "--format", "json", "--quiet", "--no-ignore", "--max-file-size", "10M", "."],
        cwd=work, capture_output=True, text=True,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"codewarden scan failed ({proc.returncode}):\n{proc.stderr}")
    report = json.loads(proc.stdout)
    if report.get("errors"):
        raise SystemExit(f"codewarden scan reported errors: {report['errors'][:3]}")
    found: dict[str, list[dict]] = {}
    for f in report["findings"]:
        found.setdefault(f["path"].removeprefix("./"), []).append(f)
    return found


def pct(n: int, m: int) -> str:
    return f"{n}/{m} ({100 * n / m:.1f}%)" if m else "0/0"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codewarden", required=True)
    ap.add_argument("--kingfisher", required=True, type=Path)
    ap.add_argument("--gitleaks", required=True, type=Path)
    ap.add_argument("--work", type=Path, help="directory for the sample files (default: a temporary one)")
    ap.add_argument("--list", action="store_true", help="print every flagged negative")
    ap.add_argument("--list-positives", action="store_true", help="print every missed positive")
    args = ap.parse_args()

    kf, gl = Tree(args.kingfisher), Tree(args.gitleaks)
    kf_samples, kf_skipped = kingfisher_samples(kf)
    gl_samples, gl_skipped = gitleaks_samples(gl)
    samples = kf_samples + gl_samples
    if not kf_samples or not gl_samples:
        raise SystemExit("no samples read: are these the Kingfisher and gitleaks repositories?")

    with tempfile.TemporaryDirectory(prefix="codewarden-precision-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        by_path = write_samples(samples, work)
        found = scan(args.codewarden, work)

    print(f"kingfisher {kf.describe()}, gitleaks {gl.describe()}")
    print(f"samples not evaluated (not literal): kingfisher {kf_skipped}, gitleaks {gl_skipped}")
    totals = {True: [0, 0], False: [0, 0]}
    for source in ("kingfisher", "gitleaks"):
        for positive in (False, True):
            paths = [p for p, s in by_path.items() if s.source == source and s.positive == positive]
            hit = sum(1 for p in paths if p in found)
            totals[positive][0] += hit
            totals[positive][1] += len(paths)
            what = "positives detected" if positive else "negatives flagged "
            print(f"{source:10}  {what}  {pct(hit, len(paths))}")
    print(f"{'total':10}  negatives flagged   {pct(*totals[False])}")
    print(f"{'total':10}  positives detected  {pct(*totals[True])}")

    if args.list:
        print("\nflagged negatives (source rule, our rule, masked match):")
        for p, s in by_path.items():
            if not s.positive and p in found:
                for f in found[p]:
                    print(f"  {s.source}:{s.rule}  {f['rule_id']}  {f['masked']}  [{p}]")
    if args.list_positives:
        print("\nmissed positives (source rule, first line):")
        for p, s in by_path.items():
            if s.positive and p not in found:
                print(f"  {s.source}:{s.rule}  {s.text.strip().splitlines()[0][:100]!r}  [{p}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
