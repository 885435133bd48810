//! Physical line numbers for CSV records. csv's own go wrong after blank
//! lines and with CRLF, and operators look rows up by the line their
//! editor shows. The payments file is held in memory, so a forward-only
//! cursor over its bytes is enough.

pub(super) struct Lines<'a> {
    data: &'a [u8],
    /// Bytes before this offset have been counted…
    counted_to: usize,
    /// …and hold this many `\n`.
    newlines: usize,
}

impl<'a> Lines<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Lines {
            data,
            counted_to: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the record csv reports at byte `p` (offsets
    /// must not decrease between calls). csv gives the offset right after
    /// the previous record's first terminator byte, so terminators at `p`
    /// (blank lines, the `\n` of a `\r\n`) still precede the record.
    pub(super) fn line_of(&mut self, p: u64) -> usize {
        let p = usize::try_from(p)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        if p > self.counted_to {
            self.newlines += count_newlines(&self.data[self.counted_to..p]);
            self.counted_to = p;
        }
        let run = self.data[self.counted_to..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count();
        self.newlines + run + 1
    }
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}
