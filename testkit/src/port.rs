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

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;
    use std::net::TcpStream;

    /// The probe listener is closed before the port is handed out, so the
    /// service the caller starts can bind it. (Binding it again here would
    /// race with the kernel handing the same port to another socket.)
    #[test]
    fn a_free_port_has_no_listener_left_behind() {
        let port = super::free_port();
        assert_ne!(port, 0);
        let err = TcpStream::connect(("127.0.0.1", port)).expect_err("nobody listens on it");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    }
}
