//! Reading the text files a user hands us (strategies, rules, campaign and
//! settings files, templates). `std::fs::read_to_string` answers a file
//! saved as Latin-1 with "stream did not contain valid UTF-8" and nothing
//! else; a compliance officer needs the line to fix.

use std::io;
use std::path::Path;

/// Reads `path` as UTF-8. Invalid bytes give an `InvalidData` error that
/// names the line and column of the first one (counted in characters of
/// the valid text before it) and the byte, so it can be found in an editor.
pub fn read_utf8(path: &Path) -> io::Result<String> {
    decode_utf8(std::fs::read(path)?)
}

/// The text of a file's `bytes` (read or uploaded), or the `InvalidData`
/// error of [`read_utf8`] naming the first byte that is not UTF-8.
pub fn decode_utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        io::Error::new(io::ErrorKind::InvalidData, describe(bytes, at))
    })
}

fn describe(bytes: &[u8], at: usize) -> String {
    // Everything before `at` is valid UTF-8.
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!(
        "line {line}, column {column}: byte 0x{:02X} is not UTF-8 text; save the file as UTF-8",
        bytes[at]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_line_and_column_of_the_first_bad_byte() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("latin1.toml");
        std::fs::write(&path, b"id = \"x\"\nname = \"Campa\xF1a\"\n").expect("write");
        let err = read_utf8(&path).expect_err("latin-1 is refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "line 2, column 14: byte 0xF1 is not UTF-8 text; save the file as UTF-8"
        );
    }

    #[test]
    fn counts_columns_in_characters_and_reads_good_files_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("mixed.toml");
        std::fs::write(&path, "a = \"Pérez\"\n".as_bytes()).expect("write");
        assert_eq!(read_utf8(&path).expect("utf-8"), "a = \"Pérez\"\n");
        let mut bytes = "ñ = ".as_bytes().to_vec();
        bytes.push(0xFF);
        std::fs::write(&path, bytes).expect("write");
        let err = read_utf8(&path).expect_err("0xFF is never UTF-8");
        assert!(
            err.to_string().starts_with("line 1, column 5: byte 0xFF"),
            "{err}"
        );
    }
}
