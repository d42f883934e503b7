#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the raw results of bench/run.sh.

Usage: python3 bench/report.py RESULTS_DIR OUTPUT.md

RESULTS_DIR holds machine.json, commands.txt, engine.log, criterion/ (with
CRITERION_HOME pointed there), dictionary.json, check.*, compile.json,
server-*.json, load-*.json, run.json, and for issues 11 and 9 corpus.jsonl
(benches/corpus.rs), scale-*.json (catalogue check/compile), rss-*.json and
catalogue-manifest.json. Any of them may be missing (an
older run, a skipped step): the report then says "not measured". Throughput is in MB/s with MB = 10^6 bytes
throughout (criterion's own output uses MiB/s).
"""

import json
import re
import sys
from pathlib import Path

SIZES = ["1KB", "16KB", "256KB", "1MB"]
SCANS = [("word-trie", "word-trie"), ("aho-corasick", "aho-corasick")]
# Where the artefact's validation on load is tested.
VALIDATION_TESTS = "`tests/api/compiled.rs`, `src/dictionary/artefact.rs` unit tests"
CORPORA = [("news", "news"), ("non_ascii", "non-ASCII"), ("no_entities", "no entities")]


def load(path, default=None):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def criterion_results(root):
    """full id -> (MB/s from the mean time, mean ns, bytes)."""
    out = {}
    for bench in Path(root).glob("**/new/benchmark.json"):
        meta = load(bench, {})
        est = load(bench.parent / "estimates.json", {})
        tp = (meta.get("throughput") or {}).get("Bytes")
        mean = est.get("mean", {}).get("point_estimate")
        if tp and mean:
            out[meta["full_id"]] = (tp / (mean * 1e-9) / 1e6, mean, tp)
    return out


def match_counts(log):
    counts = {}
    for line in log.splitlines():
        m = re.match(r"matches (\S+): (\d+) in (\d+) bytes", line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def mbs(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:.2f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}"


def mib(b):
    return "–" if b is None else f"{b / 1048576:,.0f} MiB"


def median(values):
    vals = sorted(v for v in values if v is not None)
    return vals[len(vals) // 2] if vals else None


def secs(x):
    """A duration: ms below a second, else seconds."""
    if x is None:
        return "–"
    return f"{x * 1e3:,.0f} ms" if x < 1 else f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def verdict(value, target, higher_is_better=True):
    """'met' or 'missed by N %' / 'missed: N x'."""
    if value is None:
        return "not measured"
    if higher_is_better:
        if value >= target:
            return "**met**"
        return f"**missed** ({value / target:.2f} of target; {target / value:.1f}x short)" if value > 0 else "**missed**"
    if value <= target:
        return "**met**"
    return f"**missed** ({value / target:.1f}x the limit)"


def read_corpus(path):
    """benches/corpus.rs output: its JSON lines by kind, keyed by (dict, text) or dict."""
    out = {"engine": {}, "reference": {}, "ratio": {}, "dictionary": {}, "reference_build": {},
           "dictionary_after": {}, "setup": {}, "done": {}}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        kind = row.get("kind")
        if kind in ("engine", "reference", "ratio"):
            out[kind][(row["dict"], row["text"])] = row
        elif kind in ("dictionary", "reference_build", "dictionary_after"):
            out[kind][row["dict"]] = row
        elif kind in ("setup", "done"):
            out[kind] = row
    return out if out["engine"] else None


CORPUS_TEXTS = [("news", "news (shared corpus)"), ("prose", "prose, no entities"),
                ("news_nonascii", "news, non-ASCII"), ("seeds_nonascii", "seed articles, non-ASCII")]
CORPUS_DICTS = [("default", "default (embedded)"), ("domain", "domain (`dict_domain_clean.tsv`)"),
                ("catalogue", "catalogue (compiled, mapped)")]


def issue11_and_9(w, res, loads, servers, machine):
    """The section of issue 11 (engine and server on the shared corpus) and
    issue 9 (the 1M-entity catalogue at scale): measured, target, verdict."""
    corpus = read_corpus(res / "corpus.jsonl")
    scale = {p.stem[len("scale-"):]: load(p) for p in res.glob("scale-*.json")}
    rss = {p.stem[len("rss-"):]: load(p) for p in res.glob("rss-*.json")}
    manifest = load(res / "catalogue-manifest.json", {}) or {}
    aliases = (manifest.get("counts") or {}).get("aliases")
    entities = (manifest.get("counts") or {}).get("entities")

    def eng(dic, text):
        return ((corpus or {}).get("engine", {}).get((dic, text)) or {}).get("mb_per_s")

    def ref(dic, text):
        return ((corpus or {}).get("reference", {}).get((dic, text)) or {}).get("mb_per_s")

    w("## Issue 11 and issue 9 targets")
    w("")
    w("Issue 11: throughput on the shared news-like corpus (`../shared/bench`, built by `bench/corpus.sh`; 64 MB of")
    w("news paragraphs among English prose, one domain-dictionary hit per ~430 bytes), one core, against the DFA")
    w("reference in the same run. Issue 9: the 1M-entity / 3.5M-alias catalogue (`bench/gen_catalogue.py`) at")
    w("scale. Engine figures are `benches/corpus.rs`: one thread, MB/s = text bytes ÷ the thread's CPU seconds,")
    w("median of the passes (wall-clock MB/s beside it in the table below); server figures are `entex-load` on the")
    w("same 2-core machine. The **DFA reference** is `../shared/bench/raw_ac` mirrored in-process: the")
    w("`aho-corasick` crate's DFA, leftmost-longest, ASCII case-insensitive, over the aliases as written, counting")
    w("matches and nothing else. With the `domain` dictionary (the shared `dict_domain_clean.tsv` loaded as an")
    w("entex dictionary) engine and reference search for the same 598 aliases: that is the like-for-like ratio,")
    w("and the reference's MB/s is raw_ac's own figure. With the default dictionary the reference runs over the")
    w("default dictionary's aliases as `make_dict_domain.py` would write them (unique case-insensitively, 3+")
    w("characters).")
    w("")
    if corpus:
        setup, done = corpus.get("setup") or {}, corpus.get("done") or {}
        w(f"Load average (1, 5, 15 min) during the corpus bench: {' '.join(setup.get('loadavg_start') or [])} at "
          f"start, {' '.join(done.get('loadavg_end') or [])} at end, on {machine.get('nproc', '?')} cores; "
          f"{setup.get('passes', '?')} passes per figure.")
        w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")
    if corpus:
        for dic, label in (("domain", "domain dictionary, vs raw_ac's DFA over the same aliases"),
                           ("default", "default dictionary, vs the DFA over its aliases")):
            e, r = eng(dic, "news"), ref(dic, "news")
            if e is not None and r:
                w(f"| 11: engine, one core, shared corpus ≥ 0.8 × the DFA reference, same run ({label}) | "
                  f"{mbs(e)} MB/s ÷ {mbs(r)} MB/s = {e / r:.2f} | {verdict(e / r, 0.8)} |")
        raw_ac = load(res / "raw_ac.json")
        mirror = corpus["reference"].get(("domain", "news"))
        if raw_ac and mirror:
            same = "the same count" if raw_ac.get("matches") == mirror.get("matches") else "**a different count**"
            w(f"| … the mirror checked: `raw_ac` itself (a copy of `../shared/bench/raw_ac`, its own build profile, "
              f"wall clock, median of {len(raw_ac.get('pass_s', []))}) on the same corpus | {mbs(raw_ac['mb_per_s'])} "
              f"MB/s, {raw_ac['matches']:,} matches; in-process: {mbs(mirror['mb_per_s_wall'])} MB/s wall, "
              f"{mirror['matches']:,} matches ({same}) | reported |")
        e, r = eng("default", "news"), ref("domain", "news")
        if e is not None and r:
            w(f"| … default dictionary ÷ raw_ac's figure (the reference of `../shared/bench/README.md`) | "
              f"{mbs(e)} ÷ {mbs(r)} = {e / r:.2f} | {verdict(e / r, 0.8)} |")
        for dic in ("default", "domain"):
            e = eng(dic, "prose")
            m = ((corpus["engine"].get((dic, "prose")) or {}).get("matches"))
            if e is not None:
                w(f"| 11: engine on prose with no entities ≥ 1 GB/s ({dic} dictionary) | {mbs(e)} MB/s "
                  f"({m} mentions) | {verdict(e, 1000)} |")
        for dic in ("default", "domain"):
            e, e2 = eng(dic, "news_nonascii"), eng(dic, "seeds_nonascii")
            if e is not None:
                w(f"| 11: engine on non-ASCII news ≥ 200 MB/s ({dic} dictionary) | {mbs(e)} MB/s on the corpus made "
                  f"non-ASCII; {mbs(e2)} MB/s on the seed articles made non-ASCII | {verdict(e, 200)}; "
                  f"{verdict(e2, 200)} on the seeds |")
        e = eng("catalogue", "news")
        if e is not None:
            w(f"| 11: engine with a 1M-alias dictionary ≥ 100 MB/s per core, same corpus (9: Extract with the catalogue "
              f"≥ 100 MB/s per core) | {mbs(e)} MB/s with the catalogue ({aliases or '?':,} aliases, mapped); "
              f"non-ASCII news {mbs(eng('catalogue', 'news_nonascii'))}, prose {mbs(eng('catalogue', 'prose'))} | "
              f"{verdict(e, 100)} |")
        else:
            w("| 11: engine with a 1M-alias dictionary ≥ 100 MB/s per core | not measured (no catalogue artefact) | – |")
    else:
        w("| 11: engine on the shared corpus | not measured (no corpus.jsonl) | – |")
    batch = loads.get("w2-corpus-batch")
    reference = ref("domain", "news")
    if batch and reference:
        s = batch.get("server") or {}
        w(f"| 11: server on 2 cores, 64 KB batches, load generator on the same machine ≥ 1.0 × the DFA reference's "
          f"one-core MB/s | {batch['mb_per_s']:.1f} MB/s (server CPU {s.get('cpu_cores', 0):.2f} cores, client "
          f"{batch['client_cpu_s'] / batch['duration_s']:.2f}) = {batch['mb_per_s'] / reference:.2f} × {mbs(reference)} "
          f"MB/s | {verdict(batch['mb_per_s'] / reference, 1.0)} |")
    elif batch:
        w(f"| 11: server, 64 KB batches of the corpus | {batch['mb_per_s']:.1f} MB/s; no reference figure | – |")
    single = loads.get("w2-corpus-single-c1")
    if single:
        lat = single["latency_ms"]
        w(f"| 11: server, a single 2 KB document, p50 ≤ 0.3 ms | p50 {lat['p50']:.3f} ms (p99 {lat['p99']:.3f} ms, "
          f"concurrency 1, documents of the corpus cut to 2 KiB) | {verdict(lat['p50'], 0.3, False)} |")
    for fmt in ("jsonl", "csv"):
        c = scale.get(f"check-{fmt}")
        if c:
            w(f"| 9: load the catalogue from source ({fmt.upper()}, `entex check`) ≤ 10 s and ≤ 1.5 GB peak RSS | "
              f"{c['wall_s']:.1f} s wall ({c['cpu_s']:.1f} s CPU), peak RSS {c['max_rss_bytes'] / 1e9:.2f} GB | "
              f"{verdict(c['wall_s'], 10, False)} time; {verdict(c['max_rss_bytes'] / 1e9, 1.5, False)} memory |")
    for fmt in ("jsonl", "csv"):
        c = scale.get(f"compile-{fmt}")
        if c:
            w(f"| 9: `entex compile` of the catalogue ({fmt.upper()}; no target of its own) | {c['wall_s']:.1f} s wall "
              f"({c['cpu_s']:.1f} s CPU), peak RSS {c['max_rss_bytes'] / 1e9:.2f} GB | reported |")
    starts = sorted((k for k in servers if re.fullmatch(r"catalogue-\d+", k)), key=lambda k: int(k.split("-")[1]))
    if starts:
        health = [servers[k].get("cold_start_s") for k in starts]
        event = [servers[k].get("serving_event_s") for k in starts]
        load_ms = [servers[k].get("artefact_load_ms") for k in starts]
        w(f"| 9: cold start to SERVING with the compiled catalogue < 1 s | {secs(median(health))} median of "
          f"{len(starts)} starts to the first SERVING health answer ({', '.join(secs(x) for x in health)}; "
          f"`entex healthcheck` polled every 50 ms); \"serving\" logged at {', '.join(secs(x) for x in event)}; "
          f"artefact load {', '.join('–' if x is None else f'{x:,.0f}' for x in load_ms)} ms | "
          f"{verdict(median(health), 1.0, False)} |")
    serving, loaded = rss.get("catalogue-1-serving"), rss.get("catalogue-1-loaded")
    if serving and aliases:
        def split(r):
            return (f"VmRSS {mib(r.get('VmRSS'))} = RssAnon {mib(r.get('RssAnon'))} + RssFile "
                    f"{mib(r.get('RssFile'))}: {r.get('VmRSS', 0) / aliases:.0f} B/alias "
                    f"({r.get('RssAnon', 0) / aliases:.0f} private + {r.get('RssFile', 0) / aliases:.0f} mapped)")
        worst = max(r.get("VmRSS", 0) for r in (serving, loaded) if r)
        w(f"| 9: resident memory serving the catalogue ≤ 150 bytes per alias ({aliases:,} aliases, "
          f"{entities or 0:,} entities) | at SERVING: {split(serving)}"
          + (f"; after {loads.get('catalogue-corpus-batch', {}).get('duration_s', 0):.0f} s of corpus batches: "
             f"{split(loaded)}" if loaded else "")
          + f" | {verdict(worst / aliases, 150, False)} (all of VmRSS; the mapped part is page cache that replicas "
          f"on one node share) |")
    cat = loads.get("catalogue-corpus-batch")
    if cat:
        s = cat.get("server") or {}
        per_core = cat["mb_per_s"] / s["cpu_cores"] if s.get("cpu_cores") else None
        w(f"| 9: Extract with the catalogue ≥ 100 MB/s per core (server) | {cat['mb_per_s']:.1f} MB/s on "
          f"{s.get('cpu_cores', 0):.2f} server cores = {mbs(per_core)} MB/s per core of server CPU (64 KB batches of "
          f"the corpus, 2 workers) | {verdict(per_core, 100)} |")
    w("")

    if corpus:
        w("### Engine over the shared corpus (benches/corpus.rs)")
        w("")
        w("`Dictionary::extract` on every document in turn, one thread; the reference alternates pass by pass")
        w("with the engine. Matches: mentions (engine), `find_iter` matches (reference, also inside words); each")
        w("pass asserts the count of the first. MB/s CPU = over the thread's CPU time; wall = over elapsed time")
        w("(lower when another process held the core).")
        w("")
        w("| dictionary | text | documents | MB | engine MB/s CPU | engine MB/s wall | reference MB/s CPU | "
          "engine ÷ reference | matches engine / reference |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for dic, dlabel in CORPUS_DICTS:
            for text, tlabel in CORPUS_TEXTS:
                e = corpus["engine"].get((dic, text))
                if not e:
                    continue
                r = corpus["reference"].get((dic, text)) or {}
                ratio_row = corpus["ratio"].get((dic, text)) or {}
                w(f"| {dlabel} | {tlabel} | {e['docs']:,} | {e['bytes'] / 1e6:,.1f} | {mbs(e['mb_per_s'])} | "
                  f"{mbs(e['mb_per_s_wall'])} | {mbs(r.get('mb_per_s'))} | {fmt_ratio(ratio_row.get('ratio'))} | "
                  f"{e['matches']:,} / {'–' if not r else format(r['matches'], ',')} |")
        w("")
        for dic, dlabel in CORPUS_DICTS:
            d = corpus["dictionary"].get(dic)
            if not d:
                continue
            b = corpus["reference_build"].get(dic)
            after = (corpus["dictionary_after"].get(dic) or {}).get("rss") or {}
            w(f"- {dlabel}: {d['entities']:,} entities, {d['aliases']:,} aliases (entity, folded alias claims); "
              f"loaded in {secs(d['load_s'])}; heap {mib(d.get('heap_bytes'))}, tables {mib(d.get('table_bytes'))}"
              + (f"; bench RSS after its runs {mib(after.get('vm_rss'))} (anon {mib(after.get('rss_anon'))}, file "
                 f"{mib(after.get('rss_file'))})" if after else "")
              + (f". Reference: {b['patterns']:,} patterns, {b['automaton']}, {mib(b['heap_bytes'])}, built in "
                 f"{secs(b['build_s'])}." if b else
                 ". No reference: a DFA over millions of patterns is out of reach (tens of millions of states times "
                 "the byte classes); `ENTEX_BENCH_CATALOGUE_REFERENCE=nfa` runs the contiguous NFA instead."))
        w("")
    if scale:
        w("### The catalogue: load and compile (GNU time)")
        w("")
        w("| command | wall | CPU (user + system) | peak RSS | it reports |")
        w("|---|---:|---:|---:|---|")
        for name in ("check-jsonl", "check-csv", "compile-jsonl", "compile-csv"):
            c = scale.get(name)
            if c:
                command, fmt = name.split("-")
                w(f"| `entex {command}` of `catalogue.{fmt}` | "
                  f"{c['wall_s']:.1f} s | {c['cpu_s']:.1f} s | {c['max_rss_bytes'] / 2**20:,.0f} MiB | "
                  f"{c['summary'][:160]} |")
        w("")
    w("")

    res, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    machine = load(res / "machine.json", {})
    run = load(res / "run.json", {})
    crit = criterion_results(res / "criterion")
    counts = match_counts((res / "engine.log").read_text() if (res / "engine.log").exists() else "")
    dictionary = load(res / "dictionary.json", {})
    check_time = (res / "check.time").read_text().split() if (res / "check.time").exists() else None
    check_txt = (res / "check.txt").read_text().strip() if (res / "check.txt").exists() else ""
    loads = {p.stem[len("load-"):]: load(p) for p in res.glob("load-*.json")}
    servers = {p.stem[len("server-"):]: load(p) for p in res.glob("server-*.json")}
    servers = {k: v for k, v in servers.items() if v}
    compile_run = load(res / "compile.json", {})
    # `serve --compiled` cold starts, in run order.
    compiled = [servers[k] for k in sorted((k for k in servers if k.startswith("compiled-")),
                                           key=lambda k: int(k.split("-")[1]) if k.split("-")[1].isdigit() else 0)]
    artefact = (dictionary or {}).get("artefact") or {}
    has_large = any(k.startswith("engine/large/") for k in crit)

    def to_serving(server):
        """Seconds from process start to the "serving" log event (to the first
        SERVING health answer for runs that did not log it)."""
        if not server:
            return None
        return server.get("serving_event_s") or server.get("cold_start_s")

    def tput(kind, dic, corpus, size, config=None):
        if kind == "fold":
            key = f"fold/{corpus}/{size}"
        elif kind == "scan":
            key = f"scan/{dic}/{corpus}/{config}/{size}"
        else:
            key = f"{kind}/{dic}/{corpus}/{size}"
        v = crit.get(key)
        return v[0] if v else None

    L = []
    w = L.append
    w("# entex benchmarks")
    w("")
    w("Generated by `bench/run.sh` (see `bench/README.md` for what each benchmark does and how the large")
    w("dictionary is made). Do not edit by hand: rerun the script. Throughput is in MB/s, MB = 10^6 bytes,")
    w("of the caller's text; engine figures are one core (criterion runs one thread).")
    w("")
    w("## Machine and versions")
    w("")
    w(f"- CPU: {machine.get('cpu_model', '?')}, {machine.get('nproc', '?')} cores (`nproc`); "
      f"memory {machine.get('mem_total_bytes', 0) / 2**30:.1f} GiB; {machine.get('kernel', '')}")
    w(f"- {machine.get('rustc', '?')}; {machine.get('cargo', '?')}; {machine.get('python', '')}")
    commit = machine.get("git_commit", "?")
    w(f"- entex {machine.get('crate_version', '?')}, commit `{commit[:12]}`"
      + (" with uncommitted changes in the work tree" if machine.get("git_dirty") else ""))
    la0, la1 = machine.get("loadavg_start"), run.get("loadavg_end")
    w(f"- load average (1, 5, 15 min) at start {' '.join(la0 or [])}, at end {' '.join(la1 or [])}; "
      f"the whole run took {run.get('seconds', 0) / 60:.1f} min. A load average near or above the core count")
    w("  means other work shared the machine and the figures are low by that much.")
    if machine.get("criterion_reused"):
        w("- The engine, dictionary and profile figures are from the previous run of the script (it was")
        w("  rerun with `ENTEX_BENCH_SKIP_CRITERION=1`); the server figures are from this one.")
    w("")

    issue11_and_9(w, res, loads, servers, machine)

    # --- targets -----------------------------------------------------------
    news16 = tput("engine", "default", "news", "16KB")
    news_all = [tput("engine", "default", "news", s) for s in SIZES]
    raw_all = [tput("raw", "default", "news", s) for s in SIZES]
    ratios = [ratio(a, b) for a, b in zip(news_all, raw_all)]
    noent = [tput("engine", "default", "no_entities", s) for s in SIZES]
    large_news = [tput("engine", "large", "news", s) for s in SIZES]
    mem = (dictionary or {}).get("memory") or {}
    cores = machine.get("nproc") or 2
    w1, w2 = loads.get("w1-batch-peak"), loads.get("w2-batch-peak")
    single_c1 = loads.get("w2-single-c1")
    single80 = loads.get("w2-single-80")
    batch80 = loads.get("w2-batch-80")
    server_mbs = w2["mb_per_s"] if w2 else None
    engine_basis = news16
    large_server = servers.get("large") or {}

    def rng(values):
        vals = [v for v in values if v is not None]
        if not vals:
            return None, "–"
        return min(vals), f"{mbs(min(vals))}–{mbs(max(vals))}"

    w("## Issue #4 targets, as measured")
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")
    lo, span = rng(news_all)
    w(f"| engine, one core, news, default dictionary: ≥ 300 MB/s | {span} MB/s over 1 KB–1 MB "
      f"(16 KB: {mbs(news16)}) | {verdict(lo, 300)} at the worst size; {verdict(news16, 300)} at 16 KB |")
    lo_r, _ = (min([r for r in ratios if r is not None], default=None), None)
    w(f"| engine ≥ 0.8 × raw aho-corasick reference (same run) | "
      f"{', '.join(f'{s}: {fmt_ratio(r)}' for s, r in zip(SIZES, ratios))} | {verdict(lo_r, 0.8)} at the worst size |")
    lo_n, span_n = rng(noent)
    w(f"| engine, text with no entities: ≥ 1 GB/s | {span_n} MB/s | {verdict(lo_n, 1000)} at the worst size |")
    if has_large:
        lo_l, span_l = rng(large_news)
        w(f"| engine, 1M-alias dictionary, news: ≥ 100 MB/s per core | {span_l} MB/s "
          f"(16 KB: {mbs(tput('engine', 'large', 'news', '16KB'))}) | {verdict(lo_l, 100)} at the worst size; "
          f"{verdict(tput('engine', 'large', 'news', '16KB'), 100)} at 16 KB |")
    build = (dictionary or {}).get("load_seconds_median")
    w(f"| 1M-alias dictionary: build from source files ≤ 5 s | {build:.1f} s (median of {dictionary.get('runs')}; "
      f"{dictionary.get('files')} files) | {verdict(build, 5, False)} |" if build else
      "| 1M-alias dictionary: build ≤ 5 s | not measured | – |")
    rss = mem.get("rss_delta_bytes")
    art_mem = artefact.get("memory") or {}
    art_rss = art_mem.get("rss_delta_bytes")
    served_compiled = median([c.get("rss_serving_bytes") for c in compiled])
    w(f"| 1M-alias dictionary: resident memory ≤ 400 MB | {mib(rss)} RSS delta after a build from sources; "
      f"{mib(art_rss)} loaded from the artefact (servers serving it: {mib(large_server.get('rss_serving_bytes'))} "
      f"from sources, {mib(served_compiled)} from the artefact) | "
      f"{verdict(rss / 1e6 if rss else None, 400, False)} from sources; "
      f"{verdict(art_rss / 1e6 if art_rss else None, 400, False)} from the artefact |")
    cold_src = to_serving(large_server)
    cold = median([to_serving(c) for c in compiled])
    if cold is not None:
        health = median([c.get("cold_start_s") for c in compiled])
        w(f"| cold start to SERVING < 1 s with a precompiled artefact (`entex compile`, `serve --compiled`) | "
          f"{secs(cold)} median of {len(compiled)} starts ({', '.join(secs(to_serving(c)) for c in compiled)}) "
          f"to the \"serving\" log event; {secs(health)} to the first SERVING health answer (polled every 50 ms); "
          f"from source files: {secs(cold_src)} | {verdict(cold, 1.0, False)} |")
    else:
        w(f"| cold start to SERVING < 1 s with a precompiled artefact (`entex compile`, `serve --compiled`) | "
          f"not measured; from source files: {secs(cold_src)} | not measured |")
    load_ms = median([c.get("artefact_load_ms") for c in compiled])
    read_s = artefact.get("read_seconds_median")
    if read_s is not None or load_ms is not None:
        # What a server pays when it has it; the bench's read otherwise.
        paid = load_ms / 1e3 if load_ms is not None else read_s
        w(f"| … artefact load time (part of the cold start; the rest is process start, runtime and listener) | "
          f"{secs(None if load_ms is None else load_ms / 1e3)} in `serve --compiled` (its logged `load_ms`, "
          f"median); {secs(read_s)} for `artefact::read` in benches/dictionary.rs (median of "
          f"{artefact.get('runs', '–')}) | {verdict(paid, 1.0, False)} against the whole 1 s |")
    else:
        w("| … artefact load time | not measured | not measured |")
    size = compile_run.get("artefact_bytes") or artefact.get("bytes")
    if size:
        compile_s, compile_rss = compile_run.get("seconds"), compile_run.get("max_rss_bytes")
        w(f"| … artefact size (no target) | {mib(size)} ({size / 1e6:,.0f} MB; sources "
          f"{dictionary.get('source_bytes', 0) / 1e6:,.1f} MB); `entex compile` took {secs(compile_s)}, "
          f"max RSS {mib(compile_rss)} | reported |")
    else:
        w("| … artefact size | not measured | – |")
    refused = artefact.get("corrupt_refused")
    w(f"| … artefact validated on load (a corrupt or mismatched one refused) | yes: magic, format version, "
      f"engine identity, length, xxh3 checksum, table consistency; tested in {VALIDATION_TESTS}"
      + (f"; this run: a flipped byte in the 1M-alias artefact was refused (\"{refused}\")" if refused else "")
      + " | **met** |")
    if server_mbs is not None and engine_basis:
        basis = engine_basis * cores
        w(f"| server, 64 KB batches: ≥ 0.7 × engine × cores | {mbs(server_mbs)} MB/s with 2 workers = "
          f"{server_mbs / basis:.2f} × ({mbs(engine_basis)} MB/s × {cores}) | {verdict(server_mbs / basis, 0.7)} |")
    if single_c1:
        p50, p99 = single_c1["latency_ms"]["p50"], single_c1["latency_ms"]["p99"]
        w(f"| server, one 2 KB document at concurrency 1: p50 ≤ 0.3 ms | {p50:.3f} ms | {verdict(p50, 0.3, False)} |")
        w(f"| … p99 ≤ 1 ms | {p99:.3f} ms | {verdict(p99, 1.0, False)} |")
    for name, run80 in (("single 2 KB documents", single80), ("64 KB batches", batch80)):
        if run80:
            p99 = run80["latency_ms"]["p99"]
            w(f"| at 80 % of peak throughput ({name}, 2 workers): p99 ≤ 5 ms | {p99:.2f} ms at "
              f"{run80['requests_per_s']:.0f} requests/s | {verdict(p99, 5.0, False)} |")
    growth = [
        (l["server"]["rss_end_bytes"] - l["server"]["rss_start_bytes"]) / 2**20
        for l in loads.values() if l and l.get("server")
    ]
    if growth:
        w(f"| memory flat under sustained load | RSS change over each measured run: "
          f"{min(growth):+.1f} to {max(growth):+.1f} MiB | {'**met**' if max(abs(g) for g in growth) < 16 else '**check**'} |")
    t1, t2 = crit.get("threads/default/news-16KBx32/1"), crit.get("threads/default/news-16KBx32/2")
    if t1 and t2:
        w(f"| throughput grows with cores: the engine on 1 and 2 threads (32 news documents of 16 KB on a rayon "
          f"pool, no gRPC, no load generator) | {t1[0]:,.0f} → {t2[0]:,.0f} MB/s: {t2[0] / t1[0]:.2f}× | reported |")
    if w1 and w2:
        w(f"| throughput grows with cores: the server with 2 workers / 1 worker (the load generator shares the "
          f"2 cores) | {w2['mb_per_s'] / w1['mb_per_s']:.2f}× on 64 KB batches | reported |")
    w("")

    # --- engine table -------------------------------------------------------
    w("## Engine, one core (criterion)")
    w("")
    w("`engine` = `Dictionary::extract` on one document (fold, scan, boundary/case/context rules, short forms,")
    w("offsets in three units). `raw` = the `aho-corasick` crate's leftmost-longest `find_iter` count over the")
    w("same bytes with the dictionary's aliases as written plus their lowercase forms (no folding, no word")
    w("boundaries, no checks, no output): the limit the engine is held against. `fold` = the folding stage")
    w("alone. `scan` = the engine's automaton alone over the already folded text: its padded folded pattern")
    w("keys, leftmost-longest, each next search starting on the last key's trailing pad (as the engine walks),")
    w("counting keys and nothing else; `word-trie` = the engine's own scanner (a trie over folded words with a")
    w("first-word filter), `aho-corasick` = the `aho-corasick` crate's contiguous NFA (with its prefilter) over the")
    w("same keys, for comparison; WT/AC = word-trie MB/s ÷ aho-corasick MB/s. Ratio = engine / raw.")
    w("Matches: the count each benchmark asserts (engine / raw / scan; raw counts every substring hit, also")
    w("inside words; scan counts keys before any rule, both automata alike).")
    w("")
    dicts = [("default", "default dictionary")] + ([("large", "1M-alias dictionary")] if has_large else [])
    for dic, title in dicts:
        w(f"### {title}")
        w("")
        head = ("| text | size | engine MB/s | raw MB/s | engine/raw | matches engine / raw / scan | "
                "scan word-trie MB/s | scan aho-corasick MB/s | WT/AC |")
        if dic == "default":
            head += " fold MB/s |"
        w(head)
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if dic == "default" else ""))
        for corpus, label in CORPORA:
            for size in SIZES:
                e, r = tput("engine", dic, corpus, size), tput("raw", dic, corpus, size)
                me, mr = counts.get(f"engine/{dic}/{corpus}/{size}"), counts.get(f"raw/{dic}/{corpus}/{size}")
                ms = counts.get(f"scan/{dic}/{corpus}/word-trie/{size}")
                da, ac = (tput("scan", dic, corpus, size, config) for config, _ in SCANS)
                row = (f"| {label} | {size} | {mbs(e)} | {mbs(r)} | {fmt_ratio(ratio(e, r))} | "
                       f"{'–' if me is None else me} / {'–' if mr is None else mr} / {'–' if ms is None else ms} | "
                       f"{mbs(da)} | {mbs(ac)} | {fmt_ratio(ratio(da, ac))} |")
                if dic == "default":
                    row += f" {mbs(tput('fold', dic, corpus, size))} |"
                w(row)
        w("")
        scan_pairs = [(tput("scan", dic, c, z, "word-trie"), tput("scan", dic, c, z, "aho-corasick"))
                      for c, _ in CORPORA for z in SIZES]
        scan_ratios = [ratio(a, b) for a, b in scan_pairs if a and b]
        if scan_ratios:
            w(f"Scan, word-trie ÷ aho-corasick over the same keys: {min(scan_ratios):.2f}–{max(scan_ratios):.2f} "
              f"(median {median(scan_ratios):.2f}) over every text and size.")
        else:
            w("Scan word-trie vs aho-corasick: not measured in this run.")
        w("")

    # --- dictionary ----------------------------------------------------------
    if dictionary:
        w("## Large dictionary: build and memory")
        w("")
        w(f"- {mem.get('entities', 0):,} entities, {mem.get('aliases', 0):,} (entity, folded alias) claims "
          f"(written aliases plus derived surname short forms), {dictionary.get('files')} source files, "
          f"{dictionary.get('source_bytes', 0) / 1e6:.1f} MB; version `{mem.get('version')}`.")
        w(f"- Build from source files (read, parse, validate, fold, build the scanners and tables): "
          f"{', '.join(f'{s:.2f}' for s in dictionary.get('load_seconds', []))} s; engine-reported build time "
          f"(after reading) median {dictionary.get('build_seconds_median', 0):.2f} s.")
        w(f"- Resident memory of the loaded dictionary (VmRSS after load minus before, freed heap returned with "
          f"`malloc_trim`): {mib(mem.get('rss_delta_bytes'))}; peak during the build (VmHWM) "
          f"{mib(mem.get('peak_rss_bytes'))}; the engine's own estimate (`Dictionary::memory_usage`) "
          f"{mib(mem.get('estimated_bytes'))}, of which the main scanner ({mem.get('automaton_kind')}) "
          f"{mib(mem.get('automaton_bytes'))}.")
        if check_time:
            w(f"- `entex check` on it: {check_txt.splitlines()[-1] if check_txt else '?'} "
              f"({float(check_time[0]):.1f} s, max RSS {int(check_time[1]) / 1024:,.0f} MiB).")
        w("")
    w("## Large dictionary: precompiled artefact")
    w("")
    if compile_run:
        w(f"- `entex compile` (read, parse, validate, fold, build, write): {secs(compile_run.get('seconds'))}, "
          f"max RSS {mib(compile_run.get('max_rss_bytes'))} (GNU time); artefact {mib(compile_run.get('artefact_bytes'))}. "
          f"It reports: `{compile_run.get('summary', '').splitlines()[-1] if compile_run.get('summary') else '?'}`.")
    else:
        w("- `entex compile`: not measured in this run.")
    if artefact:
        w(f"- In `benches/dictionary.rs`: serialising {secs(artefact.get('serialise_seconds'))}, writing "
          f"{secs(artefact.get('write_seconds'))}; `artefact::read` (file read, checksum, decoding, consistency "
          f"checks) {', '.join(secs(x) for x in artefact.get('read_seconds', []))}; resident memory of the "
          f"dictionary loaded from it (measured as above) {mib(art_mem.get('rss_delta_bytes'))}, engine estimate "
          f"{mib(art_mem.get('estimated_bytes'))}; a flipped byte: "
          f"{'refused' if artefact.get('corrupt_refused') else 'not tried'}.")
    else:
        w("- Artefact load in `benches/dictionary.rs`: not measured in this run.")
    if compiled:
        load_list = ["–" if c.get("artefact_load_ms") is None else f"{c['artefact_load_ms']:,.0f}" for c in compiled]
        w(f"- `serve --compiled` with 2 workers, {len(compiled)} cold starts: to the \"serving\" log event "
          f"{', '.join(secs(to_serving(c)) for c in compiled)}; to the first SERVING health answer "
          f"{', '.join(secs(c.get('cold_start_s')) for c in compiled)}; artefact load (logged `load_ms`) "
          f"{', '.join(load_list)} ms; "
          f"RSS when serving {', '.join(mib(c.get('rss_serving_bytes')) for c in compiled)}. From source files: "
          f"{secs(cold_src)} to SERVING, RSS {mib(large_server.get('rss_serving_bytes'))}.")
    else:
        w("- `serve --compiled` cold starts: not measured in this run.")
    w("")

    # --- server --------------------------------------------------------------
    w("## Server under load (entex-load over loopback)")
    w("")
    w("`entex serve --workers N` with the default dictionary; `entex-load` on the same 2-core machine (its own")
    w("CPU use is in the table: client and server share the cores). Batch = 64 KiB of news articles per")
    w("request (8 documents); single = one 2 KiB document. Peak = closed loop; 80 % = a fixed request rate of")
    w("80 % of the peak, latency counted from when each request was due.")
    w("")
    w("| run | workers | concurrency | requests/s | docs/s | MB/s | p50 ms | p99 ms | p99.9 ms | server CPU cores | server RSS start → max → end | client CPU cores |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    order = ["batch-peak", "batch-80", "single-c1", "single-peak", "single-80"]
    names = [f"w{n}-{o}" for n in (1, 2) for o in order] + ["large-batch-peak", "large-single-c1"]
    for name in names:
        l = loads.get(name)
        if not l:
            continue
        s = l.get("server") or {}
        lat = l["latency_ms"]
        workers = 2 if name.startswith("large") else int(name[1])
        label = name.split("-", 1)[1] + (" (1M-alias dictionary)" if name.startswith("large") else "")
        w(f"| {label} | {workers} | {l['concurrency']} | {l['requests_per_s']:,.1f} | {l['docs_per_s']:,.0f} | "
          f"{l['mb_per_s']:.2f} | {lat['p50']:.3f} | {lat['p99']:.3f} | {lat['p999']:.3f} | "
          f"{s.get('cpu_cores', 0):.2f} | {mib(s.get('rss_start_bytes'))} → {mib(s.get('rss_max_bytes'))} → "
          f"{mib(s.get('rss_end_bytes'))} | {l['client_cpu_s'] / l['duration_s']:.2f} |")
    w("")
    for name, s in sorted(servers.items()):
        event = s.get("serving_event_s")
        w(f"- server `{name}`: SERVING {s['cold_start_s']:.2f} s after start (health)"
          + (f", \"serving\" logged at {event:.2f} s" if event is not None else "")
          + f", RSS when serving {mib(s['rss_serving_bytes'])}.")
    w("")

    # --- profiles ------------------------------------------------------------
    profiles = sorted(res.glob("profile-*.txt"))
    if profiles:
        w("## Where the engine's time goes")
        w("")
        w("`perf record` (self time by symbol) of one engine benchmark in criterion's profiling mode, taken")
        w("after setup; the top symbols:")
        w("")
        for p in profiles:
            w(f"`{p.stem[len('profile-'):]}`:")
            w("")
            w("```")
            for line in p.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3:
                    w(f"{parts[0]:>7}  {' '.join(parts[2:]).rstrip(' -')[:110]}")
            w("```")
            w("")
        notes = Path(__file__).with_name("analysis.md")
        if notes.exists():
            w(notes.read_text().strip())
            w("")

    # --- commands ------------------------------------------------------------
    w("## Commands")
    w("")
    w("```")
    w("bash bench/run.sh        # all of the below")
    root = str(Path.cwd()) + "/"
    for line in (res / "commands.txt").read_text().splitlines() if (res / "commands.txt").exists() else []:
        line = re.sub(r"--server-pid \d+", "--server-pid $SERVER_PID", line.replace(root, ""))
        if len(line) > 240:
            line = line[:200] + f" … ({len(line.split())} arguments in all)"
        w(line)
    w("```")
    w("")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(L))


if __name__ == "__main__":
    main()
