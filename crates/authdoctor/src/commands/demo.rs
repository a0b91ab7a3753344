//! `authdoctor demo`: starts a small API and issuer in-process on 127.0.0.1, sends it the two
//! most common failing requests (an expired token, a malformed header), prints the real
//! diagnosis of each, then shows the request succeeding with a fresh token.

use super::{diagnose_and_print, runtime};
use crate::cli::{DemoArgs, Format};
use crate::commands::idp::live;
use crate::exit::{self, CliError};
use crate::out::outln;

pub fn run(args: DemoArgs) -> Result<i32, CliError> {
    let rt = runtime()?;
    rt.block_on(async {
        let demo = authdoctor_net::demo::start().await.map_err(|e| {
            CliError::Io(format!("cannot start the demo servers on 127.0.0.1: {e}"))
        })?;
        let human = args.output.format == Format::Human;
        for (i, (title, spec)) in demo.scenarios().into_iter().enumerate() {
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
