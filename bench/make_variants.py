#!/usr/bin/env python3
"""Derived benchmark texts of issue 11 (deterministic): the shared corpus's
prose with no entities, and its news made non-ASCII.

Copied from the scan prototype (/work/proto-engine/scripts/make_variants.py),
method unchanged; only where it finds ../shared/bench (--shared) and where it
writes (--out, no default outside the repository) differ. bench/corpus.sh runs it.

Writes, into OUT:
- prose.jsonl          English prose only (the Debian-documentation/fortune/docstring
                       paragraphs of make_corpus.py), paragraphs with any match of
                       dict_domain_clean.tsv (word-bounded, case-insensitive) removed,
                       packed into 2-20 KB documents, ~32 MiB.
- news_nonascii.jsonl  news.jsonl with entex's benchmark "non-ASCII" transform
                       (benches/support/mod.rs: typographic quotes/apostrophes, accented
                       vowels in capitalised words, em dashes, NBSP after full stops, an
                       Arabic news sentence after every paragraph) applied per document.
- seeds_nonascii.jsonl the same transform over the seed articles only (entex's
                       non_ascii_unit), repeated into 16 KB documents, ~8 MiB: real news density.
Usage: make_variants.py --news DIR_WITH_news.jsonl --out DIR [--shared ../shared/bench]
"""
import argparse, json, os, random, re, sys

# make_corpus.py of the shared recipe: its neutral paragraphs and seed articles.
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench")

ARABIC = [
    "قالت مصادر أمنية عراقية إن كتائب حزب الله نقلت أسلحة إلى جرف الصخر جنوب بغداد.",
    "وأعلن الحرس الثوري الإيراني أن قائد فيلق القدس زار دمشق الأسبوع الماضي.",
    "وذكرت وكالة الأنباء أن الحوثيين أطلقوا طائرات مسيّرة باتجاه البحر الأحمر.",
    "وقال مسؤول في الحكومة اللبنانية إن حِزْبُ اللّٰه لم يعلّق على التقارير.",
    "وأكد المتحدث باسم عصائب أهل الحق أن الفصائل ستواصل عملياتها في سوريا والعراق.",
    "وأضاف التقرير أن قاسم سليماني قُتل قرب مطار بغداد عام ٢٠٢٠ مع قادة من الحشد الشعبي.",
    "ونفت حركة حمـــاس أي علاقة لها بالهجوم، بحسب بيان نشرته على موقعها.",
]


def typographic(text):
    """Port of entex benches/support/mod.rs `typographic`."""
    out, prev, open_double, in_cap = [], None, True, False
    n = len(text)
    for i, c in enumerate(text):
        nxt = text[i + 1] if i + 1 < n else None
        prev_letter = prev is not None and prev.isalnum()
        if not prev_letter and c.isalpha():
            in_cap = c.isupper()
        if c == "'" and prev_letter:
            out.append("\u2019")
        elif c == "'":
            out.append("\u2018")
        elif c == '"':
            out.append("\u201c" if open_double else "\u201d")
            open_double = not open_double
        elif c == "-" and prev == " " and nxt == " ":
            out.append("\u2014")
        elif c == " " and prev == ".":
            out.append("\u00a0")
        elif in_cap and c in "aeiou":
            out.append({"a": "á", "e": "ē", "i": "ï", "o": "ö", "u": "ū"}[c])
        else:
            out.append(c)
        prev = c
    return "".join(out)


def non_ascii(text, arabic):
    out = []
    for i, p in enumerate(text.split("\n\n")):
        if i > 0:
            out.append("\n\n")
        out.append(typographic(p))
        if p.strip():
            out.append("\n\n")
            out.append(next(arabic))
    return "".join(out)


def cycle(xs):
    while True:
        yield from xs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--news", required=True, help="directory with news.jsonl and dict_domain_clean.tsv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", default=SHARED, help="the shared recipe's directory (make_corpus.py)")
    ap.add_argument("--prose-mb", type=float, default=32)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.shared))
    global make_corpus
    import make_corpus  # noqa: E402
    os.makedirs(a.out, exist_ok=True)

    # prose
    aliases = sorted({l.split("\t")[0].lower() for l in open(os.path.join(a.news, "dict_domain_clean.tsv"), encoding="utf-8") if "\t" in l} - {""}, key=len, reverse=True)
    rx = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, aliases)) + r")(?!\w)")
    neutral = [p for p in make_corpus.neutral_paragraphs() if not rx.search(p.lower())]
    rng = random.Random(20261203)
    total, n = 0, 0
    with open(os.path.join(a.out, "prose.jsonl"), "w", encoding="utf-8") as f:
        while total < a.prose_mb * 2**20:
            size, parts, got = rng.randint(2048, 20480), [], 0
            while got < size:
                p = rng.choice(neutral)
                if got + len(p.encode()) + 2 > 20480:
                    if got >= 2048:
                        break
                    p = p.encode()[: 20480 - got - 2].decode(errors="ignore")
                parts.append(p)
                got += len(p.encode()) + 2
            text = "\n\n".join(parts)
            n += 1
            f.write(json.dumps({"id": f"prose-{n:06d}", "text": text}, ensure_ascii=False) + "\n")
            total += len(text.encode())
    print(f"prose.jsonl: {n} docs, {total} bytes ({len(neutral)} entity-free paragraphs)")

    # news, non-ASCII
    arabic = cycle(ARABIC)
    total = n = 0
    with open(os.path.join(a.news, "news.jsonl"), encoding="utf-8") as src, \
         open(os.path.join(a.out, "news_nonascii.jsonl"), "w", encoding="utf-8") as f:
        for line in src:
            d = json.loads(line)
            t = non_ascii(d["text"], arabic)
            n += 1
            total += len(t.encode())
            f.write(json.dumps({"id": d["id"], "text": t}, ensure_ascii=False) + "\n")
    print(f"news_nonascii.jsonl: {n} docs, {total} bytes")

    # seeds, non-ASCII, 16 KB docs
    files, _ = make_corpus.news_paragraphs()
    unit = non_ascii("\n\n".join(open(p, encoding="utf-8").read() for p in files), cycle(ARABIC))
    ub = unit.encode()
    total = n = 0
    with open(os.path.join(a.out, "seeds_nonascii.jsonl"), "w", encoding="utf-8") as f:
        pos = 0
        stream = (unit + "\n\n")
        while total < 8 * 2**20:
            # a 16 KB window of the repeated unit, cut at whitespace
            rep = stream * 4
            chunk = rep[pos:pos + 16384]
            cut = max(chunk.rfind(" "), chunk.rfind("\n"))
            chunk = chunk[:cut]
            pos = (pos + cut + 1) % len(stream)
            n += 1
            total += len(chunk.encode())
            f.write(json.dumps({"id": f"seedsna-{n:06d}", "text": chunk}, ensure_ascii=False) + "\n")
    na = sum(1 for c in unit if ord(c) > 127) / len(unit)
    print(f"seeds_nonascii.jsonl: {n} docs, {total} bytes, {100*na:.1f}% non-ASCII chars")


if __name__ == "__main__":
    main()
