//! A throwaway PostgreSQL cluster for tests.
//!
//! [`Cluster::start`] runs `initdb` into a fresh temporary folder and starts a
//! server on a free TCP port of 127.0.0.1 (with its Unix socket in the same
//! folder, never in `/var/run`), with trust authentication and durability switched
//! off for speed. [`Cluster::create_database`] makes one empty database per test.
//! [`shared`] gives every test of one test binary the same cluster.
//!
//! The server never outlives the test process. Dropping a [`Cluster`] stops it
//! (`pg_ctl stop -m immediate`) and removes its folder; and because a cluster in a
//! `static` is never dropped, and a test process may also be killed, every cluster
//! also gets a watchdog: a small shell process in its own session that waits for
//! the test process to disappear, then stops the server and removes the folder.
//!
//! Binaries are looked up in `$PG_BIN`, else in the newest
//! `/usr/lib/postgresql/*/bin`. When they are missing, starting fails with a message
//! naming the Debian package, so a suite that needs PostgreSQL fails instead of
//! skipping. As root, the server runs as the `postgres` user (`runuser`), because
//! initdb refuses to run as root.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The Debian package that provides the server binaries.
pub const DEBIAN_PACKAGE: &str = "postgresql-15";

/// The superuser the cluster is created with.
const SUPERUSER: &str = "postgres";

/// How long `pg_ctl` waits for the server to start or stop, in seconds.
const PG_CTL_TIMEOUT_S: &str = "60";

/// Why a cluster could not be set up.
#[derive(Debug)]
pub enum Error {
    /// The PostgreSQL binaries are not installed.
    Missing(String),
    /// A command failed; the string has its name, status and output.
    Command(String),
    /// Creating or preparing the temporary folder failed.
    Io(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(what) => {
                write!(f, "PostgreSQL is not installed ({what}); install the Debian package {DEBIAN_PACKAGE}")
            }
            Error::Command(what) => write!(f, "PostgreSQL test cluster: {what}"),
            Error::Io(err) => write!(f, "PostgreSQL test cluster: {err}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(err)
    }
}

/// A running throwaway cluster.
pub struct Cluster {
    /// Holds the data directory, socket and log; removed on drop.
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Run server commands as the `postgres` user (we are root).
    as_postgres: bool,
    next_database: AtomicU64,
    watchdog: Option<Child>,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("dir", &self.dir.path())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The cluster shared by every test of this process, started on first use.
///
/// # Panics
/// When the cluster cannot be started, with the reason (for instance the Debian
/// package to install): a test that needs PostgreSQL must fail, not skip.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| match Cluster::start() {
        Ok(cluster) => cluster,
        Err(err) => panic!("{err}"),
    })
}

impl Cluster {
    /// Creates and starts a new cluster.
    pub fn start() -> Result<Cluster, Error> {
        let bin = find_bin()?;
        let as_postgres = is_root()?;
        let dir = tempfile::Builder::new().prefix("pg-cluster-").tempdir()?;
        if as_postgres {
            // The server runs as `postgres`, which must own its folder.
            run(Command::new("chown").arg(format!("{SUPERUSER}:")).arg(dir.path()))?;
        }
        let mut cluster =
            Cluster { dir, bin, port: 0, as_postgres, next_database: AtomicU64::new(0), watchdog: None };
        let data = cluster.data_dir();
        run(cluster.server_command("initdb").arg("-D").arg(&data).args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]))?;
        // The watchdog is armed before the server starts, so no start can leak.
        cluster.watchdog = Some(cluster.spawn_watchdog()?);
        cluster.port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={socket} \
             -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            port = cluster.port,
            socket = cluster.dir.path().display(),
        );
        run(cluster
            .server_command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.path().join("server.log"))
            .args(["-w", "-t", PG_CTL_TIMEOUT_S, "-o"])
            .arg(options))?;
        Ok(cluster)
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new empty database (`t_1`, `t_2`, …) and returns its URL.
    pub fn create_database(&self) -> Result<String, Error> {
        let name = format!("t_{}", self.next_database.fetch_add(1, Ordering::Relaxed) + 1);
        run(Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", SUPERUSER])
            .arg(&name))?;
        Ok(self.url(&name))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command for one of the server binaries, run as `postgres` when we are root.
    fn server_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", SUPERUSER, "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    /// Starts a process, in a session of its own so that a Ctrl-C to the tests does
    /// not reach it, that polls this process once a second and, once it is gone,
    /// stops the server and removes the folder.
    fn spawn_watchdog(&self) -> Result<Child, Error> {
        let runas = if self.as_postgres { format!("runuser -u {SUPERUSER} -- ") } else { String::new() };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {runas}{pg_ctl} stop -D {data} -m immediate -w -t {timeout} >/dev/null 2>&1; \
             rm -rf {dir}",
            pid = std::process::id(),
            pg_ctl = shell_quote(&self.bin.join("pg_ctl")),
            data = shell_quote(&self.data_dir()),
            timeout = PG_CTL_TIMEOUT_S,
            dir = shell_quote(self.dir.path()),
        );
        Ok(Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Errors cannot be reported from a drop; the watchdog is the fallback.
        let data = self.data_dir();
        if self.port != 0 {
            let _ = self
                .server_command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "-t", PG_CTL_TIMEOUT_S])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

/// `$PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` with `initdb`.
fn find_bin() -> Result<PathBuf, Error> {
    if let Some(bin) = std::env::var_os("PG_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.join("initdb").is_file() {
            Ok(bin)
        } else {
            Err(Error::Missing(format!("no initdb in PG_BIN={}", bin.display())))
        };
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| Error::Missing(format!("no {}", root.display())))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| Error::Missing(format!("no initdb under {}", root.display())))
}

fn is_root() -> Result<bool, Error> {
    let out = Command::new("id").arg("-u").output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A port that was free a moment ago. Another process could take it before the
/// server binds it; then `pg_ctl start` fails loudly rather than silently.
fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs a command to completion; a failure carries its output.
fn run(cmd: &mut Command) -> Result<(), Error> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            Error::Missing(format!("{:?} not found", cmd.get_program()))
        } else {
            Error::Io(err)
        }
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::Command(format!(
        "{:?} {:?} failed ({}): {}{}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )))
}

/// Quotes a path for `sh`.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_creates_databases_and_stops() {
        let cluster = Cluster::start().unwrap_or_else(|err| panic!("{err}"));
        let first = cluster.create_database().unwrap_or_else(|err| panic!("{err}"));
        let second = cluster.create_database().unwrap_or_else(|err| panic!("{err}"));
        assert_ne!(first, second);
        assert!(first.ends_with("/t_1"), "{first}");
        let dir = cluster.dir.path().to_owned();
        let port = cluster.port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(cluster);
        assert!(!dir.exists(), "cluster folder left behind");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "server still listening");
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote(Path::new("/tmp/a'b")), r"'/tmp/a'\''b'");
    }
}
