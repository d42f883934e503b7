#!/usr/bin/env python3
"""Build the dev evaluation set from its inline-annotated source.

    python3 tests/data/dev/build.py            # writes docs/*.txt and gold.jsonl
    python3 tests/data/dev/build.py --stats    # same, then prints the counts used in README.md

source.txt holds the documents, each opened by a line `## doc: <name>`.
An annotated mention is written `[[surface|entity_id]]`, or
`[[surface|entity_id|optional]]` for a garbled or doubtful mention
(see shared/eval/GUIDELINES.md). Everything else is the document text, verbatim.

Outputs (beside this file):
  docs/<name>.txt  the plain text of each document (markup removed)
  gold.jsonl       one mention a line: doc, start, end, text, type, id (+ "optional": true),
                   start/end as Unicode code point offsets, end exclusive.

Checks: every id exists in entities.jsonl, every text == doc_text[start:end], no
markup is left in a document, no canonical name is listed under two entities,
and every aliases.jsonl expectation is null or an id of entities.jsonl.
Standard library only.
"""
import json
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "source.txt")
ENTITIES = os.path.join(HERE, "entities.jsonl")
ALIASES = os.path.join(HERE, "aliases.jsonl")
DOCS = os.path.join(HERE, "docs")
GOLD = os.path.join(HERE, "gold.jsonl")

HEADER = re.compile(r"^## doc: (\S+)\s*$")
MENTION = re.compile(r"\[\[([^\[\]|]+)\|([^\[\]|]+)(?:\|([^\[\]|]+))?\]\]")
ID_FORMAT = re.compile(r"^(org|per|loc):[a-z0-9]+(?:-[a-z0-9]+)*$")
PREFIX_TYPE = {"org": "ORG", "per": "PER", "loc": "LOC"}


def fold(s):
    """The name folding of shared/eval/score.py."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.casefold()
    s = re.sub(r"[\u2019\u2018\u02bc\u02bf\u02be'`\u00b4]", "", s)
    s = re.sub(r"[\u2010-\u2015\-_.,()]", " ", s)
    return " ".join(s.split())


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_entities():
    ents = {}
    owner = {}
    for e in load_jsonl(ENTITIES):
        eid = e["id"]
        assert eid not in ents, f"duplicate entity id {eid}"
        assert ID_FORMAT.match(eid), f"bad id format {eid}"
        assert set(e) == {"id", "type", "name", "names"}, f"bad keys in {eid}"
        assert e["type"] == PREFIX_TYPE[eid.split(":")[0]], f"type/prefix mismatch in {eid}"
        assert e["name"] in e["names"], f"{eid}: name not among names"
        for n in e["names"]:
            k = fold(n)
            assert k, f"{eid}: empty name"
            assert owner.get(k, eid) == eid, f"name {n!r} listed under {owner[k]} and {eid}"
            owner[k] = eid
        ents[eid] = e
    return ents


def parse_source():
    """Return [(doc_name, plain_text, [mention dict, ...]), ...]."""
    with open(SOURCE, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    for line in lines:
        m = HEADER.match(line)
        if m:
            blocks.append((m.group(1), []))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            assert not line.strip(), f"text before the first doc header: {line!r}"
    out = []
    seen = set()
    for name, body in blocks:
        assert name not in seen, f"duplicate doc {name}"
        seen.add(name)
        raw = "\n".join(body).strip("\n") + "\n"
        text, mentions, pos = [], [], 0
        length = 0
        for m in MENTION.finditer(raw):
            chunk = raw[pos:m.start()]
            text.append(chunk)
            length += len(chunk)
            surface, eid, flag = m.group(1), m.group(2).strip(), m.group(3)
            assert flag in (None, "optional"), f"{name}: unknown flag {flag!r}"
            assert surface == surface.strip(), f"{name}: span with outer spaces {surface!r}"
            mentions.append({"start": length, "end": length + len(surface), "text": surface,
                             "id": eid, "optional": flag == "optional"})
            text.append(surface)
            length += len(surface)
            pos = m.end()
        text.append(raw[pos:])
        text = "".join(text)
        for bad in ("[[", "]]", "\u2423"):
            assert bad not in text, f"{name}: leftover markup {bad!r}"
        out.append((name, text, mentions))
    return out


def build():
    ents = load_entities()
    docs = parse_source()
    os.makedirs(DOCS, exist_ok=True)
    names = {n for n, _, _ in docs}
    for f in os.listdir(DOCS):
        if f.endswith(".txt") and f[:-4] not in names:
            os.remove(os.path.join(DOCS, f))
    gold = []
    for name, text, mentions in docs:
        with open(os.path.join(DOCS, name + ".txt"), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        last_end = -1
        for m in mentions:
            assert m["id"] in ents, f"{name}: unknown id {m['id']}"
            assert text[m["start"]:m["end"]] == m["text"], f"{name}: offset mismatch {m}"
            assert m["start"] >= last_end, f"{name}: overlapping mentions at {m['start']}"
            last_end = m["end"]
            g = {"doc": name, "start": m["start"], "end": m["end"], "text": m["text"],
                 "type": ents[m["id"]]["type"], "id": m["id"]}
            if m["optional"]:
                g["optional"] = True
            gold.append(g)
    # round trip: re-read what was written
    for g in gold:
        with open(os.path.join(DOCS, g["doc"] + ".txt"), encoding="utf-8", newline="") as f:
            assert f.read()[g["start"]:g["end"]] == g["text"]
    with open(GOLD, "w", encoding="utf-8", newline="\n") as f:
        for g in gold:
            f.write(json.dumps(g, ensure_ascii=False) + "\n")
    if os.path.exists(ALIASES):
        queries = set()
        for a in load_jsonl(ALIASES):
            assert set(a) == {"query", "expect"}, f"bad alias line {a}"
            assert a["query"] not in queries, f"duplicate alias query {a['query']!r}"
            queries.add(a["query"])
            assert a["expect"] is None or a["expect"] in ents, f"alias expects unknown id {a}"
    return ents, docs, gold


# ---------------------------------------------------------------- statistics

ABBREV = ("U.S.", "Gen.", "Maj.", "Brig.", "Adm.", "Lt.", "Col.", "Jan.", "Feb.", "Aug.",
          "Sept.", "Oct.", "Nov.", "Dec.", "St.", "Dr.", "Mr.")
TITLES = re.compile(r"(?:Maj\. Gen\.|Brig\. Gen\.|Gen\.|Adm\.|Sheikh|Sayyed|Ayatollah|President|"
                    r"Prime Minister|Defense Secretary|Defense Minister|Supreme Leader)\s$")
MODIFIED = {"commander", "commanders", "forces", "rebels", "leader", "officials", "operative",
            "fighters", "gunmen", "intermediaries", "deaths", "units", "memorial", "file",
            "envoy", "experts", "chief", "spokesman", "security", "aerospace", "barracks",
            "headquarters", "missiles", "support", "operations", "backing", "contacts",
            "patrol", "chairman", "leadership"}
DEMONYMS = ["Iranian", "Iraqi", "Iraqis", "Syrian", "Syrians", "Lebanese", "Yemeni", "Israeli",
            "American", "Americans", "Afghan", "Afghans", "Pakistani", "Palestinian", "Russian",
            "British", "Briton", "Kurdish", "Omani", "Arab", "Shiite", "Shiites", "Sunni", "Zaydi",
            "Hazara", "Baathist"]
GENERIC = ["the militia", "the militias", "the group", "the movement", "the force", "the faction",
           "the factions", "the bloc", "the brigade", "the party", "the cleric", "the military",
           "the army", "the department", "the general", "Iraqi government", "armed wing"]
SOURCES = ["Reuters", "AFP", "Tasnim", "Al-Masirah", "Sabereen News", "Telegram",
           "Washington Institute for Near East Policy", "Middle East Institute",
           "Syrian Observatory for Human Rights", "Russian news agencies", "Iranian media",
           "Iranian state television", "state television"]


def sentences(text):
    n = 0
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        ends = 0
        for m in re.finditer(r"[.!?][”\"’)]*(?=\s+[A-Z“\"‘(\[-]|\s*$)", line):
            before = line[:m.start() + 1]
            if any(before.endswith(a) for a in ABBREV) and m.end() < len(line):
                continue
            ends += 1
        n += max(ends, 1)
    return n


def outside(text, spans, needle):
    """Occurrences of needle (whole word) not inside a gold span."""
    c = 0
    for m in re.finditer(r"(?<![\w-])" + re.escape(needle) + r"(?![\w-])", text):
        if not any(b <= m.start() < e for b, e in spans):
            c += 1
    return c


def stats(ents, docs, gold):
    text_of = {n: t for n, t, _ in docs}
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["doc"]].append(g)
    n_sent = sum(sentences(t.split("\n", 1)[1]) for t in text_of.values())
    n_head = len(docs)
    print(f"documents: {len(docs)}")
    print(f"sentences: {n_sent} body + {n_head} headlines = {n_sent + n_head}")
    print(f"characters: {sum(len(t) for t in text_of.values())}")
    req = [g for g in gold if not g.get("optional")]
    opt = [g for g in gold if g.get("optional")]
    print(f"mentions: {len(gold)} ({len(req)} required, {len(opt)} optional)")
    for t in ("ORG", "PER", "LOC"):
        print(f"  {t}: {sum(g['type'] == t for g in req)} required,"
              f" {sum(g['type'] == t for g in opt)} optional,"
              f" {len({g['id'] for g in gold if g['type'] == t})} distinct entities")
    print(f"distinct entities in gold: {len({g['id'] for g in gold})}; in entities.jsonl: {len(ents)}")
    if os.path.exists(ALIASES):
        al = load_jsonl(ALIASES)
        print(f"alias queries: {len(al)} ({sum(a['expect'] is None for a in al)} negatives)")

    cats = Counter()
    examples = defaultdict(list)

    def hit(cat, g):
        cats[cat] += 1
        if len(examples[cat]) < 4:
            examples[cat].append(g["text"])

    surfaces = defaultdict(set)
    for g in gold:
        surfaces[g["text"]].add(g["id"])
    for g in gold:
        t = text_of[g["doc"]]
        before, after = t[:g["start"]], t[g["end"]:]
        s = g["text"]
        if any(c in s for c in "’‘“”") or before.endswith(("“", "‘")) or after.startswith(("’", "”")):
            hit("curly quote/apostrophe in or at the span", g)
        if re.match(r"(’s|'s|’(?!\w))", after):
            hit("possessive after the span (’s, 's, ’)", g)
        if TITLES.search(before[-25:]):
            hit("title or rank before the name", g)
        if "\u00a0" in s:
            hit("non-breaking space inside the name", g)
        if any(ord(c) > 127 and unicodedata.name(c, "").startswith(("LATIN", "MODIFIER")) for c in s):
            hit("accented / diacritic transliteration", g)
        if any("\u0600" <= c <= "\u06ff" for c in s):
            hit("Arabic or Persian script", g)
        if before.endswith("(") and after.startswith(")"):
            hit("parenthesised alternative (acronym or script) as own mention", g)
        if s.isupper() and len(s) > 4 and before[-1:] in ("\n", "", "/") \
                and after.startswith((",", "/", " (", " –")):
            hit("dateline in capitals", g)
        nxt = re.match(r"(-[a-z]+|\s+([a-z]+))", after)
        if nxt and (nxt.group(1).startswith("-") or nxt.group(2) in MODIFIED):
            hit("name used as a modifier (Houthi rebels, Iran-backed)", g)
        for other, ids in surfaces.items():
            if other != s and g["id"] not in ids and len(other) < len(s) and \
                    re.search(r"(?<![\w-])" + re.escape(other) + r"(?![\w])", s):
                hit("leftmost-longest: contains another annotated name", g)
                break
    # short forms: a PER/ORG mention shorter than an earlier mention of the same id in the doc
    for d, gs in by_doc.items():
        longest = {}
        for g in gs:
            prev = longest.get(g["id"])
            if prev and len(g["text"]) < len(prev) and g["type"] == "PER" \
                    and not any("\u0600" <= c <= "\u06ff" for c in g["text"]):
                hit("short form after a full mention (PER)", g)
            if not prev or len(g["text"]) > len(prev):
                longest[g["id"]] = g["text"]
    amb = defaultdict(lambda: defaultdict(int))
    for g in gold:
        amb[fold(g["text"])][g["id"]] += 1
    print("hard cases (mentions):")
    for cat, n in cats.most_common():
        print(f"  {n:4d}  {cat}   e.g. {', '.join(examples[cat])}")
    print("  same surface, different entity in different documents:")
    for k, ids in sorted(amb.items()):
        if len(ids) > 1:
            print(f"        {k!r}: " + ", ".join(f"{i} x{n}" for i, n in sorted(ids.items())))
    spans = {d: [(g["start"], g["end"]) for g in gs] for d, gs in by_doc.items()}
    for label, words in (("demonyms / nationality and sect adjectives", DEMONYMS),
                         ("generic descriptions", GENERIC),
                         ("news outlets, channels and think tanks", SOURCES)):
        n = sum(outside(t, spans.get(d, []), w) for d, t in text_of.items() for w in words)
        print(f"not annotated, {label}: {n}")


def main():
    ents, docs, gold = build()
    print(f"wrote {len(docs)} docs and {len(gold)} mentions to {os.path.relpath(GOLD)}")
    if "--stats" in sys.argv[1:]:
        stats(ents, docs, gold)


if __name__ == "__main__":
    main()
