//! File exchange through watched folders, the way on-premises systems (AccountView's import
//! and export definitions, a PIM's file drop) trade files:
//!
//! - an [`Outbox`] delivers a file whole or not at all: it is written under `.part/` in the
//!   same folder, flushed to disk, then renamed into place (an atomic step on one file
//!   system). A crash before the rename leaves only a `.part/` leftover the other side never
//!   reads, and [`Outbox::recover`] clears it; the record is sent again because it was never
//!   acknowledged.
//! - an [`Inbox`] hands out only complete files: a file with a `<name>.done` marker, or, for
//!   writers that leave no marker, one whose size and change time have stood still for the
//!   settle time. Dot files and `*.part`/`*.tmp` files are never read. Each file handed out
//!   ends in `processed/` or, with its reason beside it, in `failed/`.

mod read;
mod rows;

pub use read::{FileLayout, Records, read_pending};
pub use rows::{CsvRows, Row, Runs};

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Where leftovers of interrupted deliveries are kept.
const PART_DIR: &str = ".part";
/// The marker a writer leaves beside a complete file.
const DONE: &str = ".done";

/// A folder files are delivered into, whole.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// A file name no other delivery uses: `<kind>-<UTC time to the nanosecond>-<process
/// id>-<counter>.<extension>`; names of one writer sort in the order they were made.
pub fn unique_name(kind: &str, extension: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let since_epoch = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    format!(
        "{kind}-{}{:09}-{}-{n:06}.{extension}",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos(),
        std::process::id()
    )
}

/// The file name of a batch: `<kind>-<hash of its records' keys>.<extension>`. A retried
/// batch of the same records gets the same name, so [`deliver_once`] does not deliver it
/// twice while the first delivery waits to be read.
pub fn batch_name<'a>(
    kind: &str,
    extension: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> String {
    // FNV-1a, 64 bits: stable across builds and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for key in keys {
        for b in key.bytes().chain([0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{kind}-{hash:016x}.{extension}")
}

/// Delivers `bytes` as `name` (with its `.done` marker when `marker`); a file of that name
/// still waiting to be read is the same batch delivered before (a retry after a crash), and
/// counts as delivered.
pub fn deliver_once(
    outbox: &Outbox,
    name: &str,
    bytes: &[u8],
    marker: bool,
) -> io::Result<PathBuf> {
    match outbox.deliver(name, bytes, marker) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(outbox.dir.join(name)),
        other => other,
    }
}

impl Outbox {
    /// An outbox in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(dir.join(PART_DIR))?;
        Ok(Self { dir })
    }

    /// Delivers `bytes` as `name`: written and flushed under `.part/`, then renamed into the
    /// folder, then the folder flushed. With `marker`, a `<name>.done` marker follows, for
    /// readers that wait for one. A file of that name still waiting to be read is never
    /// replaced: that is an `AlreadyExists` error.
    pub fn deliver(&self, name: &str, bytes: &[u8], marker: bool) -> io::Result<PathBuf> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a plain file name"),
            ));
        }
        let target = self.dir.join(name);
        // A file of that name not yet taken by the reader is never replaced.
        if target.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{name} is still waiting to be read"),
            ));
        }
        let part = self.dir.join(PART_DIR).join(name);
        {
            let mut f = File::create(&part)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&part, &target)?;
        // The rename is on disk before the marker says the file is there.
        sync_dir(&self.dir)?;
        if marker {
            File::create(self.dir.join(format!("{name}{DONE}")))?.sync_all()?;
            sync_dir(&self.dir)?;
        }
        Ok(target)
    }

    /// Clears what interrupted deliveries left under `.part/`; how many files.
    pub fn recover(&self) -> io::Result<usize> {
        let mut cleared = 0;
        for entry in fs::read_dir(self.dir.join(PART_DIR))? {
            let path = entry?.path();
            if path.is_file() {
                fs::remove_file(path)?;
                cleared += 1;
            }
        }
        Ok(cleared)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// When an inbox takes a file as complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Only when its `<name>.done` marker is there.
    Marker,
    /// When its size and change time have not moved for this long (writers without markers).
    Settled(Duration),
}

/// A file's size and change time, and when they were first seen so.
type Look = (u64, SystemTime, Instant);

/// A folder complete files are taken from, each moved on to `processed/` or `failed/`.
#[derive(Debug, Clone)]
pub struct Inbox {
    dir: PathBuf,
    completion: Completion,
    /// For [`Completion::Settled`]: each file's size and change time when first seen so, and
    /// when that was.
    seen: Arc<Mutex<HashMap<String, Look>>>,
}

/// A complete file of an [`Inbox`], to be marked processed or failed.
#[derive(Debug)]
pub struct InboxFile {
    /// Its path in the inbox.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    dir: PathBuf,
}

impl Inbox {
    /// An inbox in `dir` (created, with `processed/` and `failed/`, when missing).
    pub fn new(dir: impl Into<PathBuf>, completion: Completion) -> io::Result<Self> {
        let dir = dir.into();
        for sub in ["processed", "failed"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Self { dir, completion, seen: Default::default() })
    }

    /// The complete files waiting, oldest name first (names sort as writers number them).
    pub fn ready(&self) -> io::Result<Vec<InboxFile>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if !meta.is_file()
                || name.starts_with('.')
                || name.ends_with(DONE)
                || name.ends_with(".part")
                || name.ends_with(".tmp")
            {
                continue;
            }
            let complete = match self.completion {
                Completion::Marker => self.dir.join(format!("{name}{DONE}")).exists(),
                Completion::Settled(settle) if settle.is_zero() => true,
                // Complete when size and change time have not moved between two looks at
                // least `settle` apart (this machine's clock, whatever the file server's says).
                Completion::Settled(settle) => {
                    let now = (meta.len(), meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
                    let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                    match seen.get(&name) {
                        Some((len, changed, since)) if (*len, *changed) == now => {
                            since.elapsed() >= settle
                        }
                        _ => {
                            seen.insert(name.clone(), (now.0, now.1, Instant::now()));
                            false
                        }
                    }
                }
            };
            if complete {
                out.push(InboxFile { path: entry.path(), name, dir: self.dir.clone() });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The complete files named `<prefix>…<suffix>` still to read, by name, for a reader
    /// that checkpoints files: `committed` is the cursor of the last committed checkpoint
    /// ([`ReadFiles::cursor`]), and the files it names, still unchanged, are moved to
    /// `processed/` first. A file of the same name that changed since (an export rewritten
    /// under a fixed name) is read again. With [`Completion::Settled`] it looks twice, the
    /// settle time apart, so a one-shot run reads what has settled meanwhile.
    pub async fn pending(
        &self,
        prefix: &str,
        suffix: &str,
        committed: Option<&str>,
    ) -> io::Result<Vec<InboxFile>> {
        let done = committed.map(ReadFiles::parse).unwrap_or_default();
        let mut files = self.ready()?;
        if let Completion::Settled(settle) = self.completion {
            if !settle.is_zero() {
                tokio::time::sleep(settle).await;
                files = self.ready()?;
            }
        }
        let mut out = Vec::new();
        for f in
            files.into_iter().filter(|f| f.name.starts_with(prefix) && f.name.ends_with(suffix))
        {
            if done.contains(&FileStamp::of(&f.path, &f.name)?) {
                f.processed()?;
            } else {
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// A file as it was read: its name, size and change time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    name: String,
    len: u64,
    modified_ns: u128,
}

impl FileStamp {
    /// The stamp of the file at `path`, named `name`.
    pub fn of(path: &Path, name: &str) -> io::Result<Self> {
        let meta = fs::metadata(path)?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Ok(Self { name: name.to_owned(), len: meta.len(), modified_ns })
    }
}

/// The files a reader has read whole in a run, as the text of its checkpoint: one
/// `name/size/change time` per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFiles(Vec<FileStamp>);

impl ReadFiles {
    /// The files a checkpoint's text names (an unreadable line names none).
    pub fn parse(text: &str) -> Vec<FileStamp> {
        text.lines()
            .filter_map(|l| {
                let mut parts = l.rsplitn(3, '/');
                let modified_ns = parts.next()?.parse().ok()?;
                let len = parts.next()?.parse().ok()?;
                Some(FileStamp { name: parts.next()?.to_owned(), len, modified_ns })
            })
            .collect()
    }

    /// Adds a file read whole.
    pub fn push(&mut self, stamp: FileStamp) {
        self.0.push(stamp);
    }

    /// The checkpoint's text.
    pub fn cursor(&self) -> String {
        self.0
            .iter()
            .map(|s| format!("{}/{}/{}", s.name, s.len, s.modified_ns))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl InboxFile {
    fn move_to(&self, sub: &str) -> io::Result<PathBuf> {
        let target = self.dir.join(sub).join(&self.name);
        fs::rename(&self.path, &target)?;
        let marker = self.dir.join(format!("{}{DONE}", self.name));
        if marker.exists() {
            fs::remove_file(marker)?;
        }
        sync_dir(&self.dir)?;
        Ok(target)
    }

    /// Moves it to `processed/`.
    pub fn processed(self) -> io::Result<PathBuf> {
        self.move_to("processed")
    }

    /// Moves it to `failed/`, with `<name>.error.txt` beside it saying why.
    pub fn failed(self, reason: &str) -> io::Result<PathBuf> {
        let target = self.move_to("failed")?;
        fs::write(self.dir.join("failed").join(format!("{}.error.txt", self.name)), reason)?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_before_the_rename_leaves_nothing_the_reader_takes() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path()).unwrap();
        let inbox = Inbox::new(dir.path(), Completion::Settled(Duration::ZERO)).unwrap();
        // A delivery interrupted after writing, before renaming: its part file only.
        fs::write(dir.path().join(PART_DIR).join("orders-0001.csv"), "number,sku\nSO-1,1001\n")
            .unwrap();
        assert!(inbox.ready().unwrap().is_empty(), "a part file is never read");
        assert_eq!(outbox.recover().unwrap(), 1);
        // The retried delivery lands whole.
        outbox.deliver("orders-0001.csv", b"number,sku\nSO-1,1001\n", false).unwrap();
        let again = outbox.deliver("orders-0001.csv", b"other", false).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists, "an unread file is never replaced");
        let ready = inbox.ready().unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(fs::read_to_string(&ready[0].path).unwrap(), "number,sku\nSO-1,1001\n");
        assert!(outbox.deliver("../escape.csv", b"x", false).is_err());
    }

    #[test]
    fn a_half_written_file_is_not_read_until_complete() {
        let dir = tempfile::tempdir().unwrap();
        // Marker mode: a file without its marker waits, however old.
        let inbox = Inbox::new(dir.path(), Completion::Marker).unwrap();
        fs::write(dir.path().join("products-1.xml"), "<products><product>").unwrap();
        assert!(inbox.ready().unwrap().is_empty());
        fs::write(dir.path().join("products-1.xml"), "<products><product/></products>").unwrap();
        File::create(dir.path().join("products-1.xml.done")).unwrap();
        let ready = inbox.ready().unwrap();
        assert_eq!(ready.len(), 1);
        let done = ready.into_iter().next().unwrap().processed().unwrap();
        assert!(done.ends_with("processed/products-1.xml"));
        assert!(!dir.path().join("products-1.xml.done").exists());

        // Settle mode: a file is taken only when it stood still between two looks.
        let settling =
            Inbox::new(dir.path(), Completion::Settled(Duration::from_millis(50))).unwrap();
        fs::write(dir.path().join("stock-1.csv"), "sku,qty\n100").unwrap();
        assert!(settling.ready().unwrap().is_empty(), "first seen");
        std::thread::sleep(Duration::from_millis(60));
        fs::write(dir.path().join("stock-1.csv"), "sku,qty\n100,4\n").unwrap();
        assert!(settling.ready().unwrap().is_empty(), "it grew: seen anew");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(settling.ready().unwrap().len(), 1, "it stood still");
        let settled = Inbox::new(dir.path(), Completion::Settled(Duration::ZERO)).unwrap();
        let file = settled.ready().unwrap().into_iter().next().unwrap();
        file.failed("row 2: qty is missing").unwrap();
        let reason = fs::read_to_string(dir.path().join("failed/stock-1.csv.error.txt")).unwrap();
        assert_eq!(reason, "row 2: qty is missing");
    }
}
