//! The watch document's facts ([`crate::status::watch`]) as OpenMetrics text, for a
//! node-exporter textfile collector or a scrape wrapper (`authdoctor watch --format
//! prometheus`): one gauge family for the access tokens' expiry, one for the other credentials'
//! (labelled by `kind`), each sample only where the expiry is known, then `# EOF`. Timestamps
//! are Unix seconds by the local clock (the issuer's clock is converted with the offset
//! recorded when the token was issued), so an alert can compare them with `time()`.

use authdoctor_core::report::documents::{CredentialKind, WatchProfile};

/// A label value in the exposition format: `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text for `profiles`.
pub fn render(profiles: &[WatchProfile]) -> String {
    let mut tokens = String::new();
    let mut creds = String::new();
    for p in profiles {
        let name = label(&p.profile);
        let offset = p.server_offset.unwrap_or(0);
        for i in &p.items {
            let Some(exp) = i.expires_at else {
                continue;
            };
            if i.what == CredentialKind::AccessToken {
                tokens.push_str(&format!(
                    "authdoctor_token_expiry_timestamp_seconds{{profile=\"{name}\"}} {}\n",
                    exp - offset
                ));
            } else {
                // Tokens are judged by the issuer's clock; a secret or certificate by ours.
                let local = if i.what == CredentialKind::RefreshToken {
                    exp - offset
                } else {
                    exp
                };
                creds.push_str(&format!(
                    "authdoctor_credential_expiry_timestamp_seconds{{profile=\"{name}\",kind=\"{}\"}} {local}\n",
                    label(i.what.as_str())
                ));
            }
        }
    }
    let mut out = String::new();
    out.push_str("# HELP authdoctor_token_expiry_timestamp_seconds When the profile's cached access token expires (Unix time, local clock).\n");
    out.push_str("# TYPE authdoctor_token_expiry_timestamp_seconds gauge\n");
    out.push_str("# UNIT authdoctor_token_expiry_timestamp_seconds seconds\n");
    out.push_str(&tokens);
    out.push_str("# HELP authdoctor_credential_expiry_timestamp_seconds When a profile's credential expires, by kind (refresh_token, client_secret, client_certificate; Unix time, local clock).\n");
    out.push_str("# TYPE authdoctor_credential_expiry_timestamp_seconds gauge\n");
    out.push_str("# UNIT authdoctor_credential_expiry_timestamp_seconds seconds\n");
    out.push_str(&creds);
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use authdoctor_core::report::documents::{WatchItem, WatchStatus};

    #[test]
    fn samples_are_by_the_local_clock_and_labels_are_escaped() {
        let item = |what, expires_at| WatchItem {
            expires_at,
            reason: None,
            remaining_seconds: None,
            status: WatchStatus::Ok,
            what,
        };
        let p = WatchProfile {
            items: vec![
                item(CredentialKind::AccessToken, Some(1000)),
                item(CredentialKind::ClientSecret, Some(5000)),
                item(CredentialKind::RefreshToken, None),
            ],
            profile: "a\"b".into(),
            server_offset: Some(10),
            shared_cache: None,
            token_file: None,
        };
        let text = render(&[p]);
        assert!(
            text.contains("authdoctor_token_expiry_timestamp_seconds{profile=\"a\\\"b\"} 990\n")
        );
        assert!(text.contains("kind=\"client_secret\"} 5000\n"));
        assert!(!text.contains("refresh_token\"}"));
        assert!(text.ends_with("# EOF\n"));
    }
}
