//! CSV reading: a header of dotted column paths, one record per row, or for documents
//! exported one line per row, one record per run of rows with the same key.

use std::fmt;
use std::fs::File;
use std::io::Take;
use std::marker::PhantomData;

use connector_core::{Entity, EntityKind, Error, ErrorKind, FieldError, Rejected, Result};
use csv::ByteRecord;

use crate::decode::{Fault, decode, reject};
use crate::header::Header;
use crate::reader::{Opened, ReadRecord, beyond_end};
use crate::shape::value_key;

/// The header, raw (for rejected payloads) and analysed.
#[derive(Debug)]
struct Layout {
    raw: ByteRecord,
    header: Header,
}

impl Layout {
    fn parse(raw: ByteRecord, kind: EntityKind) -> Result<Self, String> {
        let mut names = Vec::with_capacity(raw.len());
        for (i, name) in raw.iter().enumerate() {
            let name = std::str::from_utf8(name)
                .map_err(|_| format!("column {} of the header is not valid UTF-8", i + 1))?;
            names.push(name.to_owned());
        }
        Ok(Layout { header: Header::analyze(names, kind)?, raw })
    }
}

struct Row {
    /// The line of the file the row starts on (the header is line 1).
    line: u64,
    record: ByteRecord,
}

/// Reads records from a CSV file.
pub(crate) struct CsvRecords<E> {
    rdr: csv::Reader<Take<File>>,
    /// The bytes the reader will see, and whether they end with a line break.
    len: u64,
    ends_with_newline: bool,
    layout: Option<Layout>,
    delimiter: u8,
    /// Data rows read from the file.
    read: u64,
    /// Data rows of the records delivered.
    consumed: u64,
    /// A row read ahead that starts the next record.
    pending: Option<Row>,
    failed: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for CsvRecords<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvRecords")
            .field("layout", &self.layout)
            .field("read", &self.read)
            .field("consumed", &self.consumed)
            .finish_non_exhaustive()
    }
}

fn csv_error(e: csv::Error) -> Error {
    Error::internal(format!("CSV: {e}")).with_connector("file")
}

impl<E: Entity> CsvRecords<E> {
    /// Reads and checks the header, then skips `skip` data rows.
    pub(crate) fn new(opened: Opened, delimiter: u8, skip: u64) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(opened.file);
        let mut header = ByteRecord::new();
        let layout = if rdr.read_byte_record(&mut header).map_err(csv_error)? {
            let layout = Layout::parse(header, E::KIND).map_err(|message| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the CSV header is not valid: {message}"),
                )
                .with_field_errors(vec![FieldError::new("header", message)])
                .with_connector("file")
                .with_operation(format!("read {}", E::KIND))
            })?;
            Some(layout)
        } else {
            None
        };
        let mut skipped = 0;
        let mut scratch = ByteRecord::new();
        while skipped < skip {
            if layout.is_none() || !rdr.read_byte_record(&mut scratch).map_err(csv_error)? {
                return Err(beyond_end("row", skip, skipped));
            }
            skipped += 1;
        }
        Ok(Self {
            rdr,
            len: opened.len,
            ends_with_newline: opened.ends_with_newline,
            layout,
            delimiter,
            read: skip,
            consumed: skip,
            pending: None,
            failed: false,
            _entity: PhantomData,
        })
    }

    /// Data rows consumed by the records delivered.
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    fn read_row(&mut self) -> Result<Option<Row>> {
        let mut record = ByteRecord::new();
        if !self.rdr.read_byte_record(&mut record).map_err(csv_error)? {
            return Ok(None);
        }
        self.read += 1;
        // csv positions a record where the previous one ended, before any blank lines it
        // skipped; count back from where this one ends instead: its line breaks inside quoted
        // cells, and its own line break unless it is the file's unterminated last line.
        let after = self.rdr.position();
        let inner: usize =
            record.iter().map(|cell| cell.iter().filter(|&&b| b == b'\n').count()).sum();
        let unterminated = after.byte() >= self.len && !self.ends_with_newline;
        let line = after.line().saturating_sub(inner as u64 + u64::from(!unterminated)).max(1);
        Ok(Some(Row { line, record }))
    }

    /// The rows of the next record: one row, or a run of rows with the same key.
    fn next_rows(&mut self) -> Result<Option<Vec<Row>>> {
        let first = match self.pending.take() {
            Some(row) => row,
            None => match self.read_row()? {
                Some(row) => row,
                None => return Ok(None),
            },
        };
        let key_column = self.layout.as_ref().and_then(|l| l.header.key_column);
        let key = key_column.and_then(|c| first.record.get(c)).map(<[u8]>::trim_ascii);
        let key = key.filter(|k| !k.is_empty()).map(<[u8]>::to_vec);
        let mut rows = vec![first];
        if let (Some(c), Some(key)) = (key_column, key) {
            while let Some(row) = self.read_row()? {
                if row.record.get(c).map(<[u8]>::trim_ascii) == Some(&key[..]) {
                    rows.push(row);
                } else {
                    self.pending = Some(row);
                    break;
                }
            }
        }
        self.consumed = self.read - u64::from(self.pending.is_some());
        Ok(Some(rows))
    }

    fn decode_rows(&self, layout: &Layout, rows: &[Row]) -> std::result::Result<E, Rejected> {
        let header = &layout.header;
        // Cells the header cannot place: bad UTF-8, or a value under a column without a name.
        let mut bad_cells = Vec::new();
        let mut bad_line = None;
        for row in rows {
            for (c, cell) in row.record.iter().enumerate() {
                if cell.trim_ascii().is_empty() {
                    continue;
                }
                let named = header.columns.get(c).is_some_and(Option::is_some);
                let fault = match (named, std::str::from_utf8(cell)) {
                    (true, Ok(_)) => continue,
                    (false, _) => Fault::whole(format!(
                        "cell {} holds {:?} but the header has no column name for it",
                        c + 1,
                        String::from_utf8_lossy(cell)
                    )),
                    (true, Err(_)) => Fault {
                        field: header.names[c].clone(),
                        message: "not valid UTF-8".to_owned(),
                    },
                };
                bad_line.get_or_insert(row.line);
                bad_cells.push(fault);
            }
        }
        let cells = rows.iter().map(|row| {
            let cells = row.record.iter().enumerate();
            cells.filter_map(|(c, cell)| Some((c, std::str::from_utf8(cell).ok()?)))
        });
        let (value, element_rows) = header.build(cells);

        let key = value_key(E::KIND, &value);
        let first_line = rows.first().map_or(0, |r| r.line);
        let fail = |kind, line: u64, faults| {
            let location = format!("row {line}");
            reject(E::KIND, kind, &location, key.clone(), self.payload(layout, rows), faults)
        };
        if let Some(line) = bad_line {
            return Err(fail(ErrorKind::Decode, line, bad_cells));
        }
        // `lines[1].quantity` → the row of the second line.
        let line_of = |field: &str| {
            header
                .group
                .and_then(|g| field.strip_prefix(g)?.strip_prefix('[')?.split(']').next())
                .and_then(|i| element_rows.get(i.parse::<usize>().ok()?))
                .and_then(|&r| rows.get(r))
                .map_or(first_line, |r| r.line)
        };
        match decode::<E>(value) {
            Ok((record, ignored)) if ignored.is_empty() => Ok(record),
            Ok((_, ignored)) => {
                let line = line_of(&ignored[0]);
                let faults = ignored
                    .into_iter()
                    .map(|field| Fault {
                        field,
                        message: format!("not a field of {}: check the column name", E::KIND),
                    })
                    .collect();
                Err(fail(ErrorKind::InvalidInput, line, faults))
            }
            Err(fault) => Err(fail(ErrorKind::InvalidInput, line_of(&fault.field), vec![fault])),
        }
    }

    /// The header and the rows of a record, as CSV text.
    fn payload(&self, layout: &Layout, rows: &[Row]) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let records = std::iter::once(&layout.raw).chain(rows.iter().map(|r| &r.record));
        for record in records {
            // Writing to a Vec cannot fail.
            let _ = w.write_byte_record(record);
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim_end().to_owned()
    }
}

impl<E: Entity> Iterator for CsvRecords<E> {
    type Item = Result<ReadRecord<E>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.layout.is_none() {
            return None;
        }
        let rows = match self.next_rows() {
            Ok(Some(rows)) => rows,
            Ok(None) => return None,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        let layout = self.layout.as_ref()?;
        let item = self.decode_rows(layout, &rows);
        Some(Ok(item))
    }
}
