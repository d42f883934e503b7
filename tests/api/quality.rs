//! Quality against gold, scored by the evaluation's own `score.py`: the seed
//! corpus and the blind development set (`tests/data/dev`) through the
//! running service's Extract, and their alias queries through Normalize.
//!
//! The evaluation folder is `../shared/eval` beside the project (or
//! `ENTEX_EVAL_DIR`). Under `CI=true` a missing folder or python3 fails the
//! test; elsewhere the test says why it skips.

use std::{
    collections::HashSet,
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use entex::proto::entex_v1 as pb;

use crate::helpers::{TestApp, require_tool, spawn_app};

/// Targets of issues #2 and #3 on the seed corpus, with the default
/// dictionary: linked F1, and alias accuracy with no false resolution.
const MIN_SEED_LINKED_F1: f64 = 0.98;
const MIN_SEED_ALIAS_ACCURACY: f64 = 0.97;
/// Floors on the development set's first 34 documents, a little under what
/// was measured when they were written (linked F1 0.974, alias accuracy
/// 1.0): they catch regressions in generalisation, not tune to it.
const MIN_DEV_LINKED_F1: f64 = 0.95;
const MIN_DEV_ALIAS_ACCURACY: f64 = 0.95;
/// The first document of the extension written for issue #12 (sanctions
/// notices, court and parliamentary records, capitalised wire headlines,
/// transcripts), blind like the rest.
const DEV_EXTENSION_FROM: &str = "dev_035";
/// Floor on the extension, a little under what the engine scores on it
/// with issue #12's rules (linked F1 0.8675 before them, 0.881 with them,
/// 0.909 with the second round of class 6 coverage and rule 15 on;
/// docs/quality.md): a regression guard; the goal is above it.
const MIN_DEV_EXTENSION_LINKED_F1: f64 = 0.90;
/// Alias queries of the original set; the extension's come after them.
const DEV_ORIGINAL_ALIAS_QUERIES: usize = 102;
/// Floors on the extension's alias queries. Before issue #12's rules:
/// accuracy 0.75 and 3 false resolutions ("Interior Ministry",
/// "Babiliyoun", "Tower 23"); with them ("Normalize may not guess",
/// `entex::resolve`): 0.789 and none, which the issue asks for; 0.816 with
/// the second round of class 6 coverage.
const MIN_DEV_EXTENSION_ALIAS_ACCURACY: f64 = 0.80;
const MAX_DEV_EXTENSION_FALSE_RESOLUTIONS: f64 = 0.0;

fn dev_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dev")
}

fn eval_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ENTEX_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"));
    if dir.join("score.py").is_file() && require_tool("python3", "--version") {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "evaluation folder {} is missing under CI=true",
        dir.display()
    );
    eprintln!("SKIPPED: evaluation folder {} not found (set ENTEX_EVAL_DIR)", dir.display());
    None
}

/// Runs score.py and returns its stdout; panics with its output on failure.
fn score(eval: &Path, args: &[&str]) -> String {
    let output = Command::new("python3").arg(eval.join("score.py")).args(args).output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "score.py failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// The value of `key=` in score.py's output.
fn metric(output: &str, key: &str) -> f64 {
    output
        .split_whitespace()
        .find_map(|field| field.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in score.py output:\n{output}"))
}

/// What identifies the entities of an inventory file (`entities.jsonl`) for
/// the scorer: their ids and their accepted names, folded.
#[derive(Default)]
struct Inventory {
    ids: HashSet<String>,
    names: HashSet<String>,
}

impl Inventory {
    fn extend_from(&mut self, path: &Path) {
        let fold = |name: &str| entex::text::fold_key(name, entex::text::CaseMode::Fold);
        for line in std::fs::read_to_string(path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let entity: serde_json::Value = serde_json::from_str(line).unwrap();
            self.ids.insert(entity["id"].as_str().unwrap().to_owned());
            self.names.insert(fold(entity["name"].as_str().unwrap()));
            for name in entity["names"].as_array().into_iter().flatten() {
                self.names.insert(fold(name.as_str().unwrap()));
            }
        }
    }

    /// Whether the scorer could count this answer as one of its entities.
    fn knows(&self, entity: &pb::Entity) -> bool {
        self.ids.contains(&entity.id)
            || self.names.contains(&entex::text::fold_key(&entity.canonical_name, entex::text::CaseMode::Fold))
    }
}

/// Every `*.txt` of a folder as a document named by its stem, in name order.
fn documents(folder: &Path) -> Vec<pb::Document> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no documents in {}", folder.display());
    paths
        .iter()
        .map(|p| pb::Document {
            id: p.file_stem().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(p).unwrap(),
        })
        .collect()
}

/// Extracts `documents` through the service and scores them against `gold`.
async fn score_mentions(
    app: &TestApp,
    eval: &Path,
    documents: Vec<pb::Document>,
    gold: &Path,
    entities: Option<&Path>,
) -> String {
    let response =
        app.client.clone().extract(pb::ExtractRequest { documents, options: None }).await.unwrap().into_inner();
    let mut system = String::new();
    for result in &response.results {
        for m in &result.mentions {
            let line = serde_json::json!({
                "doc": result.id, "start": m.char_start, "end": m.char_end, "type": m.r#type,
                "name": m.canonical_name, "id": m.entity_id, "text": m.text,
            });
            writeln!(system, "{line}").unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let system_path = dir.path().join("system.jsonl");
    std::fs::write(&system_path, system).unwrap();
    let mut args = vec!["mentions", "--gold", gold.to_str().unwrap(), "--system", system_path.to_str().unwrap()];
    if let Some(entities) = entities {
        args.extend(["--entities", entities.to_str().unwrap()]);
    }
    args.push("--show-errors");
    let output = score(eval, &args);
    println!("{output}");
    output
}

/// Resolves the queries of `gold` through Normalize and scores them.
///
/// The scorer judges answers against an inventory: a gold `null` means "no
/// entity of the inventory", and an answer counts when its id or canonical
/// name is the inventory's. The default dictionary is far broader than
/// either inventory, so an answer outside the inventory is scored as what
/// it is for the scorer, "none of these", and listed. Such an answer must be
/// the query's own listed name (EXACT or NORMALIZED), never a variant or
/// fuzzy guess, so this projection cannot hide a sloppy match.
async fn score_aliases(
    app: &TestApp,
    eval: &Path,
    gold: &Path,
    inventory: &Inventory,
    entities: Option<&Path>,
) -> String {
    let queries: Vec<String> = std::fs::read_to_string(gold)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["query"].as_str().unwrap().to_owned())
        .collect();
    let response = app
        .client
        .clone()
        .normalize(pb::NormalizeRequest { names: queries, options: None })
        .await
        .unwrap()
        .into_inner();
    let mut system = String::new();
    for resolution in &response.resolutions {
        let (name, id) = match &resolution.entity {
            Some(e) if inventory.knows(e) => (serde_json::json!(e.canonical_name), serde_json::json!(e.id)),
            Some(e) => {
                let kind = resolution.match_kind();
                println!("outside the inventory: {:?} -> {} ({kind:?})", resolution.query, e.id);
                assert!(
                    matches!(kind, pb::MatchKind::Exact | pb::MatchKind::Normalized),
                    "{:?} resolved outside the inventory by a guess ({kind:?})",
                    resolution.query
                );
                (serde_json::Value::Null, serde_json::Value::Null)
            }
            None => (serde_json::Value::Null, serde_json::Value::Null),
        };
        writeln!(system, "{}", serde_json::json!({"query": resolution.query, "name": name, "id": id})).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let system_path = dir.path().join("aliases.jsonl");
    std::fs::write(&system_path, system).unwrap();
    let mut args = vec!["aliases", "--gold", gold.to_str().unwrap(), "--system", system_path.to_str().unwrap()];
    if let Some(entities) = entities {
        args.extend(["--entities", entities.to_str().unwrap()]);
    }
    args.push("--show-errors");
    let output = score(eval, &args);
    println!("{output}");
    output
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_corpus_linked_f1() {
    let Some(eval) = eval_dir() else { return };
    let app = spawn_app().await;
    let output =
        score_mentions(&app, &eval, documents(&eval.join("seeds")), &eval.join("seeds/gold.jsonl"), None).await;
    let f1 = metric(&output, "linked_f1");
    assert!(f1 >= MIN_SEED_LINKED_F1, "linked F1 {f1} < {MIN_SEED_LINKED_F1}\n{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_alias_accuracy() {
    let Some(eval) = eval_dir() else { return };
    let app = spawn_app().await;
    let mut inventory = Inventory::default();
    inventory.extend_from(&eval.join("entities.jsonl"));
    let output = score_aliases(&app, &eval, &eval.join("seeds/aliases.jsonl"), &inventory, None).await;
    let accuracy = metric(&output, "accuracy");
    assert!(accuracy >= MIN_SEED_ALIAS_ACCURACY, "alias accuracy {accuracy} < {MIN_SEED_ALIAS_ACCURACY}\n{output}");
    assert_eq!(metric(&output, "false_resolutions"), 0.0, "a negative query resolved to an entity\n{output}");
}

/// The dev set's documents and gold, those before [`DEV_EXTENSION_FROM`]
/// (`extension` false) or from it on, the gold written to `dir`.
fn dev_part(dir: &Path, extension: bool) -> (Vec<pb::Document>, PathBuf) {
    let dev = dev_dir();
    let wanted = |doc: &str| (doc >= DEV_EXTENSION_FROM) == extension;
    let documents: Vec<pb::Document> = documents(&dev.join("docs")).into_iter().filter(|d| wanted(&d.id)).collect();
    assert!(!documents.is_empty(), "no dev documents for extension={extension}");
    let gold: String = std::fs::read_to_string(dev.join("gold.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| wanted(serde_json::from_str::<serde_json::Value>(l).unwrap()["doc"].as_str().unwrap()))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join(if extension { "gold-extension.jsonl" } else { "gold.jsonl" });
    std::fs::write(&path, gold).unwrap();
    (documents, path)
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_set_linked_f1() {
    let Some(eval) = eval_dir() else { return };
    let app = spawn_app().await;
    let entities = dev_dir().join("entities.jsonl");
    let dir = tempfile::tempdir().unwrap();
    for (extension, floor) in [(false, MIN_DEV_LINKED_F1), (true, MIN_DEV_EXTENSION_LINKED_F1)] {
        let (documents, gold) = dev_part(dir.path(), extension);
        let output = score_mentions(&app, &eval, documents, &gold, Some(&entities)).await;
        let f1 = metric(&output, "linked_f1");
        assert!(f1 >= floor, "dev (extension: {extension}) linked F1 {f1} < {floor}\n{output}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_set_alias_accuracy() {
    let Some(eval) = eval_dir() else { return };
    let dev = dev_dir();
    let app = spawn_app().await;
    let entities = dev.join("entities.jsonl");
    let mut inventory = Inventory::default();
    inventory.extend_from(&entities);
    inventory.extend_from(&eval.join("entities.jsonl"));
    // The first queries are the original set's; the extension's follow.
    let queries: Vec<String> = std::fs::read_to_string(dev.join("aliases.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (original, extension) = queries.split_at(DEV_ORIGINAL_ALIAS_QUERIES);
    for (name, part, floor, most_false) in [
        ("original", original, MIN_DEV_ALIAS_ACCURACY, 0.0),
        ("extension", extension, MIN_DEV_EXTENSION_ALIAS_ACCURACY, MAX_DEV_EXTENSION_FALSE_RESOLUTIONS),
    ] {
        let gold = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&gold, part.concat()).unwrap();
        let output = score_aliases(&app, &eval, &gold, &inventory, Some(&entities)).await;
        let accuracy = metric(&output, "accuracy");
        assert!(accuracy >= floor, "dev ({name}) alias accuracy {accuracy} < {floor}\n{output}");
        let false_resolutions = metric(&output, "false_resolutions");
        assert!(false_resolutions <= most_false, "dev ({name}): {false_resolutions} false resolutions\n{output}");
    }
}
