//! Running a child process with a timeout and interleaved stdout+stderr, always reaped.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::driver::{DriverError, TdOutput};

/// Runs `cmd` to completion or kills it after `timeout`. `stdin` is written and closed.
pub fn run(cmd: Command, stdin: &[u8], timeout: Duration) -> Result<TdOutput, DriverError> {
    run_watched(cmd, stdin, timeout, &|_| {})
}

/// [`run`], telling `watch` the child's pid once it runs and `None` before it is reaped, so a
/// nemesis may kill it in between (an unreaped child's pid cannot be reused).
pub fn run_watched(
    mut cmd: Command,
    stdin: &[u8],
    timeout: Duration,
    watch: &dyn Fn(Option<u32>),
) -> Result<TdOutput, DriverError> {
    let program = format!("{:?}", cmd.get_program());
    let described = describe(&cmd);
    let spawn_err = |source| DriverError::Spawn {
        program: program.clone(),
        source,
    };
    let (reader, writer) = std::io::pipe().map_err(spawn_err)?;
    let writer2 = writer.try_clone().map_err(spawn_err)?;
    cmd.stdout(writer).stderr(writer2);
    cmd.stdin(if stdin.is_empty() {
        Stdio::null()
    } else {
        Stdio::piped()
    });
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(spawn_err)?;
    watch(Some(child.id()));
    // The Command still holds the pipe's write ends; drop them so EOF arrives on exit.
    drop(cmd);
    if !stdin.is_empty() {
        if let Some(mut s) = child.stdin.take() {
            let _ = std::io::Write::write_all(&mut s, stdin);
        }
    }
    let rx = read_in_background(reader);
    let received = rx.recv_timeout(timeout);
    watch(None);
    let output = match received {
        Ok(out) => out,
        Err(_) => {
            kill_and_reap(&mut child);
            let partial = rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
            return Err(DriverError::Timeout {
                command: described,
                timeout,
                output: partial,
            });
        }
    };
    let status = child.wait().map_err(spawn_err)?;
    Ok(TdOutput {
        output,
        code: status.code(),
        duration: start.elapsed(),
    })
}

fn read_in_background(mut reader: std::io::PipeReader) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = reader.read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

/// SIGKILL and wait; errors mean the child is already gone.
pub fn kill_and_reap(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// `program arg arg…` for messages, each argument quoted when it needs to be.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| shell_quote(&a.to_string_lossy())));
    parts.join(" ")
}

/// Quotes a word for a POSIX shell when it is not plain.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_interleaved_output_and_exit_code() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run(c, b"", Duration::from_secs(10)).unwrap();
        assert_eq!(out.code, Some(3));
        assert!(out.output.contains("out") && out.output.contains("err"));
    }

    #[test]
    fn feeds_stdin() {
        let mut c = Command::new("sh");
        c.args(["-c", "read x; echo got:$x"]);
        let out = run(c, b"n\n", Duration::from_secs(10)).unwrap();
        assert_eq!(out.output.trim(), "got:n");
    }

    #[test]
    fn kills_on_timeout() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo started; exec sleep 30"]);
        let t = Instant::now();
        let err = run(c, b"", Duration::from_millis(300)).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(matches!(err, DriverError::Timeout { .. }), "{err}");
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("abc"), "abc");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
