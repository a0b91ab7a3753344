//! Progress on long work, on stderr and only on a terminal: after ~300 ms, `check` says which
//! requests it is still waiting for (the request, each probe, the issuer). A spinner thread
//! reads the probes' [`Pending`] list; dropping the [`Spinner`] clears the line. Scripts and
//! pipes see nothing (indicatif hides itself when stderr is not a terminal, and the thread is
//! not even started then).

use authdoctor_net::probes::Pending;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The line's owner: stops and clears it when dropped.
pub struct Spinner {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Start watching `pending` (nothing happens when stderr is not a terminal).
pub fn start(pending: &Arc<Pending>) -> Option<Spinner> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let done = Arc::new(AtomicBool::new(false));
    let (d, p) = (done.clone(), pending.clone());
    let thread = std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) {
            if d.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let bar = indicatif::ProgressBar::new_spinner();
        while !d.load(Ordering::Relaxed) {
            let list = p.list();
            if !list.is_empty() {
                // Names only: nothing secret is ever in this line.
                bar.set_message(format!("waiting for {}", list.join(", ")));
            }
            bar.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Some(Spinner {
        done,
        thread: Some(thread),
    })
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
