//! The binary itself: `check`, `extract`, `--help`, and `serve` stopped by a
//! real SIGTERM.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::Duration,
};

const BIN: &str = env!("CARGO_BIN_EXE_entex");

#[test]
fn check_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[[entity]]\nid = \"org:test\"\ntype = \"ORG\"\nname = \"Test Brigade\"\n").unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[entity]]\nid = \"org:test\"\ntype = \"ORG\"\nname = \"Other\"\naliases = [\"Hezbollah\"]\n",
    )
    .unwrap();
    let extra = dir.path().join("extra.tsv");
    std::fs::write(&extra, "Test B\torg:test\nNo tab here\nGhost\torg:ghost\n").unwrap();

    let check = |files: &[&std::path::Path], flags: &[&str]| {
        let mut command = Command::new(BIN);
        command.arg("check").args(flags);
        for file in files {
            command.arg("--dictionary").arg(file);
        }
        command.output().unwrap()
    };
    let ok = check(&[&good], &[]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));

    let out = check(&[&good, &bad, &extra], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let bad_name = bad.display().to_string();
    let extra_name = extra.display().to_string();
    assert!(
        stdout.contains(&format!("{bad_name}:1: entity id org:test is already defined at {}:1", good.display())),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{extra_name}:2: expected `alias<TAB>entity_id")), "{stdout}");
    assert!(stdout.contains("problem(s); the dictionary was not loaded"), "{stdout}");
    // Lenient by default: "Hezbollah" may name two entities, and rows may
    // create the entities they name ("Ghost").
    assert!(!stdout.contains("claimed by both"), "{stdout}");
    assert!(!stdout.contains("org:ghost"), "{stdout}");

    // Strict, as a curated dictionary: both are errors.
    let out = check(&[&bad, &extra], &["--strict"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{bad_name}:5: alias \"Hezbollah\" is claimed by both org:hezbollah")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{extra_name}:3: entity org:ghost is not defined by any loaded source")),
        "{stdout}"
    );

    let missing = check(&[std::path::Path::new("/nonexistent/dict.toml")], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("/nonexistent/dict.toml: cannot read dictionary file"));
}

#[test]
fn extract_reads_json_lines_and_writes_mentions() {
    let mut child = Command::new(BIN)
        .arg("extract")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "{\"id\": \"a\", \"text\": \"Kata’ib Hezbollah in Iraq\"}\nnot json\n{\"text\": \"Beirut\"}\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    // A bad line is reported and the rest still processed: exit 2.
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("input line 2"));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["doc"], "a");
    assert_eq!(lines[0]["entity_id"], "org:kataib-hezbollah");
    assert_eq!(lines[0]["text"], "Kata’ib Hezbollah");
    assert_eq!(lines[0]["match_kind"], "NORMALIZED");
    assert_eq!(lines[1]["char_start"], 21);
    assert_eq!(lines[1]["start"], 23);
    // A document without id is named by its line number.
    assert_eq!(lines[2]["doc"], "3");
}

#[test]
fn help_documents_the_environment() {
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in
        ["ENTEX_LISTEN", "ENTEX_DICTIONARY", "ENTEX_MAX_DOCUMENTS", "ENTEX_MAX_REQUEST_BYTES", "ENTEX_LOG_FORMAT"]
    {
        assert!(help.contains(var), "{var} missing from serve --help");
    }
}

#[test]
fn serve_drains_and_exits_zero_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log until the server says where it listens.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = crate::helpers::serving_addr(&mut stderr);
    // It answers health checks through the binary's own client.
    let health = Command::new(BIN).args(["healthcheck", "--addr", &addr]).output().unwrap();
    assert!(health.status.success(), "{health:?}");
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "SERVING");

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let rest: String = stderr.lines().map_while(Result::ok).collect::<Vec<_>>().join("\n");
    assert!(rest.contains("SIGTERM") && rest.contains("stopped"), "{rest}");
    let after = Command::new(BIN).args(["healthcheck", "--addr", &addr, "--timeout", "1"]).output().unwrap();
    assert_eq!(after.status.code(), Some(1));
}

#[test]
fn normalize_resolves_names_from_lines_and_json() {
    let mut child = Command::new(BIN).arg("normalize").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let input = "Maj. Gen. Qasim Sulaimani\n{\"query\": \"Washington Post\"}\n\nHizballah Brigades\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "per:qassem-soleimani");
    assert_eq!(lines[0]["match_kind"], "VARIANT");
    assert_eq!(lines[1]["query"], "Washington Post");
    assert!(lines[1]["id"].is_null());
    assert_eq!(lines[2]["id"], "org:kataib-hezbollah");
    assert_eq!(lines[2]["match_kind"], "EXACT");
}

/// A log read by a pipe (a container runtime, a collector) gets plain
/// lines: colour escapes are for a terminal only.
#[test]
fn text_logs_to_a_pipe_carry_no_colour_escapes() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "text"])
        .env_remove("NO_COLOR")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut read = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        read.push_str(&line);
        if line.contains("serving") {
            break;
        }
        line.clear();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(read.contains("serving") && read.contains("INFO"), "no serving line in:\n{read}");
    assert!(!read.contains('\u{1b}'), "colour escapes in a piped log:\n{read:?}");
}
