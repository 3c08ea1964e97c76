//! Blocking, streaming record readers over a file: one record at a time, never the whole file.
//!
//! Both formats count *units*: CSV data rows (after the header) and JSON Lines physical lines
//! (blank ones included). A reader can skip units already consumed (the append-only cursor)
//! and reports after each record how many units it has consumed (the cursor after it).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Take};
use std::path::Path;

use connector_core::{Entity, Error, ErrorKind, Rejected, Result};

use crate::config::{FileConfig, FileFormat};
use crate::csv_read::CsvRecords;
use crate::jsonl_read::JsonlRecords;

/// One record read, or why it was rejected.
pub(crate) type ReadRecord<E> = std::result::Result<E, Rejected>;

/// How much of the file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    /// Everything, including a last line without a line break.
    Whole,
    /// Only up to the last line break: a line still being appended is left for the next read.
    CompleteLines,
}

/// A reader of either format.
#[derive(Debug)]
pub(crate) enum Records<E> {
    /// CSV.
    Csv(CsvRecords<E>),
    /// JSON Lines.
    Jsonl(JsonlRecords<E>),
}

impl<E: Entity> Records<E> {
    /// Opens the file, reads the CSV header, and skips `skip` units.
    pub(crate) fn open(config: &FileConfig, extent: Extent, skip: u64) -> Result<Self> {
        let opened = open_file(&config.path, extent)?;
        let records = match config.format {
            FileFormat::Csv => CsvRecords::new(opened, config.delimiter, skip).map(Records::Csv),
            FileFormat::JsonLines => JsonlRecords::new(opened.file, skip).map(Records::Jsonl),
        };
        records.map_err(|e| e.context(config.path.display()))
    }

    /// Units consumed by the records delivered so far.
    pub(crate) fn consumed(&self) -> u64 {
        match self {
            Records::Csv(r) => r.consumed(),
            Records::Jsonl(r) => r.consumed(),
        }
    }
}

impl<E: Entity> Iterator for Records<E> {
    type Item = Result<ReadRecord<E>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Records::Csv(r) => r.next(),
            Records::Jsonl(r) => r.next(),
        }
    }
}

/// A file opened for reading, limited to what was there when it was opened.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The reader.
    pub file: Take<File>,
    /// How many bytes it will yield.
    pub len: u64,
    /// Whether those bytes end with a line break.
    pub ends_with_newline: bool,
}

/// Opens the file. Reading stops at the size it had when opened (records appended during a
/// read are for the next one) or, for [`Extent::CompleteLines`], at its last line break.
fn open_file(path: &Path, extent: Extent) -> Result<Opened> {
    let read_error = |e: io::Error| io_error(path, "read", &e);
    let mut file = File::open(path).map_err(|e| io_error(path, "open", &e))?;
    let (len, ends_with_newline) = match extent {
        Extent::Whole => {
            let len = file.metadata().map_err(read_error)?.len();
            let mut last = [0u8; 1];
            if len > 0 {
                file.seek(SeekFrom::Start(len - 1)).map_err(read_error)?;
                file.read_exact(&mut last).map_err(read_error)?;
            }
            (len, last[0] == b'\n')
        }
        Extent::CompleteLines => {
            let len = complete_len(&mut file).map_err(read_error)?;
            (len, len > 0)
        }
    };
    file.seek(SeekFrom::Start(0)).map_err(read_error)?;
    Ok(Opened { file: file.take(len), len, ends_with_newline })
}

/// The length of the file up to and including its last line break.
fn complete_len(file: &mut File) -> io::Result<u64> {
    const CHUNK: u64 = 8 * 1024;
    let mut end = file.metadata()?.len();
    let mut buf = vec![0; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(pos) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + pos as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// An I/O failure on the file; a missing file is [`ErrorKind::NotFound`].
pub(crate) fn io_error(path: &Path, action: &str, e: &io::Error) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::PermissionDenied => ErrorKind::Permission,
        _ => ErrorKind::Internal,
    };
    Error::new(kind, format!("cannot {action} {}: {e}", path.display())).with_connector("file")
}

/// The cursor points past the end of the file: it was truncated or replaced.
pub(crate) fn beyond_end(unit: &str, cursor: u64, available: u64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "the cursor says {cursor} {unit}s were read, but the file has only {available}: it \
             was truncated or replaced (the file source expects an append-only file); run a \
             full read or reset the cursor"
        ),
    )
    .with_connector("file")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn complete_len_stops_at_the_last_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        for (content, want) in
            [(&b""[..], 0), (b"abc", 0), (b"a\n", 2), (b"a\nbc", 2), (b"a\nb\n", 4)]
        {
            std::fs::write(&path, content).unwrap();
            let mut f = File::open(&path).unwrap();
            assert_eq!(complete_len(&mut f).unwrap(), want, "{content:?}");
        }
        let mut big = File::create(&path).unwrap();
        big.write_all(b"x\n").unwrap();
        big.write_all(&vec![b'y'; 20_000]).unwrap();
        drop(big);
        assert_eq!(complete_len(&mut File::open(&path).unwrap()).unwrap(), 2);
    }
}
