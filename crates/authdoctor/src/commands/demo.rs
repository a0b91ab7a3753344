//! `authdoctor demo`: starts a small API and issuer in-process on 127.0.0.1, sends it the two
//! most common failing requests (an expired token, a malformed header), prints the real
//! diagnosis of each, then shows the request succeeding with a fresh token.

use super::{diagnose_and_print, runtime};
use crate::cli::{DemoArgs, Format};
use crate::commands::idp::live;
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::model::{Header, RequestSpec};
use authdoctor_core::time::now_unix;
use serde_json::json;

fn get(url: &str, auth: &str) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: url.parse().unwrap(),
        headers: vec![Header::new("Authorization", auth)],
        ..Default::default()
    }
}

pub fn run(args: DemoArgs) -> Result<i32, CliError> {
    let rt = runtime()?;
    rt.block_on(async {
        let demo = authdoctor_net::demo::start().await.map_err(|e| {
            CliError::Io(format!("cannot start the demo servers on 127.0.0.1: {e}"))
        })?;
        let now = now_unix();
        let expired = demo.mint(json!({
            "iss": demo.issuer_url, "sub": "demo-user", "aud": "demo-api",
            "scope": "orders:read", "iat": now - 3792, "exp": now - 192,
        }));
        let human = args.output.format == Format::Human;
        let scenarios = [
            (
                "1. A token that expired a few minutes ago",
                get(&demo.orders_url, &format!("Bearer {expired}")),
            ),
            (
                "2. A header written as 'Bearer: <token>'",
                get(&demo.orders_url, &format!("Bearer: {}", demo.valid_token())),
            ),
            (
                "3. The same request with a fresh token from the issuer",
                get(&demo.orders_url, &format!("Bearer {}", demo.valid_token())),
            ),
        ];
        for (i, (title, spec)) in scenarios.into_iter().enumerate() {
            if human {
                if i > 0 {
                    outln!();
                }
                outln!("── {title} ──");
                outln!(
                    "$ authdoctor check -H 'Authorization: …' {}\n",
                    demo.orders_url
                );
            }
            let ev = live(spec).await?;
            diagnose_and_print(&ev, &args.output, !human);
        }
        demo.shutdown().await;
        Ok(exit::OK)
    })
}
