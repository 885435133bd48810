//! Where in a settings file a problem is: the line and key an error
//! names, so an operator can fix the file without guessing.

/// 1-based line number of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The `key = …` on the line of `offset`, or the nearest `[table]` above.
pub(crate) fn key_at(src: &str, offset: Option<usize>) -> Option<String> {
    let offset = offset?.min(src.len());
    let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[start..].lines().next().unwrap_or("").trim();
    if let Some((key, _)) = line.split_once('=') {
        return Some(key.trim().to_string());
    }
    line.strip_prefix('[')
        .map(|l| l.trim_end_matches(']').to_string())
}

/// 1-based line of the first line starting with `needle`, or 0.
pub(crate) fn find_line(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map_or(0, |i| i + 1)
}

/// 1-based line of `key = …` inside the `[table]` section, or the
/// section's own line when the key is not written there (a missing key).
pub(crate) fn key_line(src: &str, table: &str, key: &str) -> usize {
    let header = format!("[{table}]");
    let Some(start) = src
        .lines()
        .position(|l| l.trim_start().starts_with(&header))
    else {
        return find_line(src, key);
    };
    src.lines()
        .enumerate()
        .skip(start + 1)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
        })
        .map_or(start + 1, |(i, _)| i + 1)
}
