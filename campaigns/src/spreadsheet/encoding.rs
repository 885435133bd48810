//! Bytes into text, as a stream. Excel in a Spanish locale saves "CSV" as
//! Windows-1252, other tools save UTF-8, and the file does not say which;
//! the rule below decides without holding the file in memory, and any
//! field the decision does not fit is reported, never silently garbled.
//!
//! **The rule** ([`TextEncoding::Auto`]):
//!
//! 1. A byte-order mark decides: `EF BB BF` is UTF-8, `FF FE` UTF-16LE,
//!    `FE FF` UTF-16BE (Excel's "Unicode text" export). The mark is dropped.
//! 2. Otherwise the first non-ASCII byte decides: if it starts a valid
//!    UTF-8 sequence the file is UTF-8, else it is Windows-1252. Before
//!    that byte both read the same (ASCII), so nothing read earlier changes
//!    meaning, and nothing has to be buffered beyond a few bytes.
//! 3. Guards for the rest of the file: in a file read as UTF-8, a field
//!    that is not valid UTF-8 rejects its row (the byte and its position
//!    are named); in a file read as Windows-1252, a field whose bytes are
//!    valid multi-byte UTF-8 (it would read as `VerÃ³nica`) rejects its
//!    row. Either message says how to declare the encoding.
//!
//! A declared encoding ([`TextEncoding::Declared`]) skips 1–3, except that a
//! byte-order mark still wins: declared UTF-8 passes the bytes through
//! (so invalid ones are reported per field), any other encoding is
//! transcoded, and a field with bytes that encoding cannot map is reported.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use crate::import::{RowReason, Utf8Hint};
use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Which encoding a file is in: detected, or declared by the operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextEncoding {
    /// Detected by the rule in this module's documentation.
    #[default]
    Auto,
    /// As the operator says (a byte-order mark still wins).
    Declared(&'static Encoding),
}

/// An encoding label neither WHATWG nor cobro knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown text encoding '{0}' (use auto, utf-8, windows-1252 (also cp1252, latin1) or another WHATWG label)"
)]
pub struct UnknownEncoding(pub String);

impl TextEncoding {
    /// `auto`, or any label `encoding_rs` knows (`utf-8`, `windows-1252`,
    /// `cp1252`, `latin1`, `iso-8859-15`…), plus the names Windows users
    /// write for their code page (`ansi`, `latin-1`, `windows1252`).
    pub fn from_label(label: &str) -> Result<Self, UnknownEncoding> {
        let l = label.trim();
        if l.eq_ignore_ascii_case("auto") {
            return Ok(TextEncoding::Auto);
        }
        let extra = ["ansi", "latin-1", "windows1252", "win1252", "win-1252"];
        if extra.iter().any(|e| e.eq_ignore_ascii_case(l)) {
            return Ok(TextEncoding::Declared(WINDOWS_1252));
        }
        match Encoding::for_label(l.as_bytes()) {
            // The "replacement" encoding decodes everything to U+FFFD: it
            // exists to neuter dangerous labels, never what a user means.
            Some(e) if e != encoding_rs::REPLACEMENT => Ok(TextEncoding::Declared(e)),
            _ => Err(UnknownEncoding(label.to_string())),
        }
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TextEncoding::from_label(s)
    }
}

/// What settled a file's encoding; row errors quote it so the operator
/// knows which part of the file to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The operator declared it.
    Declared,
    /// A byte-order mark at the start of the file.
    Bom,
    /// The first non-ASCII byte, on this physical line.
    FirstNonAscii { line: u64, byte: u8 },
}

/// The encoding a file is read in, once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextDecision {
    pub encoding: &'static Encoding,
    pub basis: Basis,
}

impl TextDecision {
    /// Whether the bytes are converted (as opposed to passed through and
    /// checked as UTF-8 field by field).
    fn transcoded(&self) -> bool {
        self.encoding != UTF_8
    }
}

/// Read access to a [`DecodingReader`]'s decision after the reader has
/// been moved into a CSV reader. `None` while the file has been ASCII.
#[derive(Debug, Clone, Default)]
pub struct DecisionHandle(Rc<Cell<Option<TextDecision>>>);

impl DecisionHandle {
    pub fn get(&self) -> Option<TextDecision> {
        self.0.get()
    }
}

enum State {
    /// Before the byte-order mark check.
    Start,
    /// Auto, and everything so far was ASCII.
    Sniff,
    /// UTF-8: bytes go through untouched, invalid ones are reported later
    /// per field (with their position) rather than replaced here.
    Pass,
    Transcode(Box<Decoder>),
    Done,
}

const RAW_BUF: usize = 64 * 1024;

/// A reader that yields UTF-8 (or, for UTF-8 files, the file's own
/// bytes) from a file in any encoding, deciding the encoding as described
/// in the module documentation. Memory use is a fixed buffer whatever the
/// file's size.
pub struct DecodingReader<R> {
    inner: R,
    declared: TextEncoding,
    raw: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    state: State,
    out: Vec<u8>,
    out_pos: usize,
    /// `\n` seen while sniffing: the line of the deciding byte.
    newlines: u64,
    decision: DecisionHandle,
}

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        DecodingReader {
            inner,
            declared: encoding,
            raw: vec![0; RAW_BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            state: State::Start,
            out: Vec::with_capacity(RAW_BUF),
            out_pos: 0,
            newlines: 0,
            decision: DecisionHandle::default(),
        }
    }

    /// The decision, readable after `self` is moved into another reader.
    pub fn decision(&self) -> DecisionHandle {
        self.decision.clone()
    }

    fn decide(&mut self, encoding: &'static Encoding, basis: Basis) {
        self.decision.0.set(Some(TextDecision { encoding, basis }));
        self.state = if encoding == UTF_8 {
            State::Pass
        } else {
            State::Transcode(Box::new(encoding.new_decoder_without_bom_handling()))
        };
    }

    /// Appends to the raw buffer (moving unread bytes to its front first).
    fn fill_raw(&mut self) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        if self.start > 0 {
            self.raw.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.raw[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Produces the next piece of output into `out` (empty only at the end).
    fn fill_out(&mut self) -> io::Result<()> {
        loop {
            if self.start == self.end && !self.eof {
                self.fill_raw()?;
            }
            match &mut self.state {
                State::Done => return Ok(()),
                State::Start => {
                    if self.end - self.start < 3 && !self.eof {
                        let before = self.end;
                        self.fill_raw()?;
                        if self.end > before || self.eof {
                            continue;
                        }
                    }
                    let head = &self.raw[self.start..self.end];
                    if head.starts_with(b"\xEF\xBB\xBF") {
                        self.start += 3;
                        self.decide(UTF_8, Basis::Bom);
                    } else if head.starts_with(b"\xFF\xFE") {
                        self.start += 2;
                        self.decide(UTF_16LE, Basis::Bom);
                    } else if head.starts_with(b"\xFE\xFF") {
                        self.start += 2;
                        self.decide(UTF_16BE, Basis::Bom);
                    } else {
                        match self.declared {
                            TextEncoding::Auto => self.state = State::Sniff,
                            TextEncoding::Declared(e) => self.decide(e, Basis::Declared),
                        }
                    }
                }
                State::Sniff => {
                    let chunk = &self.raw[self.start..self.end];
                    let ascii = chunk
                        .iter()
                        .position(|b| !b.is_ascii())
                        .unwrap_or(chunk.len());
                    self.newlines += chunk[..ascii].iter().filter(|b| **b == b'\n').count() as u64;
                    self.out.extend_from_slice(&chunk[..ascii]);
                    self.start += ascii;
                    if self.start < self.end {
                        let rest = &self.raw[self.start..self.end];
                        let byte = rest[0];
                        let basis = Basis::FirstNonAscii {
                            line: self.newlines + 1,
                            byte,
                        };
                        match starts_valid_utf8(rest, self.eof) {
                            Some(true) => self.decide(UTF_8, basis),
                            Some(false) => self.decide(WINDOWS_1252, basis),
                            // A sequence cut by the buffer's end: hand over
                            // what is ready, or read on.
                            None if !self.out.is_empty() => return Ok(()),
                            None => self.fill_raw()?,
                        }
                        continue;
                    }
                    if !self.out.is_empty() || self.eof {
                        return Ok(());
                    }
                }
                State::Pass => {
                    self.out.extend_from_slice(&self.raw[self.start..self.end]);
                    self.start = self.end;
                    if !self.out.is_empty() || self.eof {
                        return Ok(());
                    }
                }
                State::Transcode(decoder) => {
                    let src = &self.raw[self.start..self.end];
                    let need = decoder
                        .max_utf8_buffer_length(src.len())
                        .unwrap_or(4 * RAW_BUF)
                        .clamp(16, 4 * RAW_BUF);
                    let old = self.out.len();
                    self.out.resize(old + need, 0);
                    let (result, read, written, _) =
                        decoder.decode_to_utf8(src, &mut self.out[old..], self.eof);
                    self.out.truncate(old + written);
                    self.start += read;
                    if self.eof && self.start == self.end && result == CoderResult::InputEmpty {
                        self.state = State::Done;
                    }
                    if !self.out.is_empty() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            self.fill_out()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Whether `bytes` (starting at a non-ASCII byte) start with a valid UTF-8
/// character; `None` if the buffer ends inside what could still be one.
fn starts_valid_utf8(bytes: &[u8], eof: bool) -> Option<bool> {
    let probe = &bytes[..bytes.len().min(4)];
    match std::str::from_utf8(probe) {
        Ok(_) => Some(true),
        Err(e) if e.valid_up_to() > 0 => Some(true),
        Err(e) if e.error_len().is_some() => Some(false),
        Err(_) if eof || probe.len() == 4 => Some(false),
        Err(_) => None,
    }
}

/// Decodes a whole in-memory file by the same rule; returns the text bytes
/// (the file's own for UTF-8) and the decision.
pub fn decode_all(
    data: &[u8],
    encoding: TextEncoding,
) -> io::Result<(Vec<u8>, Option<TextDecision>)> {
    let mut reader = DecodingReader::new(data, encoding);
    let handle = reader.decision();
    let mut out = Vec::with_capacity(data.len());
    reader.read_to_end(&mut out)?;
    Ok((out, handle.get()))
}

/// The text of one field read through a [`DecodingReader`], or why its row
/// is refused (see the guards in the module documentation).
pub fn field_text(bytes: &[u8], decision: Option<TextDecision>) -> Result<&str, RowReason> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let pos = e.valid_up_to();
            let byte = bytes.get(pos).copied().unwrap_or_default();
            return Err(RowReason::NotUtf8 {
                byte,
                position: pos + 1,
                hint: utf8_hint(decision),
            });
        }
    };
    let Some(d) = decision.filter(TextDecision::transcoded) else {
        return Ok(text);
    };
    if text.is_ascii() {
        return Ok(text);
    }
    if d.encoding == WINDOWS_1252
        && let Basis::FirstNonAscii { line, byte } = d.basis
        && reads_as_utf8(text)
    {
        return Err(RowReason::Utf8AsWindows1252 {
            text: text.into(),
            byte,
            line,
        });
    }
    if text.contains('\u{fffd}') {
        return Err(RowReason::InvalidBytes {
            text: text.into(),
            encoding: d.encoding.name().into(),
        });
    }
    Ok(text)
}

fn utf8_hint(decision: Option<TextDecision>) -> Utf8Hint {
    match decision.map(|d| d.basis) {
        Some(Basis::Declared) => Utf8Hint::Declared,
        Some(Basis::Bom) => Utf8Hint::Bom,
        Some(Basis::FirstNonAscii { line, .. }) => Utf8Hint::FirstNonAscii { line },
        None => Utf8Hint::Undecided,
    }
}

/// Whether text decoded from Windows-1252 was in fact UTF-8: its bytes
/// hold a valid multi-byte UTF-8 sequence, which real Windows-1252 text
/// almost never does (it takes a capital like `Ã` followed by a symbol).
fn reads_as_utf8(text: &str) -> bool {
    let (bytes, _, _) = WINDOWS_1252.encode(text);
    bytes.iter().enumerate().any(|(i, b)| {
        let width = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return false,
        };
        bytes
            .get(i..i + width)
            .is_some_and(|seq| std::str::from_utf8(seq).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads through a reader that hands out `step` bytes at a time, to
    /// exercise sequences cut at buffer boundaries.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn decode(data: &[u8], enc: TextEncoding, step: usize) -> (String, Option<TextDecision>) {
        let mut r = DecodingReader::new(Trickle(data, step), enc);
        let h = r.decision();
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        (String::from_utf8_lossy(&out).into_owned(), h.get())
    }

    #[test]
    fn windows_1252_is_detected_by_its_first_non_ascii_byte() {
        let (bytes, _, _) = WINDOWS_1252.encode("id;nombre\n1;Verónica López\n2;Muñoz\n");
        for step in [1, 2, 3, 7, 4096] {
            let (text, d) = decode(&bytes, TextEncoding::Auto, step);
            assert_eq!(
                text, "id;nombre\n1;Verónica López\n2;Muñoz\n",
                "step {step}"
            );
            let d = d.expect("decided");
            assert_eq!(d.encoding, WINDOWS_1252);
            assert_eq!(
                d.basis,
                Basis::FirstNonAscii {
                    line: 2,
                    byte: 0xF3
                }
            );
        }
    }

    #[test]
    fn utf8_passes_through_and_boms_decide() {
        let text = "a,b\nJosé,€\n";
        for step in [1, 2, 5, 4096] {
            let (out, d) = decode(text.as_bytes(), TextEncoding::Auto, step);
            assert_eq!(out, text);
            assert_eq!(d.map(|d| d.encoding), Some(UTF_8));
        }
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom, TextEncoding::Auto, 2).0, text);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let (out, d) = decode(&utf16, TextEncoding::Auto, 3);
        assert_eq!(out, text);
        assert_eq!(
            d.map(|d| (d.encoding, d.basis)),
            Some((UTF_16LE, Basis::Bom))
        );
        // A declared Windows-1252 file that starts with a UTF-8 mark is UTF-8.
        let declared = TextEncoding::from_label("cp1252").expect("label");
        assert_eq!(decode(&bom, declared, 4096).0, text);
    }

    #[test]
    fn ascii_only_files_need_no_decision() {
        assert_eq!(
            decode(b"a,b\n1,2\n", TextEncoding::Auto, 1),
            ("a,b\n1,2\n".into(), None)
        );
        assert_eq!(decode(b"", TextEncoding::Auto, 1), (String::new(), None));
        assert_eq!(decode(b"a", TextEncoding::Auto, 1), ("a".into(), None));
    }

    #[test]
    fn labels() {
        for l in [
            "utf-8",
            "UTF8",
            "windows-1252",
            "cp1252",
            "latin1",
            "Latin-1",
            "ANSI",
        ] {
            assert!(TextEncoding::from_label(l).is_ok(), "{l}");
        }
        assert_eq!(
            TextEncoding::from_label("latin1"),
            Ok(TextEncoding::Declared(WINDOWS_1252))
        );
        assert_eq!(TextEncoding::from_label("auto"), Ok(TextEncoding::Auto));
        assert!(TextEncoding::from_label("klingon").is_err());
        assert!(TextEncoding::from_label("iso-2022-kr").is_err());
    }

    #[test]
    fn guards_report_what_the_decision_does_not_fit() {
        let utf8 = Some(TextDecision {
            encoding: UTF_8,
            basis: Basis::FirstNonAscii {
                line: 2,
                byte: 0xC3,
            },
        });
        let e = field_text(b"L\xF3pez", utf8)
            .expect_err("latin-1 byte")
            .to_string();
        assert!(
            e.contains("0xF3 at position 2") && e.contains("line 2"),
            "{e}"
        );
        let cp = Some(TextDecision {
            encoding: WINDOWS_1252,
            basis: Basis::FirstNonAscii {
                line: 3,
                byte: 0xF3,
            },
        });
        assert_eq!(field_text("Muñoz".as_bytes(), cp), Ok("Muñoz"));
        // "Verónica" saved as UTF-8 and read as Windows-1252.
        let e = field_text("VerÃ³nica".as_bytes(), cp)
            .expect_err("mojibake")
            .to_string();
        assert!(e.contains("--encoding utf-8"), "{e}");
        let declared = Some(TextDecision {
            encoding: WINDOWS_1252,
            basis: Basis::Declared,
        });
        assert_eq!(
            field_text("VerÃ³nica".as_bytes(), declared),
            Ok("VerÃ³nica")
        );
    }
}
