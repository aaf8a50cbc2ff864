#!/usr/bin/env python3
"""Cross-check the SQL escaping rules of docs/clickhouse-notes.md on ClickHouse 18.16 and chDB.

Usage (with a cluster from start_cluster.sh running, and `pip install chdb`):

    python3 tests/clickhouse/escaping_check.py [HTTP_PORT]     # default: $HUNTBENCH_CH_A_HTTP_PORT or 21123

Generates random strings over an alphabet full of LIKE / regex / SQL metacharacters, escapes
them with the rules below, runs the same constant expressions on the 18.16 server (HTTP) and in
chDB, and compares both with a Python reference. Exits 1 on any mismatch.
"""
import os
import random
import re
import sys
import urllib.request

import chdb

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("HUNTBENCH_CH_A_HTTP_PORT", "21123"))
ALPHABET = ["a", "b", "A", "ä", "%", "_", "\\", ".", "*", "(", ")", "[", "]", "'", '"', "?", "+",
            "$", "^", "|", "{", "}", "/", "\n", "\t"]


def sql_str(s: str) -> str:
    """A ClickHouse string literal that reads back as exactly `s` on 18.16 and on current versions."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\0":
            out.append("\\0")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def like_escape(lit: str) -> str:
    """LIKE pattern text matching `lit` literally: backslash only before \\, % and _."""
    return lit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def re2_escape(lit: str) -> str:
    """re2 pattern text matching `lit` literally: backslash before every ASCII punctuation char."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() and c not in "\n\t" else c for c in lit)


def rnd(n: int) -> str:
    return "".join(random.choice(ALPHABET) for _ in range(n))


def on_1816(sql: str) -> list:
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/", data=sql.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode().rstrip("\n").split("\t")


def on_chdb(sql: str) -> list:
    return chdb.query(sql, "TSV").data().rstrip("\n").split("\t")


def run(name: str, exprs_and_expected: list) -> int:
    bad = 0
    for i in range(0, len(exprs_and_expected), 50):
        chunk = exprs_and_expected[i:i + 50]
        sql = "SELECT " + ", ".join(e for e, _ in chunk)
        for engine, got in (("18.16", on_1816(sql)), ("chDB", on_chdb(sql))):
            for (expr, want), g in zip(chunk, got):
                if g != str(want):
                    bad += 1
                    print(f"{name} {engine}: {expr} -> {g}, expected {want}")
    print(f"{name}: {len(exprs_and_expected)} cases, {bad} mismatches")
    return bad


def main() -> int:
    random.seed(7)
    print("18.16 says", on_1816("SELECT version()")[0], "| chDB engine", on_chdb("SELECT version()")[0])

    like = []
    for _ in range(600):
        parts = []
        for _ in range(random.randint(0, 4)):
            r = random.random()
            parts.append("%" if r < 0.25 else "_" if r < 0.35 else rnd(random.randint(1, 3)))
        pattern = "".join(p if p in ("%", "_") else like_escape(p) for p in parts)
        if random.random() < 0.5:
            s = "".join(rnd(random.randint(0, 2)) if p == "%" else rnd(1) if p == "_" else p for p in parts)
        else:
            s = rnd(random.randint(0, 6))
        rx = "".join(".*" if p == "%" else "." if p == "_" else re.escape(p) for p in parts)
        like.append((f"{sql_str(s)} LIKE {sql_str(pattern)}", int(re.fullmatch(rx, s, re.S) is not None)))

    regex = []
    for _ in range(400):
        lit = rnd(random.randint(1, 5)) + random.choice(["", "hello", "HeLLo", "Abc"])
        ci = random.random() < 0.5
        pick = random.random()
        mid = lit if pick < 0.5 else lit.upper() if pick < 0.75 else rnd(3)
        s = rnd(random.randint(0, 3)) + mid + rnd(random.randint(0, 3))
        # (?i) must be followed by a group on 18.16; see the notes.
        pattern = ("(?i)" if ci else "") + "(?:" + re2_escape(lit) + ")"
        want = int(re.search(re.escape(lit), s, re.I if ci else 0) is not None)
        regex.append((f"match({sql_str(s)}, {sql_str(pattern)})", want))

    literals = []
    for _ in range(200):
        lit = rnd(random.randint(0, 8))
        literals.append((f"{sql_str(lit)} = unhex('{lit.encode().hex()}')", 1))

    bad = run("LIKE", like) + run("match", regex) + run("literal", literals)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
