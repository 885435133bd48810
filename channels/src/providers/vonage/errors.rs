//! Vonage SMS `status` codes → [`ChannelError`] classes
//! (<https://developer.vonage.com/en/api-errors/sms>).

use crate::ChannelError;

/// Classifies one non-zero `status` of a message part.
pub fn classify(provider: &str, status: &str, error_text: String) -> ChannelError {
    let code = Some(status.to_string());
    match status {
        // Throttled: faster than the account's throughput.
        "1" => ChannelError::throttled(provider, code, None, error_text),
        // Too many existing binds: back off and retry.
        "10" => ChannelError::throttled(provider, code, None, error_text),
        // Internal error.
        "5" => ChannelError::transient(provider, code, error_text),
        // Partner quota violation (out of credit): every message would fail
        // the same way until someone tops up, so retry later rather than
        // burning each contact's fallback.
        "9" => ChannelError::transient(provider, code, error_text),
        // Number barred: the recipient is on the blocklist (replied STOP).
        "7" => ChannelError::opted_out(provider, code, error_text),
        // Missing/invalid parameters, bad credentials, invalid message,
        // account barred, HTTP not enabled, too long, invalid signature,
        // invalid sender, invalid network, invalid callback, non-whitelisted
        // destination, number de-activated: retrying cannot help.
        _ => ChannelError::permanent(provider, code, error_text),
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn table() {
        assert!(classify("vonage", "1", String::new()).is_throttled());
        assert!(classify("vonage", "5", String::new()).is_transient());
        assert!(classify("vonage", "7", String::new()).is_opted_out());
        for code in ["2", "3", "4", "6", "8", "12", "15", "29", "33"] {
            let e = classify("vonage", code, String::new());
            assert!(e.is_permanent() && !e.is_opted_out(), "{code}");
        }
    }
}
