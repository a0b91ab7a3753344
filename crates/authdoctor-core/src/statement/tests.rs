use super::*;
use crate::model::Header;

fn x(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
    Exchange {
        status,
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        body: body.as_bytes().to_vec(),
        ..Default::default()
    }
}

#[test]
fn reads_every_place_servers_say_it() {
    let s = read(&x(403, &[], r#"{"detail":"Not authenticated"}"#)).unwrap();
    assert_eq!(
        (s.said, s.source.to_string().as_str()),
        (Said::NoCredential, "body.detail")
    );
    let s = read(&x(
        403,
        &[],
        r#"{"error":"insufficient_scope","scope":"admin"}"#,
    ))
    .unwrap();
    assert_eq!((s.said, s.scope.as_deref()), (Said::Scope, Some("admin")));
    let s = read(&x(
        401,
        &[("WWW-Authenticate", r#"Bearer error="invalid_token", error_description="Jwt expired at 2026-01-01T00:00:00Z""#)],
        "",
    ))
    .unwrap();
    assert_eq!(s.said, Said::Expired);
    let s = read(&x(
        401,
        &[("WWW-Authenticate", r#"Bearer realm="api""#)],
        "",
    ))
    .unwrap();
    assert_eq!(
        (s.said, s.strength),
        (Said::NoCredential, Strength::Implied)
    );
    let s = read(&x(
        403,
        &[("x-ms-error-code", "AuthenticationFailed")],
        "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Signed expiry time [x] must be after signed start time</Message></Error>",
    ))
    .unwrap();
    assert_eq!(s.said, Said::Expired);
    let s = read(&x(
        401,
        &[],
        ")]}'\n{\"error\":{\"message\":\"Token has been revoked\"}}",
    ))
    .unwrap();
    assert_eq!(s.said, Said::Refused);
    assert!(read(&x(200, &[], "ok")).is_none());
}
