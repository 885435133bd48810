//! Physical line numbers for CSV records: csv's own go wrong after blank
//! lines and with CRLF, and operators look rows up by the line their
//! editor shows.

use std::io::{self, Read};

/// A maximal run of `\r`/`\n` bytes (split every 64 bytes), with a bit
/// set for each `\n`.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    len: u8,
    newlines: u64,
}

/// Where the line terminators of the stream are, as far as it has been
/// read, so a record's byte offset can be turned into its physical line.
#[derive(Debug, Default)]
pub(super) struct LineRuns {
    /// Newlines in runs already dropped (all before the last query).
    base: u64,
    runs: std::collections::VecDeque<Run>,
    open: Option<Run>,
}

impl LineRuns {
    pub(super) fn see(&mut self, offset: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let at = offset + i as u64;
            if *b == b'\n' || *b == b'\r' {
                let bit = u64::from(*b == b'\n');
                match &mut self.open {
                    Some(run) if run.len < 64 => {
                        run.newlines |= bit << run.len;
                        run.len += 1;
                    }
                    _ => {
                        if let Some(run) = self.open.take() {
                            self.runs.push_back(run);
                        }
                        self.open = Some(Run {
                            start: at,
                            len: 1,
                            newlines: bit,
                        });
                    }
                }
            } else if let Some(run) = self.open.take() {
                self.runs.push_back(run);
            }
        }
    }

    /// The 1-based line of the record csv reports at byte `p`: csv gives
    /// the offset right after the previous record's first terminator byte,
    /// so any terminators (blank lines, the `\n` of a `\r\n`) at `p`
    /// still precede the record.
    pub(super) fn line_of(&mut self, p: u64) -> u64 {
        while let Some(front) = self.runs.front() {
            if front.start + u64::from(front.len) > p {
                break;
            }
            self.base += u64::from(front.newlines.count_ones());
            self.runs.pop_front();
        }
        let mut newlines = self.base;
        let mut pos = p;
        for run in self.runs.iter().chain(self.open.iter()) {
            if run.start > pos {
                break;
            }
            newlines += u64::from(run.newlines.count_ones());
            pos = run.start + u64::from(run.len);
        }
        newlines + 1
    }
}

/// A reader that notes line terminators as csv pulls bytes through it.
pub(super) struct LineCounting<R> {
    pub(super) inner: R,
    pub(super) runs: std::rc::Rc<std::cell::RefCell<LineRuns>>,
    pub(super) offset: u64,
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.runs.borrow_mut().see(self.offset, &buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }
}
