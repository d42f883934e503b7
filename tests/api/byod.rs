//! Bring your own dictionary: every format through the real server, ids as
//! the catalogue writes them, shared aliases decided (or not) per mention,
//! dictionaries selected per request, bad rows refused or skipped, and the
//! README's examples run exactly as written.

use std::{path::Path, process::Command};

use entex::{
    dictionary::{self, SourceSpec},
    proto::entex_v1 as pb,
};
use tonic::Code;

use crate::helpers::{TestApp, docs, require_tool, spawn_app_with};

const EXAMPLES: &str = "examples/dictionaries";

/// The example files, as the README serves them.
fn example_specs() -> Vec<SourceSpec> {
    ["places.csv", "people.jsonl", "sanctions.ftm.json", "patterns.jsonl", "extra.tsv"]
        .iter()
        .map(|f| format!("{}/{EXAMPLES}/{f}", env!("CARGO_MANIFEST_DIR")).parse().unwrap())
        .collect()
}

async fn app_with(specs: Vec<SourceSpec>, with_default: bool) -> TestApp {
    let dictionary = dictionary::load(&specs, with_default).unwrap_or_else(|e| panic!("{e}"));
    spawn_app_with(
        move |s| {
            s.dictionary.sources.dictionaries = specs;
            s.dictionary.sources.no_default_dictionary = !with_default;
        },
        Some(dictionary),
    )
    .await
}

async fn extract(app: &TestApp, text: &str, options: pb::ExtractOptions) -> Vec<pb::Mention> {
    let request = pb::ExtractRequest { documents: docs(&[("d", text)]), options: Some(options) };
    let response = app.client.clone().extract(request).await.unwrap().into_inner();
    response.results.into_iter().next().unwrap().mentions
}

/// A mention as `text=id/LINKING`, or `text=?[id:score|…]` when ambiguous.
fn render(m: &pb::Mention) -> String {
    let linking = m.linking().as_str_name().trim_start_matches("LINKING_").to_owned();
    if m.candidates.is_empty() {
        format!("{}={}/{linking}", m.text, m.entity_id)
    } else {
        let candidates: Vec<String> = m.candidates.iter().map(|c| format!("{}:{:.2}", c.entity_id, c.score)).collect();
        format!("{}=?[{}]/{linking}", m.text, candidates.join("|"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_loads_end_to_end_and_ids_round_trip() {
    let app = app_with(example_specs(), false).await;
    let text = "Qassem Soleimani of the Quds Force met Abu Mahdi al-Mohandes of Hizballah Brigades in \
                Jurf al-Sakhar, not far from the Hashd al-Shaabi in Bandar-e Abbas, Hormozgan Province, \
                and Springfield, Mo.";
    let mentions = extract(&app, text, pb::ExtractOptions::default()).await;
    let got: Vec<String> = mentions.iter().map(render).collect();
    assert_eq!(
        got,
        [
            "Qassem Soleimani=Q892810/UNIQUE",                        // JSON Lines record
            "Quds Force=Q2604340/UNIQUE",                             // JSON Lines record
            "Abu Mahdi al-Mohandes=NK-3J9rQWr5m6sYvTaPq2Ckbw/UNIQUE", // FollowTheMoney alias
            "Hizballah Brigades=NK-bd6Zk4WABv2vdrxrGrvbKG/UNIQUE",    // FollowTheMoney alias
            "Jurf al-Sakhar=GPE:Jurf_al-Sakhar/UNIQUE",               // spaCy pattern without id
            "Hashd al-Shaabi=pmf/UNIQUE",                             // spaCy pattern with id
            "Bandar-e Abbas=https://sws.geonames.org/141681//UNIQUE", // CSV, a URI id
            "Hormozgan Province=IR-23/UNIQUE",                        // CSV, an ISO code
            "Springfield, Mo.=Q135615/UNIQUE",                        // headerless TSV row
        ]
    );

    // Normalize returns the entity as the sources described it.
    let request = pb::NormalizeRequest { names: vec!["Qasim Sulaimani".into(), "KH".into()], options: None };
    let resolutions = app.client.clone().normalize(request).await.unwrap().into_inner().resolutions;
    let soleimani = resolutions[0].entity.as_ref().unwrap();
    assert_eq!(soleimani.id, "Q892810");
    assert_eq!(soleimani.dictionary, "people");
    assert_eq!(soleimani.external_ids["wikidata"], "Q892810");
    assert_eq!(soleimani.attributes["nationality"], "IR");
    assert_eq!(soleimani.prior, None);
    // A FollowTheMoney weak alias: resolved here, never matched in text.
    let kh = resolutions[1].entity.as_ref().unwrap();
    assert_eq!(kh.id, "NK-bd6Zk4WABv2vdrxrGrvbKG");
    assert_eq!(kh.attributes["topics"], "sanction;crime.terror");
    assert_eq!(kh.attributes["datasets"], "us_ofac_sdn");
    assert!(extract(&app, "KH fighters", pb::ExtractOptions::default()).await.is_empty());

    let info = app.client.clone().get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    let formats: Vec<(&str, &str)> = info.sources.iter().map(|s| (s.dictionary.as_str(), s.format.as_str())).collect();
    assert_eq!(
        formats,
        [("places", "csv"), ("people", "jsonl"), ("sanctions", "ftm"), ("patterns", "spacy"), ("extra", "tsv")]
    );
    assert_eq!(info.sources[2].passed_over, 1, "the Sanction record is a relation, not an entity");
    let names: Vec<&str> = info.dictionaries.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["places", "people", "sanctions", "patterns", "extra"]);
    assert_eq!(info.dictionaries[0].entity_count, 7);
    assert_eq!(info.entity_count, info.dictionaries.iter().map(|d| d.entity_count).sum::<u64>());
}

/// A dictionary of shared aliases for the ambiguity table: two Springfields
/// without priors, two Parises and two Georgias with priors, a declared
/// default, and a type split.
const SHARED: &str = "alias,id,type,name,prior,options\n\
    Springfield,sf-il,LOC,\"Springfield, Illinois\",,\n\
    \"Springfield, Illinois\",sf-il,LOC,,,\n\
    Springfield,sf-ma,LOC,\"Springfield, Massachusetts\",,\n\
    Paris,paris-fr,LOC,Paris,2145906,\n\
    Paris,paris-tx,LOC,\"Paris, Texas\",24476,\n\
    \"Paris, Texas\",paris-tx,LOC,,,\n\
    Georgia,ge,LOC,Georgia (country),3700000,\n\
    Georgia,us-ga,LOC,Georgia (US state),10900000,\n\
    Jordan,jo,LOC,Jordan,11000000,\n\
    Jordan,michael-jordan,PER,Michael Jordan,1000000,\n\
    Michael Jordan,michael-jordan,PER,,,\n\
    Victoria,vic-au,LOC,\"Victoria, Australia\",,short_form default\n\
    Victoria,vic-bc,LOC,\"Victoria, British Columbia\",,short_form\n\
    Victoria,vic-line,ORG,Victoria Line,,\n";

#[tokio::test(flavor = "multi_thread")]
async fn shared_aliases_are_decided_per_mention_or_left_ambiguous() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.csv");
    std::fs::write(&path, SHARED).unwrap();
    let app = app_with(vec![SourceSpec::path(&path)], false).await;
    let keep = pb::ExtractOptions::default;
    let types = |t: &[&str]| pb::ExtractOptions { entity_types: t.iter().map(|t| t.to_string()).collect(), ..keep() };
    let drop = || pb::ExtractOptions { drop_ambiguous: true, ..keep() };
    // (case, text, options, expected mentions)
    let rows: Vec<(&str, &str, pb::ExtractOptions, &[&str])> = vec![
        (
            "decided by an earlier mention",
            "Springfield, Illinois is flat. Springfield voted.",
            keep(),
            &["Springfield, Illinois=sf-il/UNIQUE", "Springfield=sf-il/DOCUMENT"],
        ),
        (
            "decided by a later mention",
            "Springfield voted. It is Springfield, Illinois.",
            keep(),
            &["Springfield=sf-il/DOCUMENT", "Springfield, Illinois=sf-il/UNIQUE"],
        ),
        ("decided by a dominant prior", "Paris is calm.", keep(), &["Paris=paris-fr/PRIOR"]),
        (
            "the document beats the prior",
            "Paris, Texas is small. Paris has a tower too.",
            keep(),
            &["Paris, Texas=paris-tx/UNIQUE", "Paris=paris-tx/DOCUMENT"],
        ),
        (
            "no priors: ambiguous, equal shares",
            "Springfield voted.",
            keep(),
            &["Springfield=?[sf-il:0.50|sf-ma:0.50]/AMBIGUOUS"],
        ),
        (
            "priors that do not dominate: ambiguous, prior shares",
            "Georgia voted.",
            keep(),
            &["Georgia=?[us-ga:0.75|ge:0.25]/AMBIGUOUS"],
        ),
        ("ambiguous dropped on request", "Springfield voted in Paris.", drop(), &["Paris=paris-fr/PRIOR"]),
        ("the type filter narrows the candidates", "Jordan spoke.", types(&["PER"]), &["Jordan=michael-jordan/UNIQUE"]),
        ("the type filter narrows to places", "Jordan spoke.", types(&["LOC"]), &["Jordan=jo/UNIQUE"]),
        ("without a type filter, the prior", "Jordan spoke.", keep(), &["Jordan=jo/PRIOR"]),
        ("a declared default among shared claims", "Victoria is far.", keep(), &["Victoria=vic-au/DEFAULT"]),
        (
            "a unique full mention decides a later short one",
            "Michael Jordan scored. Jordan smiled.",
            keep(),
            &["Michael Jordan=michael-jordan/UNIQUE", "Jordan=michael-jordan/DOCUMENT"],
        ),
    ];
    for (case, text, options, want) in rows {
        let got: Vec<String> = extract(&app, text, options).await.iter().map(render).collect();
        assert_eq!(got, want, "{case}: {text:?}");
    }

    // Normalize: every candidate ranked; an answer only when one wins clearly.
    let names = ["Springfield", "Paris", "Georgia"].map(String::from).to_vec();
    let resolutions =
        app.client.clone().normalize(pb::NormalizeRequest { names, options: None }).await.unwrap().into_inner();
    let r = &resolutions.resolutions;
    assert!(r[0].entity.is_none());
    assert_eq!(r[0].candidates.len(), 2);
    assert_eq!(r[1].entity.as_ref().unwrap().id, "paris-fr");
    assert_eq!(r[1].candidates[1].entity.as_ref().unwrap().id, "paris-tx");
    assert!(r[2].entity.is_none(), "0.75 of the priors is not over the bar: {:?}", r[2].candidates);
    assert_eq!(r[2].candidates[0].entity.as_ref().unwrap().id, "us-ga");
}

/// A file's capitalised aliases are proper names: through the real server,
/// a catalogue of towns called Name, Springfield and Nice tags the towns,
/// not the words; the same file loaded with `?names=any` (selected per
/// request) matches in any case, and a common word ("Nice") needs a
/// capital no sentence start explains either way.
#[tokio::test(flavor = "multi_thread")]
async fn capitalised_aliases_are_proper_names_unless_names_any() {
    let dir = tempfile::tempdir().unwrap();
    let write = |file: &str, prefix: &str| {
        let path = dir.path().join(file);
        let rows = format!("alias,id,type\nName,{prefix}name,LOC\nSpringfield,{prefix}sf,LOC\nNice,{prefix}nice,LOC\n");
        std::fs::write(&path, rows).unwrap();
        path.display().to_string()
    };
    let proper: SourceSpec = write("towns.csv", "p-").parse().unwrap();
    let any_case: SourceSpec = format!("anycase={}?names=any", write("towns-any.csv", "a-")).parse().unwrap();
    let app = app_with(vec![proper, any_case], false).await;
    let text = "A name in springfield. The town of Name, near Springfield. Nice is calm; talks in Nice.";
    let only = |name: &str| pb::ExtractOptions { dictionaries: vec![name.to_owned()], ..Default::default() };
    let got: Vec<String> = extract(&app, text, only("towns")).await.iter().map(render).collect();
    assert_eq!(got, ["Name=p-name/UNIQUE", "Springfield=p-sf/UNIQUE", "Nice=p-nice/UNIQUE"]);
    let got: Vec<String> = extract(&app, text, only("anycase")).await.iter().map(render).collect();
    assert_eq!(
        got,
        [
            "name=a-name/UNIQUE",
            "springfield=a-sf/UNIQUE",
            "Name=a-name/UNIQUE",
            "Springfield=a-sf/UNIQUE",
            "Nice=a-nice/UNIQUE"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_select_dictionaries_by_name() {
    let mut specs = example_specs();
    specs.truncate(1); // places
    let app = app_with(specs, true).await;
    let select = |names: &[&str]| pb::ExtractOptions {
        dictionaries: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    let text = "Paris and Kataib Hezbollah";
    let places: Vec<String> = extract(&app, text, select(&["places"])).await.iter().map(render).collect();
    assert_eq!(places, ["Paris=Q90/PRIOR"]);
    let default: Vec<String> = extract(&app, text, select(&["default"])).await.iter().map(render).collect();
    assert_eq!(default, ["Paris=loc:paris/UNIQUE", "Kataib Hezbollah=org:kataib-hezbollah/UNIQUE"]);
    // Both: the embedded Paris has no prior, so nothing decides.
    let both: Vec<String> = extract(&app, text, select(&[])).await.iter().map(render).collect();
    assert_eq!(both[0], "Paris=?[loc:paris:0.33|Q90:0.33|Q830149:0.33]/AMBIGUOUS");

    let request = pb::NormalizeRequest {
        names: vec!["Paris".into()],
        options: Some(pb::NormalizeOptions { dictionaries: vec!["default".into()], ..Default::default() }),
    };
    let resolution = app.client.clone().normalize(request).await.unwrap().into_inner();
    assert_eq!(resolution.resolutions[0].entity.as_ref().unwrap().id, "loc:paris");

    let request = pb::ExtractRequest { documents: docs(&[("d", text)]), options: Some(select(&["default", "geo"])) };
    let status = app.client.clone().extract(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "options.dictionaries: dictionary \"geo\" is not loaded; the loaded dictionaries are default, places"
    );
}

/// A CSV with good rows and three bad ones.
const WITH_BAD_ROWS: &str =
    "alias,id,type\nAlpha Town,a-1,LOC\n,a-2,LOC\nBeta Town,b 1,LOC\nGamma Town,g-1,L:OC\nDelta Town,d-1,LOC\n";

#[test]
fn bad_rows_stop_the_load_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("towns.csv");
    std::fs::write(&path, WITH_BAD_ROWS).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_entex"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-default-dictionary", "--dictionary"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = path.display();
    assert!(stderr.contains(&format!("{name}:3: alias is empty")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:4: entity id")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:5: entity type")), "{stderr}");
    assert!(stderr.contains("cannot load the dictionary: 3 problem(s)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn skipped_rows_are_counted_and_recorded_in_the_served_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("towns.csv");
    std::fs::write(&path, WITH_BAD_ROWS).unwrap();
    let skip: SourceSpec = format!("{}?invalid_rows=skip", path.display()).parse().unwrap();
    let app = app_with(vec![skip.clone()], false).await;
    let got: Vec<String> =
        extract(&app, "Alpha Town and Delta Town", Default::default()).await.iter().map(render).collect();
    assert_eq!(got, ["Alpha Town=a-1/UNIQUE", "Delta Town=d-1/UNIQUE"]);
    let info = app.client.clone().get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    let source = &info.sources[0];
    assert_eq!(source.skipped_rows, 3);
    let lines: Vec<u32> = source.skipped.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5]);
    assert_eq!(source.skipped[0].message, "alias is empty");
    assert_eq!(info.dictionaries[0].skipped_rows, 3);
    // The version depends on content and options, not on where the file is.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("towns.csv");
    std::fs::write(&copy, WITH_BAD_ROWS).unwrap();
    let version = |spec: String| dictionary::load(&[spec.parse().unwrap()], false).unwrap().info().version.clone();
    assert_eq!(info.version, version(format!("{}?invalid_rows=skip", copy.display())));
    let strict = version(format!("{}?invalid_rows=skip&strict", copy.display()));
    assert_ne!(info.version, strict, "reading it strictly is another dictionary");

    // entex check says what was left out.
    let out = Command::new(env!("CARGO_BIN_EXE_entex"))
        .args(["check", "--no-default-dictionary", "--skip-invalid-rows", "--dictionary"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(&format!("{}: skipped 3 invalid row(s); the first:", path.display())), "{stdout}");
    assert!(stdout.contains(&format!("  {}:5: entity type", path.display())), "{stdout}");
}

/// One `$ grpcurl …` example of the README: the command and its output.
struct Example {
    command: String,
    output: String,
}

/// The serve command's `--dictionary` values and the grpcurl examples of the
/// README section "Load your own dictionary".
fn readme_section() -> (Vec<String>, Vec<Example>) {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("## Load your own dictionary").expect("the README has the section");
    let end = start + readme[start..][3..].find("\n## ").expect("a next section") + 3;
    let section = &readme[start..end];
    let blocks: Vec<&str> = section.split("```").skip(1).step_by(2).collect();
    let serve = blocks.iter().find(|b| b.contains("-- serve")).expect("a serve command");
    let words: Vec<&str> = serve.split_whitespace().collect();
    let files =
        words.windows(2).filter(|w| w[0] == "--dictionary").map(|w| w[1].trim_end_matches('\\').to_owned()).collect();
    let examples = blocks
        .iter()
        .filter_map(|b| b.strip_prefix("console\n$ grpcurl"))
        .map(|b| {
            let (command, output) = b.split_once('\n').unwrap();
            Example { command: format!("grpcurl{command}"), output: output.to_owned() }
        })
        .collect();
    (files, examples)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_examples_run_as_written() {
    let (files, examples) = readme_section();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(examples.len() >= 3, "the section shows Extract, selection and Normalize");
    assert!(examples.iter().any(|e| e.output.contains("LINKING_AMBIGUOUS")), "one example is ambiguous");
    if !require_tool("grpcurl", "--version") {
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let specs: Vec<SourceSpec> = files.iter().map(|f| format!("{root}/{f}").parse().unwrap()).collect();
    let app = app_with(specs, false).await;
    for example in examples {
        let command = example.command.replace("localhost:50051", &app.addr.to_string());
        let out = Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let want: serde_json::Value = serde_json::from_str(&example.output)
            .unwrap_or_else(|e| panic!("the README's output for {command} is not JSON: {e}\n{}", example.output));
        assert_eq!(got, want, "{command}");
    }
}
