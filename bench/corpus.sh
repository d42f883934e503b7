#!/usr/bin/env bash
# bench/corpus.sh: builds the news-like corpus of issue 11 and the texts
# derived from it, reproducibly (see bench/README.md, "The shared corpus").
#
#   bash bench/corpus.sh [--out DIR] [--force]
#
# Into DIR (default target/bench-data/news):
#   - dict_domain.tsv, dict_domain_clean.tsv  ../shared/bench/make_dict_domain.py
#   - news.jsonl, news_small.jsonl            ../shared/bench/make_corpus.py
#   - prose.jsonl, news_nonascii.jsonl,
#     seeds_nonascii.jsonl                    bench/make_variants.py
#   - manifest.json                           sizes and SHA-256 of every file
# exactly as ../shared/bench/README.md runs the shared recipe. Files already
# there are kept (--force remakes them). make_corpus.py reads prose from
# Debian documentation packages; when one is missing and this runs as root
# with apt-get, it installs them, else it stops and names the command.
#
# Knobs: ENTEX_BENCH_SHARED  the shared recipe (default ../shared/bench)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench-data/news
FORCE=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        *) echo "usage: bench/corpus.sh [--out DIR] [--force]" >&2; exit 2 ;;
    esac
done
SHARED=${ENTEX_BENCH_SHARED:-$ROOT/../shared/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { printf '== %s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ -f $SHARED/make_corpus.py && -f $SHARED/make_dict_domain.py ]] || {
    echo "bench/corpus.sh: no shared recipe at $SHARED (set ENTEX_BENCH_SHARED)" >&2
    exit 1
}

# The Debian packages make_corpus.py reads prose from (its README's list).
PACKAGES=(python3.11-doc perl-doc fortunes postgresql-doc-15 debian-handbook git-doc wamerican)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null; then
        log "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}"
    else
        echo "bench/corpus.sh: missing Debian packages: ${missing[*]}; run" >&2
        echo "  apt-get install -y ${PACKAGES[*]}" >&2
        exit 1
    fi
fi

# make FILE... -- COMMAND: runs COMMAND when any FILE is missing (or --force).
make_if_missing() {
    local files=()
    while [[ $1 != -- ]]; do files+=("$1"); shift; done
    shift
    if [[ $FORCE == 0 ]]; then
        local all=1 file
        for file in "${files[@]}"; do [[ -s $OUT/$file ]] || all=0; done
        if [[ $all == 1 ]]; then
            log "kept ${files[*]}"
            return 0
        fi
    fi
    log "$*"
    "$@"
}

make_if_missing dict_domain.tsv dict_domain_clean.tsv -- python3 "$SHARED/make_dict_domain.py" --out "$OUT"
make_if_missing news.jsonl news_small.jsonl -- python3 "$SHARED/make_corpus.py" --out "$OUT"
make_if_missing prose.jsonl news_nonascii.jsonl seeds_nonascii.jsonl -- \
    python3 bench/make_variants.py --news "$OUT" --out "$OUT" --shared "$SHARED"

log "manifest"
python3 - "$OUT" <<'EOF'
import hashlib, json, os, sys
out = sys.argv[1]
files = ["dict_domain.tsv", "dict_domain_clean.tsv", "news.jsonl", "news_small.jsonl",
         "prose.jsonl", "news_nonascii.jsonl", "seeds_nonascii.jsonl"]
manifest = {"recipe": "bench/corpus.sh: ../shared/bench/make_dict_domain.py, make_corpus.py; bench/make_variants.py",
            "python": sys.version.split()[0], "files": {}}
for name in files:
    path = os.path.join(out, name)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    entry = {"bytes": os.path.getsize(path), "sha256": digest.hexdigest()}
    if name.endswith(".jsonl"):
        docs = text = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                docs += 1
                text += len(json.loads(line)["text"].encode())
        entry.update(documents=docs, text_bytes=text)
    manifest["files"][name] = entry
    print(f"{name}: {entry['bytes']:,} bytes, sha256 {entry['sha256'][:16]}…"
          + (f", {entry['documents']:,} documents, {entry['text_bytes']:,} text bytes" if "documents" in entry else ""))
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=2)
EOF
