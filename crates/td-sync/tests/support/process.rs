//! Child processes with a deadline: output captured on reader threads, the exit status
//! collected by a waiter thread, SIGKILL + reap when the deadline passes or the handle is
//! dropped (so a panicking test never leaves a server or a td behind).

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a finished process printed and how it ended.
#[derive(Debug, Clone)]
pub struct Out {
    /// None when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// stdout then stderr, as a harness sees them.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the process exited 0.
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(self.code, Some(0), "expected exit 0, got {self:#?}");
        self
    }
}

/// A running child. Dropping it kills and reaps the process.
pub struct Running {
    pid: libc::pid_t,
    what: String,
    exited: Receiver<std::io::Result<ExitStatus>>,
    status: Option<ExitStatus>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    /// Spawns `cmd`. Its stdout/stderr are captured unless the caller already pointed them
    /// somewhere (`captured` false); stdin is /dev/null.
    pub fn spawn(mut cmd: Command, captured: bool) -> Running {
        let what = format!("{cmd:?}");
        cmd.stdin(Stdio::null());
        if captured {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        let stdout = child.stdout.take().map(reader);
        let stderr = child.stderr.take().map(reader);
        let (tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        Running {
            pid,
            what,
            exited,
            status: None,
            stdout,
            stderr,
        }
    }

    /// The process id (for /proc readings).
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// True while the process has not exited.
    pub fn alive(&mut self) -> bool {
        if self.status.is_some() {
            return false;
        }
        match self.exited.try_recv() {
            Ok(status) => {
                self.status = Some(status.expect("wait for child"));
                false
            }
            Err(_) => true,
        }
    }

    /// Waits up to `timeout` for the exit; on timeout kills the process and panics.
    pub fn finish(mut self, timeout: Duration) -> Out {
        if self.status.is_none() {
            match self.exited.recv_timeout(timeout) {
                Ok(status) => self.status = Some(status.expect("wait for child")),
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    let out = self.collect();
                    panic!("{} timed out after {timeout:?}: {out:#?}", self.what);
                }
                Err(RecvTimeoutError::Disconnected) => panic!("waiter of {} vanished", self.what),
            }
        }
        self.collect()
    }

    /// SIGKILL and reap (no-op once exited).
    pub fn kill(&mut self) {
        if !self.try_kill() {
            panic!("{} did not die after SIGKILL", self.what);
        }
    }

    /// SIGKILL and reap; false if the child could not be reaped in time. Never panics
    /// (it runs in Drop, possibly while unwinding).
    fn try_kill(&mut self) -> bool {
        if self.status.is_some() {
            return true;
        }
        // The waiter thread has not reaped the child yet (it would have reported), so the
        // pid still names our child.
        if let Ok(status) = self.exited.try_recv() {
            self.status = status.ok();
            return self.status.is_some();
        }
        // SAFETY: plain syscall on a pid we own and have not reaped.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
        }
        match self.exited.recv_timeout(Duration::from_secs(30)) {
            Ok(status) => {
                self.status = status.ok();
                self.status.is_some()
            }
            Err(_) => false,
        }
    }

    fn collect(&mut self) -> Out {
        let text = |h: Option<JoinHandle<String>>| h.map(|h| h.join().unwrap_or_default());
        Out {
            code: self.status.and_then(|s| s.code()),
            stdout: text(self.stdout.take()).unwrap_or_default(),
            stderr: text(self.stderr.take()).unwrap_or_default(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.try_kill();
    }
}

fn reader(mut source: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = source.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs `cmd` to completion (captured output), killing it after `timeout`.
pub fn run(cmd: Command, timeout: Duration) -> Out {
    Running::spawn(cmd, true).finish(timeout)
}
