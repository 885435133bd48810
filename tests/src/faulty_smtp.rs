//! An SMTP proxy that faults a seeded share of the transactions, and reading what the sink kept.

use cobro_testkit::SmtpSink;

use crate::*;

/// Contact ids of the messages `sink` received (from `Message-ID`, which
/// cobro derives from the contact id), with how many times each came.
pub fn contact_counts(sink: &SmtpSink) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for raw in sink.messages() {
        if let Some(id) = message_contact_id(&raw) {
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

/// The contact id in a message's `Message-ID` (`<local@domain>`, with
/// `=XX` escapes), if any.
pub fn message_contact_id(raw: &str) -> Option<String> {
    let header_end = raw.find("\r\n\r\n").or_else(|| raw.find("\n\n"))?;
    let line = raw[..header_end]
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))?;
    let value = line.split_once(':')?.1.trim();
    let local = value.trim_start_matches('<').rsplit_once('@')?.0;
    let bytes = local.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = local.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A line-level SMTP proxy in front of [`SmtpSink`] that faults
/// `fault_rate` of the transactions at `MAIL FROM` (seeded): 451
/// (transient server error), 421 and close (throttled), no answer past
/// the client's timeout then close (slow; nothing reaches the sink), or a
/// dropped connection. A faulted transaction never reaches the sink.
pub struct FaultySmtpProxy {
    pub port: u16,
    pub faults: Shared<Vec<Fault>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FaultySmtpProxy {
    pub fn start(
        upstream: u16,
        seed: u64,
        fault_rate: f64,
        slow_for: std::time::Duration,
    ) -> FaultySmtpProxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let faults: Shared<Vec<Fault>> = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(SeededRng::new(seed)));
        let (f, s) = (faults.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (f, rng) = (f.clone(), rng.clone());
                        std::thread::spawn(move || {
                            let _ = proxy_smtp(client, upstream, &f, &rng, fault_rate, slow_for);
                        });
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        FaultySmtpProxy { port, faults, stop }
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.faults.lock().expect("faults").clone()
    }
}

impl Drop for FaultySmtpProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn proxy_smtp(
    client: std::net::TcpStream,
    upstream: u16,
    faults: &Shared<Vec<Fault>>,
    rng: &Shared<SeededRng>,
    fault_rate: f64,
    slow_for: std::time::Duration,
) -> std::io::Result<()> {
    use std::io::{BufRead, Write};
    client.set_nonblocking(false)?;
    let server = std::net::TcpStream::connect(("127.0.0.1", upstream))?;
    let (mut server_read, mut client_write) = (server.try_clone()?, client.try_clone()?);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
    let mut to_client = client.try_clone()?;
    let mut to_server = server.try_clone()?;
    let mut reader = std::io::BufReader::new(client.try_clone()?);
    let mut in_data = false;
    let close = |a: &std::net::TcpStream, b: &std::net::TcpStream| {
        let _ = a.shutdown(std::net::Shutdown::Both);
        let _ = b.shutdown(std::net::Shutdown::Both);
    };
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            close(&client, &server);
            return Ok(());
        }
        if in_data {
            if line == b".\r\n" || line == b".\n" {
                in_data = false;
            }
        } else {
            let upper = String::from_utf8_lossy(&line).to_ascii_uppercase();
            if upper.starts_with("DATA") {
                in_data = true;
            } else if upper.starts_with("MAIL FROM") {
                let fault = Fault::draw(&mut rng.lock().expect("rng"), fault_rate);
                faults.lock().expect("faults").push(fault);
                match fault {
                    Fault::None => {}
                    Fault::ServerError => {
                        to_client.write_all(b"451 4.3.0 Local error in processing\r\n")?;
                        continue;
                    }
                    Fault::Throttled => {
                        to_client.write_all(b"421 4.7.0 Too many messages, try later\r\n")?;
                        close(&client, &server);
                        return Ok(());
                    }
                    Fault::Slow => {
                        std::thread::sleep(slow_for);
                        close(&client, &server);
                        return Ok(());
                    }
                    Fault::Dropped => {
                        close(&client, &server);
                        return Ok(());
                    }
                }
            }
        }
        to_server.write_all(&line)?;
    }
}
