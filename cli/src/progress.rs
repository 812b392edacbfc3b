//! Progress of a long scan on standard error: counters that the workers bump
//! and a thread that prints them about once a second. Only counts are
//! printed, never a path or a value, so nothing here can leak a secret.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters shared by the scanning threads.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub findings: AtomicU64,
    pub commits: AtomicU64,
}

impl Counters {
    pub fn file_done(&self, bytes: usize, findings: usize) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.findings.fetch_add(findings as u64, Ordering::Relaxed);
    }

    pub fn commit_done(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    fn line(&self, started: Instant, git: bool) -> String {
        let files = self.files.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let findings = self.findings.load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let commits = if git {
            format!("{} commits, ", self.commits.load(Ordering::Relaxed))
        } else {
            String::new()
        };
        format!(
            "scanning: {commits}{files} files, {:.1} MB ({:.1} MB/s), {findings} findings so far",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs,
        )
    }
}

/// The printing thread; stops (and clears its line on a terminal) on drop.
pub struct Progress {
    counters: Arc<Counters>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// `show`: print at all; `terminal`: stderr is a TTY (redraw one line
    /// with `\r` instead of printing a line per tick).
    pub fn start(show: bool, terminal: bool, git: bool, interval: Duration) -> Self {
        let counters = Arc::new(Counters::default());
        if !show {
            return Self {
                counters,
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&counters);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut printed = false;
            // Anything but a timeout (the sender dropped) means: stop.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                let line = shared.line(started, git);
                let mut err = std::io::stderr().lock();
                // Progress is best effort: a closed stderr must not stop the scan.
                let _ = if terminal {
                    write!(err, "\r\x1b[2K{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
                printed = true;
            }
            if terminal && printed {
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        });
        Self {
            counters,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
