//! A TCP link between a worker and Redis that loses the answer to a chosen
//! command, the way a connection that drops mid-call does: the command
//! reaches the server and runs, its answer never reaches the client. A
//! Redis restart produces this at random moments; the link produces it on
//! demand, for the command whose request bytes contain a needle (the
//! reservation script's SHA-1).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

pub struct AnswerDroppingLink {
    addr: SocketAddr,
    dropped: Arc<AtomicUsize>,
}

impl AnswerDroppingLink {
    /// Listens on a free local port and forwards each connection to
    /// `upstream`; the first `times` requests containing `needle` reach the
    /// server, then their connection is cut before any answer comes back.
    pub fn start(upstream: SocketAddr, needle: &[u8], times: usize) -> AnswerDroppingLink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the link");
        let addr = listener.local_addr().expect("link address");
        let needle: Arc<[u8]> = needle.into();
        let budget = Arc::new(AtomicUsize::new(times));
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = dropped.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let (needle, budget, counter) = (needle.clone(), budget.clone(), counter.clone());
                std::thread::spawn(move || link(client, server, &needle, &budget, &counter));
            }
        });
        AnswerDroppingLink { addr, dropped }
    }

    /// `redis://` URL of the link.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// How many answers were dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

fn link(
    mut client: TcpStream,
    mut server: TcpStream,
    needle: &[u8],
    budget: &AtomicUsize,
    dropped: &AtomicUsize,
) {
    let cut = Arc::new(AtomicBool::new(false));
    let (Ok(mut server_read), Ok(mut client_write)) = (server.try_clone(), client.try_clone())
    else {
        return;
    };
    let answers_cut = cut.clone();
    // Server → client: nothing passes once the link is cut.
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match server_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if answers_cut.load(Ordering::SeqCst)
                        || client_write.write_all(&buf[..n]).is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = client_write.shutdown(Shutdown::Both);
        let _ = server_read.shutdown(Shutdown::Both);
    });
    // Client → server: a request with the needle (while the budget lasts)
    // cuts the answers first, then goes to the server, which runs it.
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let hit = buf[..n].windows(needle.len()).any(|w| w == needle)
            && budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                .is_ok();
        if hit {
            cut.store(true, Ordering::SeqCst);
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
        if hit {
            // Long enough for the server to run the script.
            std::thread::sleep(Duration::from_millis(300));
            dropped.fetch_add(1, Ordering::SeqCst);
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}
