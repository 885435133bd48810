//! Plain HTTP for the end-to-end tests: requests, forms, and `cobro serve`.

use std::path::Path;
use std::process::Command;

use cobro_testkit::ChildProcess;

use crate::*;

/// A minimal HTTP/1.1 request on a fresh connection (`Connection:
/// close`); returns the status code and the body.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// `application/x-www-form-urlencoded` for a list of pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Starts `cobro serve` in `dir` (with `dir/cobro.toml`), waits for its
/// "listening" line on stdout, and returns the child; stderr goes to
/// `dir/LOG`.
pub fn spawn_serve(dir: &Path, args: &[&str], env: &[(&str, &str)], log: &str) -> ChildProcess {
    use std::io::BufRead;
    let mut cmd = Command::new(cobro_bin());
    cmd.arg("serve")
        .args(args)
        .arg("--config")
        .arg(dir.join("cobro.toml"))
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .env_remove("COBRO_API_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.join(log)).expect("log"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = ChildProcess::new(cmd.spawn().expect("start cobro serve"), "cobro serve");
    let stdout = child.take_stdout().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("listening line");
    assert!(
        !line.is_empty(),
        "cobro serve printed nothing: {}",
        std::fs::read_to_string(dir.join(log)).unwrap_or_default()
    );
    child
}
