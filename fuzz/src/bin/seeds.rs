//! Writes the seed corpora, `fuzz/corpus/<target>/`, from the repository's
//! own dictionaries and texts and a few hand-written cases. Run from
//! `fuzz/`: `cargo run --release --bin seeds`. The corpora are committed;
//! run it again after a format changes (the artefact seeds, in particular,
//! follow the artefact layout).

use std::{fs, path::Path};

use entex::{
    dictionary::{SourceText, artefact, build},
    proto::entex_v1 as pb,
};
use entex_fuzz::artefact::payload_of;
use prost::Message;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn repo(path: &str) -> String {
    fs::read_to_string(Path::new(ROOT).join("..").join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    write_in("corpus", target, name, bytes);
}

fn write_in(folder: &str, target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(ROOT).join(folder).join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), bytes).expect("seed written");
}

/// The longest prefix of `text` of at most `max` bytes that ends a line.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let cut = text[..max].rfind('\n').map_or(0, |i| i + 1);
    &text[..cut]
}

/// Texts that stress folding and offsets.
const TEXTS: &[(&str, &str)] = &[
    ("nfd", "Qa\u{304}sem Soleima\u{304}ni\u{301} met Jose\u{301}. Ame\u{301}lie\u{301}'s plan"),
    ("turkish", "İstanbul, ISTANBUL, ıstanbul; Diyarbakır’s mayor"),
    ("ligatures", "The ﬁrst ﬂight, Straße, ½ and ㎏, ＦＵＬＬ ｗｉｄｔｈ"),
    ("apostrophes", "Kata’ib Hezbollah’s men, Sana'a, l'Iran, ʿAbd al-Mahdi, the Houthis’ drones, 'quoted'"),
    ("arabic", "كتائب حزب الله في بغداد، قاسم سليماني ـ الحرس الثوري"),
    ("spaces", "Al\u{a0}–\u{a0}Wadiah \t\n  Al-Wadiah\u{2009}Al_Wadiah — U.S. forces, Washington, D.C."),
    ("emoji", "Hezbollah 👍🏽 said 🇮🇷 and 👨‍👩‍👧 in Beirut"),
    ("hangul", "서울 \u{1100}\u{1161}\u{11a8} 한국 Seoul"),
    ("prepend", "\u{600}123 \u{feff}Iraq\u{200d}i \u{34f}Basra"),
    ("devanagari", "नमस्ते दिल्ली Delhi"),
];

fn main() {
    let news = repo("tests/data/dev/source.txt");

    // fold: hand-written cases and news excerpts.
    for (name, text) in TEXTS {
        write("fold", name, text.as_bytes());
    }
    for (i, chunk) in news.lines().filter(|l| l.len() > 200 && !l.is_ascii()).take(6).enumerate() {
        write("fold", &format!("news-{i}"), head(chunk, 800).as_bytes());
    }

    // matcher: structured bytes; each byte's meaning is in entex_fuzz::matcher.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..12 {
        let mut bytes = Vec::new();
        for _ in 0..48 + i * 8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push((state >> 24) as u8);
        }
        write("matcher", &format!("random-{i:02}"), &bytes);
    }

    // dictionary: one seed per format, [format byte, options byte, text].
    let core = repo("dictionaries/default/core.toml");
    let small_toml = r#"[dictionary]
strict = true

[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
aliases = ["Kata'ib Hezbollah", "KH", { text = "Brigades", short_form = true, default = true }]

[[entity]]
id = "per:qassem-soleimani"
type = "PER"
name = "Qassem Soleimani"
parent = "org:kataib-hezbollah"
aliases = [{ text = "Gulf", after = ["the"] }, { text = "Hajj Qassem", extract = false }]

[[ignore]]
phrases = ["Washington Post"]
"#;
    let jsonl: String = repo("tests/data/dev/entities.jsonl").lines().take(12).map(|l| format!("{l}\n")).collect();
    let spacy = "{\"label\": \"ORG\", \"pattern\": \"Apple\", \"id\": \"apple\"}\n\
{\"label\": \"ORG\", \"pattern\": \"Apple Inc.\", \"id\": \"apple\"}\n\
{\"label\": \"GPE\", \"pattern\": \"San Francisco\"}\n\
{\"label\": \"GPE\", \"pattern\": [{\"LOWER\": \"san\"}, {\"LOWER\": \"francisco\"}]}\n";
    let ftm = r#"{"id": "NK-2bCmV8Hs5NXa8o6VWAsgsk", "schema": "Person", "caption": "Qasem Soleimani", "properties": {"name": ["Qasem Soleimani", "Qassem Soleimani"], "alias": ["Qasim Soleimany", "Haj Qassem"], "weakAlias": ["Haj Qasem"], "birthDate": ["1957-03-11"], "nationality": ["ir"], "wikidataId": ["Q892810"]}, "datasets": ["us_ofac_sdn"], "target": true}
{"id": "NK-sanction", "schema": "Sanction", "properties": {"entity": ["NK-2bCmV8Hs5NXa8o6VWAsgsk"]}}
{"id": "NK-org", "schema": "Organization", "properties": {"name": ["Kataib Hezbollah"], "country": ["iq"]}}
"#;
    let csv = "alias,id,type,name,options,prior,description,country\n\
Springfield,Q28515,LOC,\"Springfield, Illinois\",,114394,capital of Illinois,US\n\
SPI,Q28515,LOC,,case=sensitive,,,\n\
\"Springfield, MA\",Q49158,LOC,Springfield,short_form default,155929,,US\n";
    let tsv_headed =
        "alias\tid\ttype\tname\toptions\nBasra\tloc:basra\tLOC\tBasra\t\nthe Gulf\tloc:gulf\tLOC\tGulf\tafter=in_the\n";
    let seeds: &[(&str, u8, u8, String)] = &[
        ("toml-small", 0, 0, small_toml.to_owned()),
        ("toml-core", 0, 0, head(&core, 6000).to_owned()),
        ("tsv-bulk", 1, 2, repo("dictionaries/default/iran-levant-aliases.tsv")),
        ("tsv-headed", 1, 0, tsv_headed.to_owned()),
        ("csv", 2, 0, csv.to_owned()),
        ("jsonl-records", 3, 0, jsonl),
        ("jsonl-spacy", 3, 2, spacy.to_owned()),
        ("jsonl-ftm", 3, 1, ftm.to_owned()),
        ("spacy-forced", 4, 0, spacy.to_owned()),
        ("ftm-forced", 5, 6, ftm.to_owned()),
    ];
    for (name, format, flags, text) in seeds {
        let mut bytes = vec![*format, *flags];
        bytes.extend_from_slice(text.as_bytes());
        write("dictionary", name, &bytes);
    }
    // Two sources in one input: a TOML that defines, a TSV that extends.
    let mut two = vec![0, 4];
    two.extend_from_slice(small_toml.as_bytes());
    two.extend_from_slice(&[0, 1, 4]);
    two.extend_from_slice(b"KH\torg:kataib-hezbollah\tcase=sensitive\nSoleimani\tper:qassem-soleimani\tshort_form\n");
    write("dictionary", "toml-and-tsv", &two);

    // artefact: payloads of small dictionaries (byte 0 = 0, byte 1 = no
    // damage), and one whole file as is (byte 0 = 0x80).
    let dictionaries = [
        ("small", vec![SourceText::new("small.toml", small_toml)]),
        ("csv", vec![SourceText::new("places.csv", csv)]),
        ("tsv", vec![SourceText::new("aliases.tsv", "Kataib Hezbollah\tkh\nKata'ib Hizballah\tkh\nIraq\tiraq\n")]),
    ];
    for (name, sources) in dictionaries {
        let dictionary = build(&sources).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = artefact::to_bytes(&dictionary);
        let mut seed = vec![0, 0];
        seed.extend_from_slice(payload_of(&file));
        write("artefact", &format!("payload-{name}"), &seed);
        if name == "tsv" {
            let mut whole = vec![0x80];
            whole.extend_from_slice(&file);
            write("artefact", "file-tsv", &whole);
        }
    }

    // Regression inputs of the fixed bugs: the texts of nfd-mark-end,
    // extend-end and prepend-start through `fold`; glued-trailing-punct
    // through `matcher` (one ORG entity, alias "ab.", text "ab.c": bytes
    // as `matcher::read_case` reads them); the crafted artefacts of
    // artefact-automaton-unchecked through `artefact` (payload, no damage).
    for (name, text) in [
        ("nfd-mark-end", "Jose\u{301} spoke, नमस्ते"),
        ("extend-end", "the Houthis\u{200c} drones, Houthis\u{200d}, Hezbollah\u{1f3fd} said"),
        ("prepend-start", "\u{600}Iraq said"),
    ] {
        write_in("regressions", "fold", name, text.as_bytes());
    }
    write_in("regressions", "matcher", "glued-trailing-punct", &[0, 1, 0, 1, 0, 1, 0, 0, 0x00, 0x44]);
    for (name, payload) in entex_fuzz::artefact::craft::cases() {
        let mut input = vec![0, 0];
        input.extend_from_slice(&payload);
        write_in("regressions", "artefact", name, &input);
    }

    // rpc: [RPC byte, encoded request].
    let excerpt: Vec<&str> = news.lines().filter(|l| l.len() > 100).take(3).map(|l| head(l, 600)).collect();
    let document = |id: &str, text: &str| pb::Document { id: id.to_owned(), text: text.to_owned() };
    let rpcs: Vec<(&str, u8, Vec<u8>)> = vec![
        (
            "extract",
            0,
            pb::ExtractRequest {
                documents: excerpt.iter().enumerate().map(|(i, t)| document(&format!("d{i}"), t)).collect(),
                options: None,
            }
            .encode_to_vec(),
        ),
        (
            "extract-options",
            0,
            pb::ExtractRequest {
                documents: vec![document(
                    "springfield",
                    "Springfield and Portland, then Springfield, Illinois; Kata’ib Hezbollah’s KH in Basra",
                )],
                options: Some(pb::ExtractOptions {
                    entity_types: vec!["LOC".into(), "ORG".into()],
                    dictionaries: vec!["places".into(), "default".into()],
                    drop_ambiguous: true,
                    overlaps: pb::OverlapPolicy::All as i32,
                }),
            }
            .encode_to_vec(),
        ),
        (
            "extract-stream",
            1,
            pb::ExtractStreamRequest {
                document: Some(document("s", TEXTS[0].1)),
                options: Some(pb::ExtractOptions {
                    entity_types: vec![],
                    dictionaries: vec!["places".into()],
                    drop_ambiguous: false,
                    overlaps: pb::OverlapPolicy::Unspecified as i32,
                }),
            }
            .encode_to_vec(),
        ),
        (
            "normalize",
            2,
            pb::NormalizeRequest {
                names: [
                    "Qasim Suleimani",
                    "Maj. Gen. Qassem Soleimani",
                    "Springfield",
                    "kataib hizbollah",
                    "IS",
                    "Hezbolah",
                ]
                .map(String::from)
                .to_vec(),
                options: Some(pb::NormalizeOptions { entity_types: vec![], min_score: 0.5, dictionaries: vec![] }),
            }
            .encode_to_vec(),
        ),
        ("info", 3, pb::GetDictionaryInfoRequest {}.encode_to_vec()),
        ("reload", 4, pb::ReloadDictionaryRequest {}.encode_to_vec()),
    ];
    for (name, rpc, message) in rpcs {
        let mut seed = vec![rpc];
        seed.extend_from_slice(&message);
        write("rpc", name, &seed);
    }
}
