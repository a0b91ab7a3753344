//! The statement reader against a corpus of real 401/403 messages (and look-alikes that are not
//! authentication failures) mined from the source and docs of widely used stacks
//! (`tests/fixtures/statements/corpus.jsonl`, sources in its SOURCES.md). The bar: at least 97 %
//! read right, and every miss listed in `misses.txt` with why, so a regression or a fix shows.

use authdoctor_core::model::{Exchange, Header};
use authdoctor_core::statement;
use serde_json::Value;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/statements")
}

#[test]
fn corpus_is_read_right() {
    let text = std::fs::read_to_string(dir().join("corpus.jsonl")).expect("corpus.jsonl");
    let listed: Vec<String> = std::fs::read_to_string(dir().join("misses.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    let (mut total, mut right) = (0usize, 0usize);
    let mut misses = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("corpus line is JSON");
        let headers = row["headers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| Header::new(k, v.as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let x = Exchange {
            status: row["status"].as_u64().expect("status") as u16,
            headers,
            body: row["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
            ..Default::default()
        };
        let want = row["expected"].as_str().expect("expected");
        let st = statement::read(&x);
        let got = st.as_ref().map(|s| s.said.name()).unwrap_or("none");
        total += 1;
        if got == want {
            right += 1;
        } else {
            misses.push(format!(
                "{} want {want} got {got} ({}: {:?}) status {} body {:?}",
                row["id"].as_str().unwrap_or("?"),
                st.as_ref()
                    .map(|s| s.source.to_string())
                    .unwrap_or_else(|| "-".into()),
                st.as_ref().map(|s| s.words.as_str()).unwrap_or("-"),
                x.status,
                row["body"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(160)
                    .collect::<String>()
            ));
        }
    }
    let rate = right as f64 / total as f64;
    eprintln!("statement corpus: {right}/{total} = {:.1} %", rate * 100.0);
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    let unlisted: Vec<&String> = misses
        .iter()
        .filter(|m| !listed.iter().any(|l| m.starts_with(&format!("{l} "))))
        .collect();
    assert!(rate >= 0.97, "only {:.1} % read right", rate * 100.0);
    assert!(
        unlisted.is_empty(),
        "misses not listed in misses.txt: {unlisted:#?}"
    );
}

/// A label describes what the answer says: identical answers carry one label.
#[test]
fn identical_answers_have_one_label() {
    let text = std::fs::read_to_string(dir().join("corpus.jsonl")).expect("corpus.jsonl");
    let mut seen: std::collections::HashMap<String, (String, String)> = Default::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("JSON");
        let key = format!(
            "{} {} {}",
            row["status"],
            row["headers"],
            row["body"].as_str().unwrap_or_default().trim()
        );
        let id = row["id"].as_str().unwrap_or_default().to_string();
        let label = row["expected"].as_str().unwrap_or_default().to_string();
        if let Some((other, l)) = seen.get(&key) {
            assert_eq!(
                l, &label,
                "{id} and {other} are the same answer with two labels"
            );
        } else {
            seen.insert(key, (id, label));
        }
    }
}
