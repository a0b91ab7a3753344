//! Small builders for rule tests: an evidence set from a request and one response, offline.

pub use crate::diagnosis::Grade;
use crate::evidence::Evidence;
use crate::model::{Exchange, Header, RequestSpec};

pub const NOW: i64 = 1_790_000_000;

pub fn request(headers: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: "https://api.example.com/v1/things".parse().unwrap(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        ..Default::default()
    }
}

pub fn response(status: u16, headers: &[(&str, &str)]) -> Exchange {
    Exchange {
        method: "GET".into(),
        url: "https://api.example.com/v1/things".into(),
        status,
        http_version: "HTTP/1.1".into(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        received_at: Some(NOW),
        ..Default::default()
    }
}

pub fn evidence(req: &[(&str, &str)], status: u16, resp: &[(&str, &str)]) -> Evidence {
    let r = request(req);
    let mut x = response(status, resp);
    x.request_headers = r.headers.clone();
    Evidence::new(r, vec![x], None, None, NOW)
}

/// An unsigned JWT with the given claims and a plausible 32-byte HS256 signature.
pub fn jwt(claims: serde_json::Value) -> String {
    crate::token::jwt::tests::make(
        serde_json::json!({"alg":"HS256","typ":"JWT"}),
        claims,
        &[7; 32],
    )
}

pub fn ids(ev: &Evidence) -> Vec<&'static str> {
    crate::causes::diagnose(ev).iter().map(|f| f.id).collect()
}
