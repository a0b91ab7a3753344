//! Replays the `guard` fuzz corpus (`fuzz/corpus/guard/`) through the harness the cargo-fuzz
//! target runs (`authdoctor_guard::fuzz::guard`), on stable. A missing or empty corpus
//! directory fails the test.

use std::path::Path;

#[test]
fn guard() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/guard");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<_> = entries
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
    for path in files {
        let data = std::fs::read(&path).expect("readable corpus file");
        let run = std::panic::catch_unwind(|| authdoctor_guard::fuzz::guard(&data));
        assert!(run.is_ok(), "guard: {} panicked", path.display());
    }
}

/// The corpus holds tokens the fixed validator accepts, under each fixed key, so the harness's
/// acceptance check really runs.
#[test]
fn corpus_has_accepted_tokens() {
    use authdoctor_guard::Algorithm;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/guard");
    let mut algs = Vec::new();
    for e in std::fs::read_dir(&dir).expect("corpus present") {
        let data = std::fs::read(e.expect("entry").path()).expect("readable corpus file");
        let text = String::from_utf8_lossy(&data);
        let token = text.trim().trim_start_matches("Bearer ");
        if let Ok(v) = authdoctor_guard::fuzz::validator().validate_cached(token) {
            algs.push(v.alg);
        }
    }
    for alg in [Algorithm::HS256, Algorithm::ES256] {
        assert!(
            algs.contains(&alg),
            "no accepted {alg:?} token in {}",
            dir.display()
        );
    }
}
