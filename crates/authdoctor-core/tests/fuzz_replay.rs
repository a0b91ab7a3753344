//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the same harnesses the cargo-fuzz
//! targets run (`authdoctor_core::fuzz`), on stable, as ordinary tests. A missing or empty
//! corpus directory fails the test: the corpus is part of the test suite.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
    files
}

fn replay(target: &str) {
    for path in corpus(target) {
        let data = std::fs::read(&path).expect("readable corpus file");
        let run = std::panic::catch_unwind(|| authdoctor_core::fuzz::run(target, &data));
        assert!(run.is_ok(), "{target}: {} panicked", path.display());
    }
}

#[test]
fn every_target_has_a_corpus() {
    for t in authdoctor_core::fuzz::TARGETS {
        corpus(t);
    }
}

#[test]
fn curl_line() {
    replay("curl_line");
}

#[test]
fn har() {
    replay("har");
}

#[test]
fn challenge() {
    replay("challenge");
}

#[test]
fn authorization() {
    replay("authorization");
}

#[test]
fn jwt() {
    replay("jwt");
}

#[test]
fn digest() {
    replay("digest");
}

#[test]
fn sigv4() {
    replay("sigv4");
}

#[test]
fn redact() {
    replay("redact");
}

#[test]
fn pipeline() {
    replay("pipeline");
}
