//! `authdoctor explain <id>` and `--list`: the cause catalogue's own documentation.

use crate::cli::ExplainArgs;
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::causes::{self, CATALOGUE, PLANNED};

pub fn run(args: ExplainArgs) -> Result<i32, CliError> {
    if args.list || args.id.is_none() {
        outln!("Causes authdoctor detects (authdoctor explain <id> for details):\n");
        for c in CATALOGUE {
            outln!(
                "  {:<34} {:<10} {}",
                c.id,
                c.family,
                causes::summary(c.id).unwrap_or_default()
            );
        }
        if !PLANNED.is_empty() {
            outln!("\nReserved ids, detected by later versions:\n");
            for (id, s) in PLANNED {
                outln!("  {id:<34} {:<10} {s}", "planned");
            }
        }
        return Ok(exit::OK);
    }
    let id = args.id.unwrap_or_default();
    if let Some(d) = causes::doc(&id) {
        outln!("{d}");
        // The consistency table beside the rule: what it needs, what weighs for and against it.
        if let Some(c) = CATALOGUE.iter().find(|c| c.id == id) {
            let table = c.profile.render();
            if !table.is_empty() {
                outln!("\n## How the evidence weighs\n\n{table}");
            }
        }
        return Ok(exit::OK);
    }
    if let Some((_, s)) = PLANNED.iter().find(|(i, _)| *i == id) {
        outln!("# {id}\n\n{s}.\n\nThis id is reserved: authdoctor does not detect it yet.");
        return Ok(exit::OK);
    }
    let near = causes::similar(&id);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", near.join(", "))
    };
    Err(CliError::Usage(format!(
        "unknown cause id {id:?}{hint} (authdoctor explain --list)"
    )))
}
