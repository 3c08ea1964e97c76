//! A throwaway PostgreSQL server for tests: [`TempPostgres::start`] runs `initdb` into a
//! temporary directory and `pg_ctl start` on a free loopback port, and stops and deletes it
//! when dropped.
//!
//! The binaries are looked up on `PATH`, then under `/usr/lib/postgresql/<version>/bin` (the
//! Debian and Ubuntu packages), newest first. Without them `start` returns `None` and says on
//! stderr that the test is skipped, unless `CONNECTOR_REQUIRE_POSTGRES=1` is set (CI sets it):
//! then it panics. PostgreSQL refuses to run as root; as root the server runs as the
//! `postgres` user (through `runuser`, else `su`), which must exist.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The variable that turns a missing PostgreSQL into a failure instead of a skip.
pub const REQUIRE_POSTGRES_ENV: &str = "CONNECTOR_REQUIRE_POSTGRES";

/// The user the server runs as when the test runs as root.
const SERVICE_USER: &str = "postgres";

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running throwaway server; stopped (`pg_ctl stop -m immediate`) and deleted on drop.
#[derive(Debug)]
pub struct TempPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<&'static str>,
    port: u16,
}

impl TempPostgres {
    /// Starts a server, or returns `None` (after saying so on stderr) when `initdb` and
    /// `pg_ctl` are not installed and [`REQUIRE_POSTGRES_ENV`] is not `1`.
    ///
    /// # Panics
    /// When the binaries are missing and PostgreSQL is required, or when they are there but
    /// the server does not start (with its log).
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin_dir() else {
            let required = std::env::var(REQUIRE_POSTGRES_ENV).is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{REQUIRE_POSTGRES_ENV}=1 but initdb/pg_ctl are neither on PATH nor under \
                 /usr/lib/postgresql/*/bin"
            );
            eprintln!(
                "skipped: PostgreSQL tests need initdb and pg_ctl (on PATH or under \
                 /usr/lib/postgresql/*/bin); set {REQUIRE_POSTGRES_ENV}=1 to fail instead"
            );
            return None;
        };
        let run_as = is_root().then_some(SERVICE_USER);
        let dir = tempfile::Builder::new().prefix("connector-pg-").tempdir().expect("temp dir");
        if let Some(user) = run_as {
            let out = Command::new("chown").arg(user).arg(dir.path()).output().expect("run chown");
            assert!(out.status.success(), "chown {user} {}: {}", dir.path().display(), text(&out));
        }
        let mut server = Self { dir, bin, run_as, port: 0 };
        server.init();
        // A port found free may be taken before the server binds it: try a few.
        let mut last_log = String::new();
        for _ in 0..3 {
            server.port = free_port();
            if server.pg_ctl_start() && server.wait_accepting() {
                return Some(server);
            }
            last_log = std::fs::read_to_string(server.log_path()).unwrap_or_default();
        }
        panic!("PostgreSQL did not start; its log:\n{last_log}");
    }

    /// The URL to connect with: user `postgres`, no password (trust), database `postgres`,
    /// no TLS.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn init(&self) {
        let data = self.data_dir();
        let out = self.run(
            "initdb",
            &[
                "-D".into(),
                data.into(),
                "-U".into(),
                "postgres".into(),
                "--auth=trust".into(),
                "--encoding=UTF8".into(),
                "--no-locale".into(),
                "--no-sync".into(),
                "--no-instructions".into(),
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", text(&out));
    }

    /// `pg_ctl start`, waiting for it; false when the server did not come up.
    fn pg_ctl_start(&self) -> bool {
        let socket_dir = self.dir.path().display().to_string();
        let options = format!(
            "-p {} -k '{socket_dir}' -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.port
        );
        let out = self.run(
            "pg_ctl",
            &[
                "start".into(),
                "-D".into(),
                self.data_dir().into(),
                "-l".into(),
                self.log_path().into(),
                "-w".into(),
                "-t".into(),
                START_TIMEOUT.as_secs().to_string().into(),
                "-o".into(),
                options.into(),
            ],
        );
        out.status.success()
    }

    /// Whether the server takes TCP connections within the start timeout.
    fn wait_accepting(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Runs one of the server's programs, as the service user when running as root.
    fn run(&self, program: &str, args: &[OsString]) -> Output {
        let program = self.bin.join(program);
        let mut cmd = match self.run_as {
            None => Command::new(&program),
            Some(user) if runuser().is_some() => {
                let mut c = Command::new(runuser().unwrap_or_default());
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            Some(user) => {
                // su takes one command line: quote every word for the shell.
                let line = std::iter::once(program.into_os_string())
                    .chain(args.iter().cloned())
                    .map(|a| shell_quote(&a.to_string_lossy()))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut c = Command::new("su");
                c.args([user, "-s", "/bin/sh", "-c", &line]);
                // The service user may not enter the test's directory (a checkout under /root).
                c.current_dir(self.dir.path());
                return c.output().expect("run su");
            }
        };
        cmd.args(args);
        // The service user may not enter the test's directory (a checkout under /root), and
        // PostgreSQL's programs look for each other from their working directory.
        cmd.current_dir(self.dir.path());
        // The server must not keep the test's stdout open (pg_ctl's child inherits it).
        cmd.stdin(std::process::Stdio::null());
        cmd.output().unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let out = self.run(
            "pg_ctl",
            &["stop".into(), "-D".into(), self.data_dir().into(), "-m".into(), "immediate".into()],
        );
        if !out.status.success() {
            eprintln!("pg_ctl stop failed: {}", text(&out));
        }
    }
}

/// The directory holding both `initdb` and `pg_ctl`: on `PATH`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(d) = std::env::split_paths(&path).find(|d| has_both(d)) {
            return Some(d);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `runuser` (util-linux), on `PATH` or in `/usr/sbin` (which a root `PATH` may lack).
fn runuser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join("runuser"))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("-c listen_addresses=127.0.0.1"), "'-c listen_addresses=127.0.0.1'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn starts_accepts_connections_and_stops() {
        let Some(pg) = TempPostgres::start() else { return };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, pg.port()));
        assert!(TcpStream::connect(addr).is_ok());
        assert!(pg.url().starts_with("postgresql://postgres@127.0.0.1:"));
        let data = pg.data_dir();
        drop(pg);
        assert!(!data.exists(), "the data directory is removed");
        // Stopped: nothing listens any more.
        assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
    }
}
