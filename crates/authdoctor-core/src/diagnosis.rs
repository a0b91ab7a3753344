//! Findings and their ranking: what a cause rule returns, and how a set of findings becomes the
//! ordered diagnosis the report shows.
//!
//! Likelihood is data, not prose: a rule says how strongly its own observation establishes its
//! cause as a named [`Grade`] (never a number), the cause's consistency table
//! (`causes::consistency`) moves it by named [`Weight`]s, and the 0–100 score and the likelihood
//! band are derived from those two alone. Ranking is a stable sort by score (catalogue order,
//! more specific causes first, breaks ties), so the order can always be explained.

use crate::fix::Action;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

fn is_some<S: Serializer>(a: &Option<Action>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(a.is_some())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    Low,
    Medium,
    High,
}

impl Likelihood {
    pub fn from_score(score: u8) -> Self {
        match score {
            70.. => Likelihood::High,
            40..=69 => Likelihood::Medium,
            _ => Likelihood::Low,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Likelihood::Low => "low",
            Likelihood::Medium => "medium",
            Likelihood::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Easy,
    Medium,
    Hard,
}

/// How strongly a rule's own observation establishes its cause, before the cause's consistency
/// table weighs what else was seen. The only place these become numbers is [`Grade::points`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// A hint worth listing; never a first guess on its own.
    Faint,
    /// The shape fits, but what was seen leans against it.
    Doubtful,
    /// Consistent with what was seen; nothing points at it in particular.
    Possible,
    /// One indirect sign points at it.
    Plausible,
    /// Several indirect signs agree, or the answer's shape is this cause's usual one.
    Likely,
    /// A direct sign, not confirmed by the server or a second source.
    Probable,
    /// A direct, specific sign that on its own usually means this cause: the server's words or
    /// code naming it, or a defect in the request most servers refuse.
    Clear,
    /// Measured: the defect is observed in the request or the credential itself.
    Certain,
    /// Measured, and a second source agrees (the server's code, the issuer, another clock).
    Confirmed,
    /// A probe changed exactly this and the request then succeeded.
    Proven,
}

impl Grade {
    /// The score a finding of this grade starts from (the likelihood bands: 70+ high, 40–69
    /// medium, below low).
    pub const fn points(self) -> u8 {
        match self {
            Grade::Faint => 25,
            Grade::Doubtful => 35,
            Grade::Possible => 48,
            Grade::Plausible => 62,
            Grade::Likely => 72,
            Grade::Probable => 80,
            Grade::Clear => 86,
            Grade::Certain => 90,
            Grade::Confirmed => 93,
            Grade::Proven => 96,
        }
    }

    /// The grade in words (`authdoctor explain`, evidence texts).
    pub fn name(self) -> &'static str {
        match self {
            Grade::Faint => "faint",
            Grade::Doubtful => "doubtful",
            Grade::Possible => "possible",
            Grade::Plausible => "plausible",
            Grade::Likely => "likely",
            Grade::Probable => "probable",
            Grade::Clear => "clear",
            Grade::Certain => "certain",
            Grade::Confirmed => "confirmed",
            Grade::Proven => "proven",
        }
    }
}

/// How much one observation counts for or against a cause (see `causes::consistency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Weight {
    Weak,
    Strong,
    /// Settles it: a cause with decisive evidence against it ranks below every cause without.
    Decisive,
}

/// One piece of evidence behind a finding: a sentence for people and fields for scripts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceItem {
    pub text: String,
    /// Where it was observed, e.g. `response.header.www-authenticate`, `token.claims.exp`.
    pub source: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
    /// Set on observations the cause's consistency table weighs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Weight>,
}

/// A way to fix the cause. `automatic` (in JSON) says whether `authdoctor check --fix` applies
/// it: derived from the action the cause declares, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub id: String,
    pub title: String,
    pub effort: Effort,
    #[serde(rename = "automatic", serialize_with = "is_some")]
    action: Option<Action>,
    pub steps: Vec<String>,
    /// The exact command to run, where one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Fix {
    pub fn new(id: &str, title: impl Into<String>, effort: Effort) -> Self {
        Fix {
            id: id.to_string(),
            title: title.into(),
            effort,
            action: None,
            steps: Vec::new(),
            command: None,
        }
    }
    /// What `--fix` does for this fix; a fix with an action is `automatic`.
    pub fn action(mut self, a: Action) -> Self {
        self.action = Some(a);
        self
    }
    /// [`Fix::action`] when there is one (the evidence decides whether `--fix` can act).
    pub fn action_opt(mut self, a: Option<Action>) -> Self {
        self.action = a;
        self
    }
    pub fn automatic_action(&self) -> Option<&Action> {
        self.action.as_ref()
    }
    pub fn is_automatic(&self) -> bool {
        self.action.is_some()
    }
    pub fn step(mut self, s: impl Into<String>) -> Self {
        self.steps.push(s.into());
        self
    }
    pub fn command(mut self, c: impl Into<String>) -> Self {
        self.command = Some(c.into());
        self
    }
}

/// One diagnosed cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    /// The observed fact, e.g. "The access token expired 3m12s ago by the server's clock".
    pub title: String,
    pub likelihood: Likelihood,
    /// Derived: the grade's points moved by the consistency table's weights.
    pub score: u8,
    /// What the rule's own observation is worth (see [`Grade`]).
    #[serde(skip)]
    pub grade: Grade,
    pub evidence: Vec<EvidenceItem>,
    /// Observations that contradict this cause, each with its weight.
    pub against: Vec<EvidenceItem>,
    pub fixes: Vec<Fix>,
}

impl Finding {
    pub fn new(id: &'static str, title: impl Into<String>, grade: Grade) -> Self {
        let score = grade.points();
        Finding {
            id,
            title: title.into(),
            likelihood: Likelihood::from_score(score),
            score,
            grade,
            evidence: Vec::new(),
            against: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn evidence(mut self, source: &str, text: impl Into<String>) -> Self {
        self.evidence.push(EvidenceItem {
            text: text.into(),
            source: source.to_string(),
            fields: Map::new(),
            weight: None,
        });
        self
    }

    /// Is there decisive evidence against this cause?
    pub fn decisively_contradicted(&self) -> bool {
        self.against
            .iter()
            .any(|e| e.weight == Some(Weight::Decisive))
    }

    /// Evidence with structured fields (`fields` must be a JSON object; anything else is dropped).
    pub fn evidence_with(mut self, source: &str, text: impl Into<String>, fields: Value) -> Self {
        self.evidence.push(EvidenceItem {
            text: text.into(),
            source: source.to_string(),
            fields: match fields {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            weight: None,
        });
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    /// Set the grade (and so the score and band) after construction.
    pub fn graded(mut self, grade: Grade) -> Self {
        self.grade = grade;
        self.with_score(grade.points())
    }

    /// Only the model moves a score: the consistency table's weights (`causes::consistency`).
    pub(crate) fn with_score(mut self, score: u8) -> Self {
        self.score = score.min(100);
        self.likelihood = Likelihood::from_score(self.score);
        self
    }
}

/// The overall verdict on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// 401 (or 407), or a 200 whose body says authentication failed.
    Unauthorized,
    /// 403: authenticated, not permitted (or the server says so).
    Forbidden,
    /// The request succeeded.
    Ok,
    /// It failed for a reason that is not authentication (404, 500, …).
    Error,
}

impl Outcome {
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 407 => Outcome::Unauthorized,
            403 => Outcome::Forbidden,
            100..=399 => Outcome::Ok,
            _ => Outcome::Error,
        }
    }
}

/// Rank findings: every finding without decisive evidence against it before every finding
/// with; within each, highest score first; equal scores keep catalogue order (stable sort).
pub fn rank(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_key(|f| (f.decisively_contradicted(), std::cmp::Reverse(f.score)));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(Likelihood::from_score(95), Likelihood::High);
        assert_eq!(Likelihood::from_score(70), Likelihood::High);
        assert_eq!(Likelihood::from_score(69), Likelihood::Medium);
        assert_eq!(Likelihood::from_score(10), Likelihood::Low);
    }

    #[test]
    fn ranking_is_stable() {
        let f = rank(vec![
            Finding::new("a", "", Grade::Possible),
            Finding::new("b", "", Grade::Certain),
            Finding::new("c", "", Grade::Possible),
        ]);
        let ids: Vec<_> = f.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }
}
