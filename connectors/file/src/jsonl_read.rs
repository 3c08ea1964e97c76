//! JSON Lines reading: one canonical record per line, blank lines skipped.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Take};
use std::marker::PhantomData;

use connector_core::{Entity, ErrorKind, Rejected, Result};
use serde_json::Value;

use crate::decode::{Fault, decode, reject};
use crate::reader::{ReadRecord, beyond_end};
use crate::shape::value_key;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads records line by line.
pub(crate) struct JsonlRecords<E> {
    rdr: BufReader<Take<File>>,
    buf: Vec<u8>,
    line: u64,
    failed: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for JsonlRecords<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonlRecords").field("line", &self.line).finish_non_exhaustive()
    }
}

impl<E: Entity> JsonlRecords<E> {
    /// A reader that skips the first `skip` lines.
    pub(crate) fn new(file: Take<File>, skip: u64) -> Result<Self> {
        let mut reader = Self {
            rdr: BufReader::with_capacity(64 * 1024, file),
            buf: Vec::new(),
            line: 0,
            failed: false,
            _entity: PhantomData,
        };
        while reader.line < skip {
            if !reader.read_line()? {
                return Err(beyond_end("line", skip, reader.line));
            }
        }
        Ok(reader)
    }

    /// Lines consumed so far.
    pub(crate) fn consumed(&self) -> u64 {
        self.line
    }

    fn read_line(&mut self) -> Result<bool> {
        self.buf.clear();
        let n = self.rdr.read_until(b'\n', &mut self.buf)?;
        if n > 0 {
            self.line += 1;
        }
        Ok(n > 0)
    }

    fn decode_line(&self) -> std::result::Result<E, Rejected> {
        let mut bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if self.line == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        let location = format!("line {}", self.line);
        let fail = |key, kind, fault| {
            let payload = String::from_utf8_lossy(bytes).into_owned();
            reject(E::KIND, kind, &location, key, payload, vec![fault])
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(fail(None, ErrorKind::Decode, Fault::whole("not valid UTF-8")));
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                let fault =
                    Fault::whole(format!("not valid JSON at column {}: {message}", e.column()));
                return Err(fail(None, ErrorKind::Decode, fault));
            }
        };
        if !value.is_object() {
            let fault = Fault::whole("a line must hold one JSON object");
            return Err(fail(None, ErrorKind::Decode, fault));
        }
        let key = value_key(E::KIND, &value);
        match decode::<E>(value) {
            Ok((record, _ignored)) => Ok(record),
            Err(fault) => Err(fail(key, ErrorKind::InvalidInput, fault)),
        }
    }
}

impl<E: Entity> Iterator for JsonlRecords<E> {
    type Item = Result<ReadRecord<E>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.read_line() {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
            let blank = self.buf.iter().all(u8::is_ascii_whitespace)
                || (self.line == 1
                    && self.buf.strip_prefix(BOM).is_some_and(|b| b.trim_ascii().is_empty()));
            if !blank {
                return Some(Ok(self.decode_line()));
            }
        }
    }
}
