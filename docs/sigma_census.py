#!/usr/bin/env python3
"""Census of the Sigma process_creation corpus, for docs/sigma-semantics.md ("Corpus census").

Usage: python3 docs/sigma_census.py [RULE_DIR]   (default: ../shared/corpus/rules/sigma/rules/windows/process_creation)

Read-only: it parses every *.yml under RULE_DIR with PyYAML and prints Markdown tables.
Counts are "rules using X" unless a column says "occurrences".

Value parsing follows the Sigma escape rule (pySigma SigmaString): a backslash escapes only
`*`, `?` and itself; before any other character it stays a literal backslash.
"""
import collections
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(
    HERE, "..", "..", "shared", "corpus", "rules", "sigma", "rules", "windows", "process_creation"))

# Fields Sysmon event 1 carries (EventData names), and names that only exist after derivation.
SYSMON1 = ["RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description",
           "Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User",
           "LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes",
           "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser"]
DERIVED = ["md5", "sha1", "sha256", "Imphash", "imphash"]
# Values of the event's System header, named as the Sigma spec names them (`Provider_Name`, ...).
SYSTEM = ["EventID", "Channel", "Provider_Name", "Computer", "EventRecordID", "Keywords",
          "Security_UserID"]
# Security 4688 equivalents that exist at all (see assets/mappings/sigma.toml).
SEC4688_OK = {"Image", "ParentImage", "CommandLine", "ProcessId", "ParentProcessId", "User",
              "LogonId", "IntegrityLevel"} | set(SYSTEM)
# pySigma-pipeline-windows windows_audit_pipeline, a stored revision (not the released 2.0.1):
# Sysmon 1 fields it refuses for 4688.
PYSIGMA_4688_UNSUPPORTED = {"OriginalFileName", "Description", "Product", "Company", "FileVersion",
                            "Hashes", "md5", "sha1", "sha256", "Imphash", "CurrentDirectory",
                            "ParentCommandLine", "User", "ParentUser", "ProcessId", "ParentProcessId",
                            "ProcessGuid", "ParentProcessGuid", "LogonGuid", "TerminalSessionId"}
# sigma-to-hayabusa-converter: Sysmon 1 names left over after its 4688 field mapping.
HAYABUSA_4688_SYSMON_ONLY = set(SYSMON1) - {"Image", "ProcessId", "ParentImage", "ParentProcessId",
                                            "LogonId", "IntegrityLevel", "User", "CommandLine"}

ESCAPABLE = "*?\\"


def parse_sigma_string(s):
    """Return (plain_text_with_markers, has_wildcard, escapes_used) per the Sigma escape rule."""
    out, wild, escapes = [], False, []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 < len(s) and s[i + 1] in ESCAPABLE:
                escapes.append("\\" + s[i + 1])
                out.append(s[i + 1])
                i += 2
                continue
            out.append("\\")
            i += 1
            continue
        if c in "*?":
            wild = True
            out.append("\x00" if c == "*" else "\x01")
        else:
            out.append(c)
        i += 1
    return "".join(out), wild, escapes


def split_key(key):
    if key is None:
        return None, []
    parts = str(key).split("|")
    field = parts[0] if parts[0] != "" else None
    return field, parts[1:]


class Census:
    def __init__(self):
        self.rules = 0
        self.errors = []
        self.c = collections.Counter()               # rule counts of features
        self.occ = collections.Counter()             # occurrences of features
        self.mod_rules = collections.Counter()
        self.mod_occ = collections.Counter()
        self.chain_rules = collections.Counter()
        self.field_rules = collections.Counter()
        self.field_occ = collections.Counter()
        self.logsource = collections.Counter()
        self.status = collections.Counter()
        self.level = collections.Counter()
        self.tag_ns = collections.Counter()
        self.top_keys = collections.Counter()
        self.examples = collections.defaultdict(list)
        self.unevaluable = collections.defaultdict(list)
        self.care = collections.defaultdict(list)
        self.regex_features = collections.Counter()
        self.windash = collections.Counter()
        self.integrity_values = collections.Counter()
        self.quantifiers = collections.Counter()

    def ex(self, feature, name, limit=6):
        lst = self.examples[feature]
        if name not in lst and len(lst) < limit:
            lst.append(name)

    # ---- detection walking -------------------------------------------------------------
    def values_of(self, v):
        return v if isinstance(v, list) else [v]

    def item(self, rule, feats, fields, key, value, keyword=False):
        field, mods = split_key(key)
        if field is None:
            keyword = True
        chain = "|".join(mods)
        if mods:
            self.chain_rules_seen.add(chain)
        for m in mods:
            self.mods_seen.add(m)
            self.mod_occ[m] += 1
        if keyword:
            feats.add("keyword detection" + (" with modifiers" if mods else ""))
        else:
            fields.add(field)
            self.field_occ[field] += 1
        vals = self.values_of(value)
        if isinstance(value, list) and len(value) > 1:
            feats.add("value list (OR unless |all)")
        if "all" in mods:
            if not isinstance(value, list) or len(value) < 2:
                feats.add("|all with a single value")
                self.ex("|all with a single value", rule)
            if "contains" in mods:
                feats.add("|contains|all")
        if isinstance(value, list) and len(value) == 0:
            feats.add("empty list value")
        for v in vals:
            self.value(rule, feats, field, mods, v, keyword)

    def value(self, rule, feats, field, mods, v, keyword):
        if v is None:
            feats.add("null value")
            self.ex("null value", rule)
            if isinstance(v, list):
                pass
            return
        if isinstance(v, bool):
            feats.add("boolean value" + (" (|exists)" if "exists" in mods else ""))
            return
        if isinstance(v, (int, float)):
            feats.add("number value")
            self.ex("number value", f"{rule} ({field}: {v})")
            return
        if isinstance(v, (dict, list)):
            feats.add("nested structure as value")
            return
        s = str(v)
        if s == "":
            feats.add("empty string value")
            self.ex("empty string value", f"{rule} ({field}|{'|'.join(mods)})")
        if any(ord(ch) > 127 for ch in s):
            feats.add("non-ASCII value")
            self.ex("non-ASCII value", f"{rule}: {s!r}")
        if field == "IntegrityLevel":
            self.integrity_values[s] += 1
        if "re" in mods:
            self.regex(rule, feats, s, mods)
            return
        _, wild, escapes = parse_sigma_string(s)
        if wild:
            feats.add("wildcard in value" + (" + " + "/".join(m for m in mods if m in ("contains", "startswith", "endswith")) if any(m in mods for m in ("contains", "startswith", "endswith")) else " (plain match)"))
            if "?" in s.replace("\\?", ""):
                feats.add("? wildcard")
                self.ex("? wildcard", f"{rule}: {s!r}")
        for e in escapes:
            feats.add(f"escape {e}")
            self.ex(f"escape {e}", f"{rule}: {s!r}")
        if "windash" in mods:
            self.windash_value(rule, feats, s)
        if "base64offset" in mods or "base64" in mods:
            self.ex("base64 values", f"{rule}: {'|'.join(mods)} {s!r}", 12)
        if "cased" in mods:
            self.ex("cased values", f"{rule}: {s!r}")
        if "expand" in mods or re.search(r"(?<!\\)%\w+%", s):
            if "expand" in mods:
                feats.add("|expand placeholder")
            else:
                feats.add("%name% literal (no |expand)")
                self.ex("%name% literal (no |expand)", f"{rule}: {s!r}")

    def windash_value(self, rule, feats, s):
        slash = bool(re.search(r"\B/\b", s))
        dash_flag = bool(re.search(r"\B-\b", s))
        inner_dash = bool(re.search(r"\b-", s))  # dash preceded by a word character
        if slash:
            self.windash["values with a flag-leading '/' (pySigma expands; rsigma stored version does not)"] += 1
        if dash_flag:
            self.windash["values with a flag-leading '-'"] += 1
        if inner_dash:
            self.windash["values with a '-' after a word character (rsigma expands, pySigma keeps)"] += 1
            self.ex("windash inner dash", f"{rule}: {s!r}")
        if not slash and not dash_flag:
            self.windash["values with no flag-leading '-' or '/' (no expansion in pySigma)"] += 1
            self.ex("windash no-op", f"{rule}: {s!r}")
        self.windash["windash values total"] += 1

    def regex(self, rule, feats, s, mods):
        feats.add("|re")
        checks = {
            "lookahead/lookbehind (?= (?! (?<= (?<!": r"\(\?<?[=!]",
            "backreference \\1..\\9": r"\\[1-9]",
            "inline flags (?i) etc.": r"\(\?[imsx]+\)",
            "anchors ^ or $": r"(^\^)|((?<!\\)\$$)",
            "\\d \\w \\s classes": r"\\[dwsDWS]",
            "possessive/atomic": r"\(\?>|[*+?]\+",
            "{n,m} quantifier": r"\{\d+(,\d*)?\}",
            "non-greedy *? +?": r"[*+]\?",
            "named group (?P< or (?<name>": r"\(\?P?<[A-Za-z]",
            "non-ASCII in pattern": r"[^\x00-\x7f]",
        }
        for name, pat in checks.items():
            if re.search(pat, s):
                self.regex_features[name] += 1
                self.ex("regex " + name, f"{rule}: {s!r}", 4)
        self.regex_features["patterns total"] += 1
        try:
            re.compile(s)
        except re.error as e:
            self.ex("regex invalid in Python", f"{rule}: {s!r} ({e})")

    def detection(self, rule, det, feats, fields):
        names = []
        for name, body in det.items():
            if name in ("condition", "timeframe"):
                continue
            names.append(name)
            if name.startswith("_"):
                feats.add("search identifier starting with _")
            if isinstance(body, dict):
                if len(body) == 0:
                    feats.add("empty map")
                for k, v in body.items():
                    self.item(rule, feats, fields, k, v)
            elif isinstance(body, list):
                kinds = {type(x).__name__ for x in body}
                if kinds <= {"str", "int", "float", "bool", "NoneType"}:
                    self.item(rule, feats, fields, None, body, keyword=True)
                    self.ex("keyword detection", rule)
                else:
                    feats.add("list of maps (OR of maps)")
                    for x in body:
                        if isinstance(x, dict):
                            for k, v in x.items():
                                self.item(rule, feats, fields, k, v)
                        else:
                            self.item(rule, feats, fields, None, x, keyword=True)
                            feats.add("list mixing maps and plain values")
            else:
                self.item(rule, feats, fields, None, body, keyword=True)
                self.ex("keyword detection", rule)
        if "timeframe" in det:
            feats.add("timeframe (v1 aggregation)")
        return names

    def condition(self, rule, cond, names, feats):
        conds = cond if isinstance(cond, list) else [cond]
        if isinstance(cond, list):
            feats.add("condition is a list")
        for c in conds:
            c = str(c)
            if "|" in c:
                feats.add("condition with | (v1 aggregation)")
                self.ex("condition with |", rule)
            toks = re.findall(r"\(|\)|[A-Za-z0-9_*\-]+", c)
            low = [t for t in toks]
            if any(t in ("AND", "OR", "NOT", "And", "Or", "Not") for t in toks):
                feats.add("uppercase operator")
            for t in ("and", "or", "not"):
                if t in low:
                    feats.add(f"operator '{t}'")
            if "(" in toks:
                feats.add("parentheses")
            for m in re.finditer(r"\b(\d+|all|any)\s+of\s+(them|[A-Za-z0-9_*\-]+)", c):
                q, target = m.group(1), m.group(2)
                qn = q if q in ("all", "any", "1") else "N>1"
                if target == "them":
                    feats.add(f"{qn} of them")
                else:
                    feats.add(f"{qn} of pattern" + ("" if "*" in target else " without *"))
                    if "*" in target and not target.endswith("*"):
                        feats.add("pattern with * not at the end")
                    # what the pattern matches, with and without pySigma's start-anchored re.match
                    rx = re.compile(re.escape(target).replace(r"\*", ".*") + r"\Z")
                    matched = [n for n in names if rx.match(n) and not n.startswith("_")]
                    prefix = [n for n in names if re.match(re.escape(target).replace(r"\*", ".*"), n)
                              and not n.startswith("_")]
                    if not matched:
                        feats.add("x of pattern matching no identifier")
                        self.ex("x of pattern matching no identifier", f"{rule}: {target}")
                    if prefix != matched:
                        feats.add("pattern where start-anchored (pySigma) and full match differ")
                        self.ex("pattern anchoring differs", f"{rule}: {target}")
                self.quantifiers[(q, "them" if target == "them" else "pattern")] += 1
            # identifiers referenced directly
            for t in toks:
                if t in ("and", "or", "not", "of", "them", "all", "any", "(", ")") or t.isdigit() or "*" in t:
                    continue
                if t not in names:
                    feats.add("condition references undefined identifier")
                    self.ex("undefined identifier", f"{rule}: {t}")

    def hayabusa_ok(self, det):
        """sigma-to-hayabusa-converter's test: a map naming a Sysmon-only field, or a list of maps
        each naming one, makes the rule unconvertible to 4688 (CommandLine/ProcessId exempt)."""
        def bad_keys(keys):
            names = {str(k).split("|")[0] for k in keys}
            return bool(names & HAYABUSA_4688_SYSMON_ONLY)
        for name, body in det.items():
            if name in ("condition", "timeframe"):
                continue
            if isinstance(body, dict) and bad_keys(body.keys()):
                return False
            if isinstance(body, list):
                maps = [x for x in body if isinstance(x, dict)]
                if maps and all(bad_keys(m.keys()) for m in maps):
                    return False
        return True

    # ---- per rule -----------------------------------------------------------------------
    def rule(self, path):
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            docs = [d for d in yaml.safe_load_all(text)]
        except yaml.YAMLError as e:
            self.errors.append(f"{name}: {e}")
            return
        self.rules += 1
        feats, fields = set(), set()
        self.mods_seen, self.chain_rules_seen = set(), set()
        if len(docs) != 1:
            feats.add("multi-document YAML")
        doc = docs[0] if docs else {}
        for k in doc:
            self.top_keys[k] += 1
        if "action" in doc:
            feats.add("action: key (v1 collection)")
        if "correlation" in doc:
            feats.add("correlation rule")
        if "filter" in doc:
            feats.add("filter meta-rule")
        ls = doc.get("logsource") or {}
        self.logsource[(ls.get("product"), ls.get("category"), ls.get("service"))] += 1
        if "definition" in ls:
            feats.add("logsource.definition")
        self.status[doc.get("status")] += 1
        self.level[doc.get("level")] += 1
        for t in doc.get("tags") or []:
            t = str(t)
            ns = t.split(".")[0]
            if ns == "attack":
                rest = t[len("attack."):]
                if re.fullmatch(r"t\d{4}", rest):
                    ns = "attack.tNNNN (technique)"
                elif re.fullmatch(r"t\d{4}\.\d{3}", rest):
                    ns = "attack.tNNNN.NNN (sub-technique)"
                elif re.fullmatch(r"[gs]\d{4}", rest):
                    ns = "attack.gNNNN / sNNNN (group/software)"
                else:
                    ns = "attack.<tactic>"
            self.tag_ns[ns] += 1
        det = doc.get("detection") or {}
        names = self.detection(name, det, feats, fields)
        if "condition" in det:
            self.condition(name, det["condition"], names, feats)
        else:
            feats.add("no condition")
        for m in self.mods_seen:
            self.mod_rules[m] += 1
        for ch in self.chain_rules_seen:
            self.chain_rules[ch] += 1
        for fl in fields:
            self.field_rules[fl] += 1
        for ft in feats:
            self.c[ft] += 1
            self.ex(ft, name)
        # features that cannot be evaluated on a process-creation event
        bad = []
        for fl in fields:
            if fl not in SYSMON1 and fl not in DERIVED and fl not in SYSTEM:
                bad.append(f"field {fl}")
        for ft in feats:
            if ft.startswith("keyword detection") or ft in (
                    "correlation rule", "filter meta-rule", "multi-document YAML",
                    "condition with | (v1 aggregation)", "timeframe (v1 aggregation)",
                    "|expand placeholder", "condition references undefined identifier"):
                bad.append(ft)
        care = []
        for m in self.mods_seen:
            if m in ("fieldref", "expand", "cidr", "gt", "gte", "lt", "lte", "neq", "cased",
                     "exists", "base64", "base64offset", "wide", "utf16le", "utf16be", "utf16",
                     "i", "m", "s", "minute", "hour", "day", "week", "month", "year"):
                care.append(f"|{m}")
        for fl in fields:
            if fl in SYSTEM:
                care.append(f"System field {fl}")
        if bad:
            self.unevaluable[name] = sorted(set(bad))
        if care:
            self.care[name] = sorted(set(care))
        # 4688 coverage: rules whose every field has a 4688 equivalent
        if fields and fields <= SEC4688_OK:
            self.c["all fields have a 4688 equivalent"] += 1
        if fields - SEC4688_OK:
            self.c["uses a field 4688 lacks (huntbench mapping)"] += 1
        if not fields & PYSIGMA_4688_UNSUPPORTED:
            self.c["4688-applicable under the pySigma-pipeline-windows refused-field list"] += 1
        if self.hayabusa_ok(det):
            self.c["4688-applicable under hayabusa converter rule"] += 1


def table(rows, headers):
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        out.append("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")
    return "\n".join(out)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".yml", ".yaml")))
    c = Census()
    for p in files:
        c.rule(p)
    print(f"Rules parsed: {c.rules} of {len(files)} files; YAML errors: {len(c.errors)}")
    for e in c.errors:
        print("  error:", e)
    print()
    print("### Modifiers (rules using each; occurrences = detection keys carrying it)\n")
    print(table([(f"`{m}`", c.mod_rules[m], c.mod_occ[m]) for m, _ in c.mod_rules.most_common()],
                ["modifier", "rules", "occurrences"]))
    print()
    print("### Modifier chains (rules)\n")
    print(table([(f"`|{ch}`", n) for ch, n in c.chain_rules.most_common()], ["chain", "rules"]))
    print()
    print("### Detection and condition features (rules)\n")
    print(table([(k, n, ", ".join(c.examples.get(k, [])[:3])) for k, n in sorted(c.c.items(), key=lambda x: -x[1])],
                ["feature", "rules", "examples"]))
    print()
    print("### Selector quantifiers (occurrences)\n")
    print(table([(q, t, n) for (q, t), n in sorted(c.quantifiers.items(), key=lambda x: -x[1])],
                ["quantifier", "target", "occurrences"]))
    print()
    print("### Logsources (product, category, service)\n")
    print(table([(p, cat, s, n) for (p, cat, s), n in c.logsource.most_common()],
                ["product", "category", "service", "rules"]))
    print()
    print("### Field names, top 60 (rules using; occurrences)\n")
    rows = []
    for f, n in c.field_rules.most_common(60):
        where = ("Sysmon 1" if f in SYSMON1 else "derived" if f in DERIVED
                 else "System header" if f in SYSTEM else "NOT in Sysmon 1")
        rows.append((f"`{f}`", n, c.field_occ[f], where))
    print(table(rows, ["field", "rules", "occurrences", "source"]))
    print(f"\nDistinct field names: {len(c.field_rules)}")
    others = [f for f in c.field_rules if f not in SYSMON1 and f not in DERIVED and f not in SYSTEM]
    print("Field names not carried by Sysmon 1:", ", ".join(f"`{f}` ({c.field_rules[f]})" for f in sorted(others)) or "none")
    print()
    print("### IntegrityLevel values used\n")
    print(table([(f"`{v}`", n) for v, n in c.integrity_values.most_common()], ["value", "occurrences"]))
    print()
    print("### |windash values\n")
    print(table([(k, n) for k, n in c.windash.most_common()], ["kind", "values"]))
    print()
    print("### |re patterns\n")
    print(table([(k, n) for k, n in c.regex_features.most_common()], ["feature", "patterns"]))
    print()
    print("### Metadata\n")
    print(table([(k, n) for k, n in c.status.most_common()], ["status", "rules"]))
    print()
    print(table([(k, n) for k, n in c.level.most_common()], ["level", "rules"]))
    print()
    print(table([(k, n) for k, n in c.tag_ns.most_common()], ["tag kind", "tags"]))
    print()
    print(table([(f"`{k}`", n) for k, n in c.top_keys.most_common()], ["top-level key", "rules"]))
    print()
    print("### Rules with features that cannot be evaluated on a process-creation event\n")
    if c.unevaluable:
        print(table([(r, "; ".join(v)) for r, v in sorted(c.unevaluable.items())], ["rule", "why"]))
    else:
        print("None.")
    print()
    print("### Rules using rare features (evaluable, but beyond plain per-field matching)\n")
    print(table([(r, "; ".join(v)) for r, v in sorted(c.care.items())], ["rule", "feature"]))
    print()
    print("### Examples\n")
    for k in sorted(c.examples):
        print(f"- {k}: " + "; ".join(c.examples[k]))


if __name__ == "__main__":
    main()
