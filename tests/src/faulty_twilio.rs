//! A Twilio REST double that faults a seeded share of the requests, and
//! (with [`FaultyTwilio::with_reports`]) calls each accepted message's or
//! call's `StatusCallback` back, signed, and answers Twilio's message and
//! call lists (`twilio_reports.rs`).

use crate::*;

/// One request seen by [`FaultyTwilio`].
#[derive(Debug, Clone)]
pub struct TwilioHit {
    /// `Messages.json` or `Calls.json`.
    pub resource: String,
    pub form: std::collections::BTreeMap<String, String>,
    pub authorization: String,
    pub fault: Fault,
    /// The resource sid answered (also for `Slow`).
    pub sid: String,
    /// When the request arrived (before any latency or fault).
    pub at: chrono::DateTime<chrono::Utc>,
    /// The account sid of the request's path.
    pub account_sid: String,
}

pub(crate) type Shared<T> = std::sync::Arc<std::sync::Mutex<T>>;

/// A Twilio REST double on a plain socket (so it can also drop
/// connections), answering `fault_rate` of the requests with a seeded
/// fault. One request per connection (`Connection: close`).
pub struct FaultyTwilio {
    pub port: u16,
    pub hits: Shared<Vec<TwilioHit>>,
    /// Status callbacks made and list requests answered.
    pub reports: Shared<TwilioReports>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How the double behaves besides its faults.
#[derive(Clone)]
struct Behaviour {
    fault_rate: f64,
    slow_for: std::time::Duration,
    latency: std::time::Duration,
    /// Signs status callbacks (`X-Twilio-Signature` for a URL and form);
    /// `None`: no callbacks.
    signer: Option<Signer>,
}

impl FaultyTwilio {
    /// `slow_for` is how long a slow answer takes (set it past the
    /// client's timeout).
    pub fn start(seed: u64, fault_rate: f64, slow_for: std::time::Duration) -> FaultyTwilio {
        FaultyTwilio::start_with_latency(seed, fault_rate, slow_for, std::time::Duration::ZERO)
    }

    /// Like [`FaultyTwilio::start`], every normal answer taking `latency`
    /// (messages stay in flight that long).
    pub fn start_with_latency(
        seed: u64,
        fault_rate: f64,
        slow_for: std::time::Duration,
        latency: std::time::Duration,
    ) -> FaultyTwilio {
        FaultyTwilio::spawn(
            seed,
            Behaviour {
                fault_rate,
                slow_for,
                latency,
                signer: None,
            },
        )
    }

    /// Like [`FaultyTwilio::start`], and Twilio's reports: after answering
    /// a message or call it accepted (also a slow answer nobody read), the
    /// double POSTs its `StatusCallback` as Twilio does (form fields, the
    /// URL as given, `X-Twilio-Signature` from `signer`), and it answers
    /// `GET …/Messages.json?To=&DateSent=` and `…/Calls.json?To=&StartTime=`.
    pub fn with_reports(
        seed: u64,
        fault_rate: f64,
        slow_for: std::time::Duration,
        signer: Signer,
    ) -> FaultyTwilio {
        FaultyTwilio::spawn(
            seed,
            Behaviour {
                fault_rate,
                slow_for,
                latency: std::time::Duration::ZERO,
                signer: Some(signer),
            },
        )
    }

    fn spawn(seed: u64, behaviour: Behaviour) -> FaultyTwilio {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let hits: Shared<Vec<TwilioHit>> = Arc::new(Mutex::new(Vec::new()));
        let reports: Shared<TwilioReports> = Arc::new(Mutex::new(TwilioReports::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(SeededRng::new(seed)));
        let (h, r, s) = (hits.clone(), reports.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut counter = 0u64;
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        counter += 1;
                        let (h, r, rng, b) = (h.clone(), r.clone(), rng.clone(), behaviour.clone());
                        std::thread::spawn(move || {
                            let _ = serve_twilio(conn, counter, &h, &r, &rng, &b);
                        });
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        FaultyTwilio {
            port,
            hits,
            reports,
            stop,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn hits(&self) -> Vec<TwilioHit> {
        self.hits.lock().expect("hits").clone()
    }

    /// The callbacks made and the list requests answered so far.
    pub fn reports(&self) -> TwilioReports {
        self.reports.lock().expect("reports").clone()
    }
}

impl Drop for FaultyTwilio {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

pub(crate) fn url_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

fn serve_twilio(
    conn: std::net::TcpStream,
    n: u64,
    hits: &Shared<Vec<TwilioHit>>,
    reports: &Shared<TwilioReports>,
    rng: &Shared<SeededRng>,
    behaviour: &Behaviour,
) -> std::io::Result<()> {
    use std::io::{BufRead, Read, Write};
    let arrived = chrono::Utc::now();
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = std::io::BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let method = line.split_whitespace().next().unwrap_or("").to_string();
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut length = 0usize;
    let mut authorization = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        let value = value.trim().to_string();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = value;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut conn = conn;
    let respond = |conn: &mut std::net::TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
        let _ = conn.flush();
    };
    let resource = path.rsplit('/').next().unwrap_or("").to_string();
    let account_sid = path
        .split('/')
        .skip_while(|p| *p != "Accounts")
        .nth(1)
        .unwrap_or("")
        .to_string();
    if method == "GET" {
        // A list: never faulted (the lookup is what reconciles the faults).
        let (status, answer) = list_answer(
            &hits.lock().expect("hits"),
            reports,
            &resource,
            query,
            &authorization,
        );
        respond(&mut conn, status, "", &answer);
        let _ = conn.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    let form: std::collections::BTreeMap<String, String> = String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect();
    let fault = Fault::draw(&mut rng.lock().expect("rng"), behaviour.fault_rate);
    let sid = format!(
        "{}{n:032x}",
        if resource.starts_with("Calls") {
            "CA"
        } else {
            "SM"
        }
    );
    let hit = TwilioHit {
        resource,
        form,
        authorization,
        fault,
        sid: sid.clone(),
        at: arrived,
        account_sid,
    };
    hits.lock().expect("hits").push(hit.clone());
    let ok = format!("{{\"sid\":\"{sid}\",\"status\":\"queued\",\"num_segments\":\"1\"}}");
    match fault {
        Fault::None => {
            std::thread::sleep(behaviour.latency);
            respond(&mut conn, "201 Created", "", &ok);
        }
        Fault::ServerError => respond(
            &mut conn,
            "500 Internal Server Error",
            "",
            "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":500}",
        ),
        Fault::Throttled => respond(
            &mut conn,
            "429 Too Many Requests",
            "Retry-After: 1\r\n",
            "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}",
        ),
        Fault::Slow => {
            std::thread::sleep(behaviour.slow_for);
            respond(&mut conn, "201 Created", "", &ok);
        }
        Fault::Dropped => {}
    }
    let _ = conn.shutdown(std::net::Shutdown::Both);
    if let Some(signer) = &behaviour.signer
        && fault.accepted()
    {
        // Twilio reports after it answered; a moment later, as it does.
        std::thread::sleep(std::time::Duration::from_millis(300));
        status_callback(&hit, signer, reports);
    }
    Ok(())
}
