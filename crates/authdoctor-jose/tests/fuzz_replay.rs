//! Replays the `dpop_proof` fuzz corpus (`fuzz/corpus/dpop_proof/`) through the harness the
//! cargo-fuzz target runs (`authdoctor_jose::fuzz::dpop_proof`), on stable. A missing or empty
//! corpus directory fails the test.

use std::path::{Path, PathBuf};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/dpop_proof");
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

#[test]
fn dpop_proof() {
    for path in corpus() {
        let data = std::fs::read(&path).expect("readable corpus file");
        let run = std::panic::catch_unwind(|| authdoctor_jose::fuzz::dpop_proof(&data));
        assert!(run.is_ok(), "dpop_proof: {} panicked", path.display());
    }
}

/// The corpus holds problem-free proofs of every key kind, so the harness's agreement check
/// between inspection and strict verification runs on the accepting path too.
#[test]
fn corpus_has_valid_proofs() {
    use authdoctor_jose::Alg;
    let mut algs = Vec::new();
    for path in corpus() {
        let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap_or_default();
        let p = authdoctor_jose::dpop::inspect_proof(text.trim());
        if p.problems.is_empty() {
            algs.extend(p.alg);
        }
    }
    for alg in [Alg::ES256, Alg::EdDSA, Alg::RS256, Alg::PS256] {
        assert!(algs.contains(&alg), "no valid {alg} proof in the corpus");
    }
}
