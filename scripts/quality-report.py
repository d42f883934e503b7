#!/usr/bin/env python3
"""Regenerates docs/quality.md: entex against gold, scored by the evaluation's score.py.

Usage: python3 scripts/quality-report.py [--eval ../shared/eval] [--bin target/release/entex] [--out docs/quality.md]

Corpora: the seed corpus (shared/eval/seeds) and the blind development set
(tests/data/dev), reported in two parts: the original documents and the
extension written for issue #12. For each: mentions through `entex extract` scored by score.py
(overall, by type), precision by match kind, and every remaining error with its
class; alias queries through `entex normalize`, scored the same way.
"""
import argparse
import collections
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_score_module(eval_dir):
    spec = importlib.util.spec_from_file_location("score", os.path.join(eval_dir, "score.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run(cmd, stdin_path=None):
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin:
        return subprocess.run(cmd, stdin=stdin, capture_output=True, check=True, text=True).stdout


def extract(binary, docs_dir, workdir, wanted=lambda doc: True):
    docs = {}
    for name in sorted(os.listdir(docs_dir)):
        if name.endswith(".txt") and wanted(name[:-4]):
            with open(os.path.join(docs_dir, name), encoding="utf-8") as f:
                docs[name[:-4]] = f.read()
    inp = os.path.join(workdir, "in.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for doc_id, text in docs.items():
            f.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    out = run([binary, "extract", "-i", inp])
    system = []
    for line in out.splitlines():
        m = json.loads(line)
        system.append({"doc": m["doc"], "start": m["char_start"], "end": m["char_end"], "type": m["type"],
                       "name": m["canonical_name"], "id": m["entity_id"], "text": m["text"], "kind": m["match_kind"]})
    return docs, system


def score_table(eval_dir, what, gold, system_path, entities):
    cmd = [sys.executable, os.path.join(eval_dir, "score.py"), what, "--gold", gold, "--system", system_path]
    for e in entities:
        cmd += ["--entities", e]
    return run(cmd)


def classify(score, gold, system, ents, known_names):
    """Every error of a system run, with a class, following score.py's matching."""
    optional = collections.defaultdict(list)
    required = {}
    for g in gold:
        if g.get("optional"):
            optional[g["doc"]].append((g["start"], g["end"]))
        else:
            required[(g["doc"], g["start"], g["end"])] = g
    docs = {g["doc"] for g in gold}
    system = [s for s in system if s["doc"] in docs]
    by_kind = collections.defaultdict(lambda: [0, 0])  # kind -> right, wrong
    errors = []
    matched = set()
    spans = collections.defaultdict(list)
    for s in system:
        spans[s["doc"]].append((s["start"], s["end"]))
    for s in system:
        key = (s["doc"], s["start"], s["end"])
        g = required.get(key)
        if g is None:
            if any(s["start"] < e and b < s["end"] for b, e in optional[s["doc"]]):
                continue
            overlaps = any(s["doc"] == d and s["start"] < e and b < s["end"] for (d, b, e) in required)
            cls = "span boundary differs from gold" if overlaps else "no gold mention here (not an actor/place of the story, or unannotated)"
            errors.append(("FP", cls, s))
            by_kind[s["kind"]][1] += 1
            continue
        matched.add(key)
        ok = s["type"] == g["type"] and score.link_ok(s, g["id"], ents)
        by_kind[s["kind"]][0 if ok else 1] += 1
        if not ok:
            errors.append(("WRONG", "linked to another entity (short form or shared name)", dict(s, gold=g["id"])))
    for key, g in required.items():
        if key in matched:
            continue
        if any(g["start"] < e and b < g["end"] for b, e in spans[g["doc"]]):
            cls = "span boundary differs from gold"
        elif score.fold(g["text"]) in known_names or any(score.fold(n) in known_names for n in ents.get(g["id"], {}).get("names", [])):
            cls = "entity known; this form not matched (short form, first name, lowercase, variant)"
        else:
            cls = "entity or name not in the dictionary"
        errors.append(("FN", cls, g))
    return by_kind, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "entex"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "quality.md"))
    ap.add_argument("--summary-out", help="also write each corpus's headline figures here (JSON)")
    ap.add_argument("--baseline", help="a --summary-out file from an earlier run: shown beside these figures")
    args = ap.parse_args()
    if not os.environ.get("ENTEX_SKIP_BUILD"):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    score = load_score_module(args.eval)
    workdir = tempfile.mkdtemp(prefix="entex-quality-")
    check = run([args.bin, "check"]).strip()

    # Names the dictionary knows, to tell "not in the dictionary" from "not matched".
    names_path = os.path.join(workdir, "names.txt")
    dev = os.path.join(ROOT, "tests", "data", "dev")
    dev_entities = [os.path.join(dev, "entities.jsonl")]
    # The dev set's extension (issue #12) starts at this document; its alias
    # queries follow the original set's first 102.
    extension_from, original_queries = "dev_035", 102
    everything = lambda doc: True
    original = lambda doc: doc < extension_from
    extension = lambda doc: doc >= extension_from
    corpora = [
        ("Seed corpus", os.path.join(args.eval, "seeds"), os.path.join(args.eval, "seeds", "gold.jsonl"),
         os.path.join(args.eval, "seeds", "aliases.jsonl"), [], everything, slice(None)),
        ("Development set, original (blind, dev_001–dev_034)", os.path.join(dev, "docs"),
         os.path.join(dev, "gold.jsonl"), os.path.join(dev, "aliases.jsonl"), dev_entities, original,
         slice(None, original_queries)),
        ("Development set, extension (blind, dev_035–dev_059, issue #12)", os.path.join(dev, "docs"),
         os.path.join(dev, "gold.jsonl"), os.path.join(dev, "aliases.jsonl"), dev_entities, extension,
         slice(original_queries, None)),
    ]
    lines = []
    summary = {}
    for title, docs_dir, gold_path, aliases_path, extra, wanted, queries_part in corpora:
        docs, system = extract(args.bin, docs_dir, workdir, wanted)
        gold = [g for g in read_jsonl(gold_path) if wanted(g["doc"])]
        gold_path = os.path.join(workdir, "gold.jsonl")
        with open(gold_path, "w", encoding="utf-8") as f:
            for g in gold:
                f.write(json.dumps(g) + "\n")
        queries = read_jsonl(aliases_path)[queries_part]
        aliases_path = os.path.join(workdir, "aliases-gold.jsonl")
        with open(aliases_path, "w", encoding="utf-8") as f:
            for q in queries:
                f.write(json.dumps(q) + "\n")
        system_path = os.path.join(workdir, "system.jsonl")
        with open(system_path, "w", encoding="utf-8") as f:
            for s in system:
                f.write(json.dumps(s) + "\n")
        table = score_table(args.eval, "mentions", gold_path, system_path, extra)
        ents = score.load_entities([os.path.join(args.eval, "entities.jsonl")] + extra)
        # Which gold names does the dictionary resolve?
        with open(names_path, "w", encoding="utf-8") as f:
            for g in gold:
                f.write(g["text"] + "\n")
        resolved = run([args.bin, "normalize", "-i", names_path])
        known = {score.fold(json.loads(l)["query"]) for l in resolved.splitlines() if json.loads(l)["id"] or json.loads(l)["candidates"]}
        by_kind, errors = classify(score, gold, system, ents, known)

        lines += [f"## {title}", "", f"{len(docs)} documents, {sum(1 for g in gold if not g.get('optional'))} required gold mentions.", "",
                  "### Mentions (score.py)", "", "```", table.strip(), "```", "",
                  "### Precision by match kind", "", "| match kind | right | wrong or spurious | precision |", "|---|---:|---:|---:|"]
        for kind in sorted(by_kind):
            right, wrong = by_kind[kind]
            lines.append(f"| {kind} | {right} | {wrong} | {right / (right + wrong):.3f} |")
        lines.append("")

        # Aliases through Normalize, with answers outside the inventory projected to "none of the inventory".
        alias_in = os.path.join(workdir, "aliases-in.jsonl")
        with open(alias_in, "w", encoding="utf-8") as f:
            for q in queries:
                f.write(json.dumps({"query": q["query"]}) + "\n")
        answers = [json.loads(l) for l in run([args.bin, "normalize", "-i", alias_in]).splitlines()]
        inventory_names = {score.fold(n) for e in ents.values() for n in e.get("names", []) + [e["name"]]}
        projected = []
        outside = []
        for a in answers:
            if a["id"] and a["id"] not in ents and score.fold(a["name"]) not in inventory_names:
                outside.append(f"{a['query']} -> {a['id']} ({a['match_kind']})")
                a = dict(a, id=None, name=None)
            projected.append(a)
        alias_sys = os.path.join(workdir, "aliases-sys.jsonl")
        with open(alias_sys, "w", encoding="utf-8") as f:
            for a in projected:
                f.write(json.dumps({"query": a["query"], "name": a["name"], "id": a["id"]}) + "\n")
        alias_table = score_table(args.eval, "aliases", aliases_path, alias_sys, extra)
        figures = dict(kv.split("=") for kv in (table + " " + alias_table).split() if "=" in kv)
        summary[title] = {k: float(figures[k]) for k in
                          ("linked_p", "linked_r", "linked_f1", "accuracy", "right", "queries", "false_resolutions")}
        kinds = collections.Counter(a["match_kind"] or "none" for a in answers)
        lines += ["### Alias queries (Normalize)", "", "```", alias_table.strip(), "```", "",
                  "Answers by match kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ".", ""]
        if outside:
            lines += ["Answers outside the scorer's inventory (scored as \"none of the inventory\"; each is the query's own listed name):", ""]
            lines += [f"- {o}" for o in outside] + [""]

        lines += ["### Remaining errors by class", ""]
        grouped = collections.defaultdict(list)
        for kind, cls, item in errors:
            grouped[(kind, cls)].append(item)
        if not grouped:
            lines += ["None.", ""]
        for (kind, cls), items in sorted(grouped.items()):
            lines += [f"**{kind}: {cls}** ({len(items)})", ""]
            for it in sorted(items, key=lambda x: (x["doc"], x["start"])):
                extra_info = f" → {it['name']} ({it['id']}); gold {it['gold']}" if kind == "WRONG" else (
                    f" → {it['name']} ({it['id']}, {it['kind']})" if kind == "FP" else f" ({it['id']})")
                lines.append(f"- `{it['doc']}` @{it['start']}: “{it['text']}”{extra_info}")
            lines.append("")
    head = ["# Quality report", "",
            "Regenerate with `python3 scripts/quality-report.py` (builds the release binary, runs the corpora",
            "through `entex extract` / `entex normalize`, scores them with `../shared/eval/score.py`).", "",
            f"Dictionary: `{check}`", "",
            "This report: `" + " ".join(["python3", "scripts/quality-report.py"] + sys.argv[1:]) + "`"
            + (" with `ENTEX_SKIP_BUILD=1`" if os.environ.get("ENTEX_SKIP_BUILD") else "") + ".", "", "## Summary", ""]
    baseline = {}
    if args.baseline:
        with open(args.baseline, encoding="utf-8") as f:
            baseline = json.load(f)
        head += [f"Before: {baseline.get('label', args.baseline)}.", ""]
    head += ["| corpus | linked P | linked R | linked F1 | alias accuracy | false resolutions |", "|---|---:|---:|---:|---:|---:|"]

    def cell(title, key, fmt):
        now = fmt(summary[title], key)
        before = baseline.get("corpora", {}).get(title)
        return f"{fmt(before, key)} → {now}" if before else now

    plain = lambda f, k: f"{f[k]:.4f}"
    alias = lambda f, k: f"{f['accuracy']:.3f} ({int(f['right'])}/{int(f['queries'])})"
    false = lambda f, k: f"{int(f['false_resolutions'])}"
    for title in summary:
        head.append(f"| {title} | {cell(title, 'linked_p', plain)} | {cell(title, 'linked_r', plain)} | "
                    f"{cell(title, 'linked_f1', plain)} | {cell(title, 'accuracy', alias)} | {cell(title, 'false_resolutions', false)} |")
    head.append("")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(head + lines))
    if args.summary_out:
        with open(args.summary_out, "w", encoding="utf-8") as f:
            json.dump({"label": f"dictionary `{check}`", "corpora": summary}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
