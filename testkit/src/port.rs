//! Free TCP ports on the loopback interface.

use std::net::TcpListener;

/// A port nobody listens on right now. Another process could take it
/// before the caller binds; the services started here notice (they exit on
/// a bind error) and callers retry or fail loudly.
pub fn try_free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// [`try_free_port`] for test code, where no port at all is fatal.
///
/// # Panics
/// When the loopback interface refuses a bind.
pub fn free_port() -> u16 {
    try_free_port().expect("bind a free port on 127.0.0.1")
}
