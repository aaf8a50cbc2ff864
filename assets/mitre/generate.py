#!/usr/bin/env python3
"""Build assets/mitre/enterprise.toml from MITRE's Enterprise ATT&CK STIX bundle.

Input is MITRE's own `enterprise-attack.json` (STIX 2.0 as published in mitre/cti, or
STIX 2.1 as published in mitre-attack/attack-stix-data); see SOURCES.md for where ours
comes from and the exact regeneration commands. Python 3.11+, standard library only.

    python3 assets/mitre/generate.py BUNDLE [-o OUT] [--source TEXT]
        [--attack-version X.Y] [--release-info path/to/mitreattack/release_info.py]

Output layout (read by src/rules/spl/mitre.rs with serde + the `toml` crate; unknown
tables and keys such as [meta], [revoked], `shortname`, `order`, `parent` are ignored by
structs that do not name them):

    [meta]                      provenance and counts
    [tactics]                   TA0002 = { name, shortname, order, url }, in matrix order
    [techniques.T1021]          name, tactics = ["TA0008"], url
    [techniques."T1021.003"]    name, parent = "T1021", tactics = [...], url
    [revoked]                   "T1086" = { name = "PowerShell", by = "T1059.001" }
    [deprecated]                "T1064" = { name = "Scripting" }

Only techniques and sub-techniques that are neither revoked nor deprecated go in
[techniques]. Sub-techniques carry their own tactics (from their own kill_chain_phases),
not their parent's. Every table is sorted by id (tactics by matrix order), so the same
bundle always gives the same file; the one line that depends on the day is
`meta.generated`, which honours SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

TERMS_URL = "https://attack.mitre.org/resources/legal-and-branding/terms-of-use/"
KILL_CHAIN = "mitre-attack"
TECH_RE = re.compile(r"^T\d{4}(\.\d{3})?$")
TACTIC_RE = re.compile(r"^TA\d{4}$")


def fail(msg: str) -> None:
    sys.exit(f"generate.py: {msg}")


def attack_ref(obj: dict) -> tuple[str | None, str | None]:
    """(ATT&CK id, url) from the object's `mitre-attack` external reference."""
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"], ref.get("url")
    return None, None


def canonical_url(url: str | None, attack_id: str, kind: str) -> str:
    """The bundle's URL with a trailing slash (the form the rules and the app use)."""
    if not url:
        if kind == "tactic":
            url = f"https://attack.mitre.org/tactics/{attack_id}"
        else:
            url = "https://attack.mitre.org/techniques/" + attack_id.replace(".", "/")
    return url if url.endswith("/") else url + "/"


def is_live(obj: dict) -> bool:
    return not obj.get("revoked", False) and not obj.get("x_mitre_deprecated", False)


def release_hashes(path: Path) -> dict[str, tuple[str, str]]:
    """sha256 -> (STIX flavour, ATT&CK version) for Enterprise, from mitreattack-python's
    `mitreattack/release_info.py` (MITRE's published hashes), read without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", "")
            if name in ("STIX20", "STIX21"):
                table = ast.literal_eval(node.value)
                for version, digest in table.get("enterprise", {}).items():
                    out.setdefault(digest, (name, version))
    return out


def toml_str(s: str) -> str:
    # JSON string escapes (\" \\ \n \uXXXX) are valid TOML basic-string escapes.
    return json.dumps(s, ensure_ascii=False)


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_str(k)


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(toml_str(i) for i in items) + "]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle", type=Path, help="MITRE enterprise-attack.json (STIX 2.0 or 2.1)")
    ap.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    ap.add_argument("--source", default="", help="where the bundle came from (package and version)")
    ap.add_argument("--attack-version", help="ATT&CK version, when the bundle has no x-mitre-collection")
    ap.add_argument("--release-info", type=Path,
                    help="mitreattack-python's release_info.py: check the bundle's sha256 against "
                         "MITRE's published hashes and take the version from there")
    args = ap.parse_args()

    raw = args.bundle.read_bytes()
    sha256 = hashlib.sha256(raw).hexdigest()
    bundle = json.loads(raw)
    if bundle.get("type") != "bundle":
        fail(f"{args.bundle}: not a STIX bundle")
    objects: list[dict] = bundle["objects"]
    by_stix_id = {o["id"]: o for o in objects}

    # --- ATT&CK version -------------------------------------------------------------------
    collection = [o for o in objects if o["type"] == "x-mitre-collection"]
    version = collection[0].get("x_mitre_version") if collection else None
    verified = ""
    if args.release_info:
        hit = release_hashes(args.release_info).get(sha256)
        if not hit:
            fail(f"sha256 {sha256} is not one of MITRE's published Enterprise hashes "
                 f"in {args.release_info}: the bundle is not an unmodified release")
        flavour, published = hit
        if version and version != published:
            fail(f"collection says v{version} but the hash is MITRE's v{published}")
        version = version or published
        verified = f"sha256 matches MITRE's published {flavour} hash for Enterprise ATT&CK v{published}"
    if args.attack_version:
        if version and version != args.attack_version:
            fail(f"--attack-version {args.attack_version} contradicts the bundle (v{version})")
        version = args.attack_version
    if not version:
        fail("no x-mitre-collection in this bundle (STIX 2.0): give --release-info or --attack-version")

    # --- tactics, in matrix order ------------------------------------------------------------
    matrices = [o for o in objects if o["type"] == "x-mitre-matrix" and is_live(o)]
    enterprise = [m for m in matrices if attack_ref(m)[0] == "enterprise-attack"] or matrices
    if len(enterprise) != 1:
        fail(f"expected one Enterprise x-mitre-matrix, found {len(enterprise)}")
    matrix = enterprise[0]

    tactics: list[dict] = []
    shortname_to_ta: dict[str, str] = {}
    for order, ref in enumerate(matrix["tactic_refs"], start=1):
        t = by_stix_id.get(ref)
        if t is None:
            fail(f"matrix names {ref}, which is not in the bundle")
        ta, url = attack_ref(t)
        if not ta or not TACTIC_RE.match(ta):
            fail(f"tactic {ref} has no TAxxxx id")
        short = t["x_mitre_shortname"]
        shortname_to_ta[short] = ta
        tactics.append({"id": ta, "name": t["name"], "shortname": short, "order": order,
                        "url": canonical_url(url, ta, "tactic")})
    tactic_order = {t["id"]: t["order"] for t in tactics}

    # --- techniques and sub-techniques ------------------------------------------------------
    patterns = [o for o in objects if o["type"] == "attack-pattern"]
    live: dict[str, dict] = {}
    for o in patterns:
        tid, url = attack_ref(o)
        if not tid or not is_live(o):
            continue
        if not TECH_RE.match(tid):
            fail(f"{o['id']}: unexpected technique id {tid!r}")
        if tid in live:
            fail(f"technique id {tid} appears on two live objects")
        phases = [p["phase_name"] for p in o.get("kill_chain_phases", [])
                  if p.get("kill_chain_name") == KILL_CHAIN]
        unknown = [p for p in phases if p not in shortname_to_ta]
        if unknown:
            fail(f"{tid}: kill-chain phase(s) {unknown} are not tactics of the matrix")
        tas = sorted({shortname_to_ta[p] for p in phases}, key=tactic_order.__getitem__)
        if not tas:
            fail(f"{tid}: no tactic")
        sub = bool(o.get("x_mitre_is_subtechnique")) or "." in tid
        entry = {"name": o["name"], "tactics": tas, "url": canonical_url(url, tid, "technique"),
                 "stix_id": o["id"]}
        if sub:
            entry["parent"] = tid.split(".")[0]
        live[tid] = entry

    # The parent named by the id must be the one MITRE's subtechnique-of relationship names.
    id_of = {e["stix_id"]: tid for tid, e in live.items()}
    for r in objects:
        if r["type"] == "relationship" and r["relationship_type"] == "subtechnique-of" and is_live(r):
            child, parent = id_of.get(r["source_ref"]), id_of.get(r["target_ref"])
            if child and parent and live[child].get("parent") != parent:
                fail(f"{child}: subtechnique-of says {parent}")
    for tid, e in live.items():
        if "parent" in e and e["parent"] not in live:
            fail(f"{tid}: parent {e['parent']} is not a live technique")

    # --- revoked and deprecated ids ---------------------------------------------------------
    revoked_by: dict[str, str] = {}
    for r in objects:
        if r["type"] == "relationship" and r["relationship_type"] == "revoked-by":
            revoked_by[r["source_ref"]] = r["target_ref"]

    def final_target(stix_id: str) -> dict | None:
        seen = set()
        while stix_id in revoked_by and stix_id not in seen:
            seen.add(stix_id)
            stix_id = revoked_by[stix_id]
        target = by_stix_id.get(stix_id)
        return target if target is not None and is_live(target) else None

    revoked: dict[str, dict] = {}
    deprecated: dict[str, dict] = {}
    for o in patterns:
        tid, _ = attack_ref(o)
        if not tid or tid in live or not TECH_RE.match(tid):
            continue
        if o.get("revoked", False):
            target = final_target(o["id"])
            new_id = attack_ref(target)[0] if target else None
            entry = {"name": o["name"]}
            if new_id and new_id in live:
                entry["by"] = new_id
            revoked[tid] = entry
        elif o.get("x_mitre_deprecated", False):
            deprecated.setdefault(tid, {"name": o["name"]})

    # --- write ------------------------------------------------------------------------------
    n_sub = sum(1 for e in live.values() if "parent" in e)
    n_tech = len(live) - n_sub
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    today = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
             else dt.datetime.now(dt.timezone.utc)).date().isoformat()
    spec = bundle.get("spec_version") or (collection[0].get("spec_version") if collection else None) \
        or next((o.get("spec_version") for o in objects if o.get("spec_version")), "2.0")
    markings = sorted({o["definition"]["statement"] for o in objects
                       if o["type"] == "marking-definition" and "statement" in o.get("definition", {})})
    modified = max(o.get("modified", "") for o in objects)

    out: list[str] = [
        "# MITRE ATT&CK Enterprise matrix: tactics, techniques and sub-techniques.",
        "# GENERATED by assets/mitre/generate.py from MITRE's STIX bundle; do not edit by hand.",
        "# Source, terms of use and how to regenerate: assets/mitre/SOURCES.md.",
        "# ATT&CK® is © The MITRE Corporation, reproduced under its terms of use:",
        f"# {TERMS_URL}",
        "",
        "[meta]",
        f"attack_version = {toml_str(version)}",
        'domain = "enterprise-attack"',
        f"stix_spec_version = {toml_str(str(spec))}",
        f"source = {toml_str(args.source or args.bundle.name)}",
        f"bundle_sha256 = {toml_str(sha256)}",
    ]
    if verified:
        out.append(f"verified = {toml_str(verified)}")
    out += [
        f"bundle_modified = {toml_str(modified)}",
        f"generated = {toml_str(today)}",
        f"terms_of_use = {toml_str(TERMS_URL)}",
    ]
    if markings:
        out.append(f"copyright = {toml_str(' '.join(markings))}")
    out += [
        f"tactic_count = {len(tactics)}",
        f"technique_count = {n_tech}",
        f"subtechnique_count = {n_sub}",
        f"revoked_count = {len(revoked)}",
        f"deprecated_count = {len(deprecated)}",
        "",
        "[tactics]",
    ]
    for t in tactics:
        out.append(f"{t['id']} = {{ name = {toml_str(t['name'])}, shortname = {toml_str(t['shortname'])}, "
                   f"order = {t['order']}, url = {toml_str(t['url'])} }}")
    for tid in sorted(live):
        e = live[tid]
        out += ["", f"[techniques.{toml_key(tid)}]", f"name = {toml_str(e['name'])}"]
        if "parent" in e:
            out.append(f"parent = {toml_str(e['parent'])}")
        out += [f"tactics = {toml_list(e['tactics'])}", f"url = {toml_str(e['url'])}"]
    out += ["", "# Revoked ids: `by` is the live technique MITRE replaced it with (revoked-by chain followed).",
            "[revoked]"]
    for tid in sorted(revoked):
        e = revoked[tid]
        by = f", by = {toml_str(e['by'])}" if "by" in e else ""
        out.append(f"{toml_key(tid)} = {{ name = {toml_str(e['name'])}{by} }}")
    out += ["", "# Deprecated ids: withdrawn with no replacement.", "[deprecated]"]
    for tid in sorted(deprecated):
        out.append(f"{toml_key(tid)} = {{ name = {toml_str(deprecated[tid]['name'])} }}")
    text = "\n".join(out) + "\n"

    # Self-check: the file parses as TOML and says what we meant.
    doc = tomllib.loads(text)
    assert list(doc["tactics"]) == [t["id"] for t in tactics]
    assert len(doc["techniques"]) == len(live)
    for tid, e in doc["techniques"].items():
        assert all(ta in doc["tactics"] for ta in e["tactics"]), tid

    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    per_tactic = Counter(ta for e in live.values() for ta in e["tactics"])
    print(f"ATT&CK v{version}: {len(tactics)} tactics, {n_tech} techniques, {n_sub} sub-techniques, "
          f"{len(revoked)} revoked, {len(deprecated)} deprecated ids", file=sys.stderr)
    print("per tactic: " + ", ".join(f"{t['id']} {per_tactic[t['id']]}" for t in tactics), file=sys.stderr)


if __name__ == "__main__":
    main()
