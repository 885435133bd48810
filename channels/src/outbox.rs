//! The `outbox` transport: writes each message to a folder instead of
//! sending it, so a demo or a dry run leaves something to read and audit.
//!
//! Email becomes `<name>.eml`, the exact RFC 5322 message the SMTP channel
//! would send (built by the same function); SMS and voice become
//! `<name>.json` with the [`OutboundMessage`] and its SMS encoding.
//! `<name>` is the contact id made safe for a file name: ASCII letters,
//! digits, `-`, `_` and `+` stay, every other byte is written `%XX`
//! (so `dic/A-1/s1` → `dic%2FA-1%2Fs1`), one-to-one, so two contacts never
//! share a file.
//!
//! Writing is atomic (a temporary file hard-linked into place) and the
//! first write of a contact id wins: writing the same contact id again is
//! a no-op that returns the same receipt. That mirrors what the dispatcher
//! needs from a provider on an at-least-once queue: a redelivered job must
//! not produce a second message.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::encoding::{SmsEncoding, sms_segments};
use crate::providers::smtp::build_email;
use crate::{Channel, ChannelError, ChannelKind, ConfigError, OutboundMessage, Receipt};

/// Temporary file names are unique per process, not per channel: several
/// outbox channels (one per channel kind in `cobro.toml`) may share a
/// folder, and per-instance counters made two of them write the same
/// `.tmp-PID-N` at once (one message's file then held another's text, or
/// the link failed with ENOENT).
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes messages as files under one folder.
#[derive(Debug)]
pub struct OutboxChannel {
    dir: PathBuf,
    default_from: String,
}

#[derive(Serialize)]
struct JsonRecord<'a> {
    #[serde(flatten)]
    message: &'a OutboundMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms: Option<SmsEncoding>,
}

/// The file stem for a contact id (see the module docs).
pub fn file_stem(contact_id: &str) -> String {
    let mut out = String::with_capacity(contact_id.len() + 8);
    for b in contact_id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    out
}

impl OutboxChannel {
    /// Creates the folder if needed. `default_from` is the email sender
    /// used when a message has none.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        Self::with_from(dir, "cobro <outbox@cobro.invalid>")
    }

    pub fn with_from(dir: impl Into<PathBuf>, default_from: &str) -> Result<Self, ConfigError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| ConfigError::Io {
            channel: "outbox".into(),
            source,
        })?;
        Ok(OutboxChannel {
            dir,
            default_from: default_from.to_string(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a contact's message is (or would be) written.
    pub fn path_for(&self, contact_id: &str, channel: ChannelKind) -> PathBuf {
        let ext = if channel == ChannelKind::Email {
            "eml"
        } else {
            "json"
        };
        self.dir.join(format!("{}.{ext}", file_stem(contact_id)))
    }

    fn render(&self, msg: &OutboundMessage) -> Result<(Vec<u8>, Option<u32>), ChannelError> {
        match msg.channel {
            ChannelKind::Email => Ok((
                build_email("outbox", msg, &self.default_from)?.formatted(),
                None,
            )),
            ChannelKind::Sms | ChannelKind::Voice => {
                let sms = (msg.channel == ChannelKind::Sms).then(|| sms_segments(&msg.text));
                let mut bytes = serde_json::to_vec_pretty(&JsonRecord { message: msg, sms })
                    .map_err(|e| {
                        ChannelError::permanent("outbox", Some("encode".into()), e.to_string())
                    })?;
                bytes.push(b'\n');
                Ok((bytes, sms.map(|s| s.segments)))
            }
            ChannelKind::AgentCall | ChannelKind::AgentTask => Err(ChannelError::permanent(
                "outbox",
                Some("agent_channel".into()),
                "a collector's work goes to the work queue, not to a provider",
            )),
        }
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        let (bytes, segments) = self.render(msg)?;
        let path = self.path_for(&msg.contact_id, msg.channel);
        let provider_id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let receipt = Receipt {
            provider: "outbox".into(),
            provider_id,
            segments,
        };
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |e: std::io::Error| write_error(&self.dir, e);
        if let Err(e) = tokio::fs::write(&tmp, &bytes).await {
            // A partial file on a full disk would only take more room.
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io(e));
        }
        let linked = tokio::fs::hard_link(&tmp, &path).await;
        let _ = tokio::fs::remove_file(&tmp).await;
        match linked {
            Ok(()) => Ok(receipt),
            // Already written by an earlier delivery of the same job.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                tracing::debug!(path = %path.display(), "outbox: already written, skipping");
                Ok(receipt)
            }
            Err(e) => Err(io(e)),
        }
    }
}

/// A failed write, naming the folder. A full disk, a read-only folder or
/// one cobro may not write to stops every message alike until the
/// operator acts: `Unavailable`, so no contact spends its attempts on it.
fn write_error(dir: &Path, e: std::io::Error) -> ChannelError {
    use std::io::ErrorKind;
    let message = format!("{}: {e}", dir.display());
    /// EDQUOT: over the user's disk quota, a full disk for this user.
    const EDQUOT: i32 = 122;
    let machine_fault = matches!(
        e.kind(),
        ErrorKind::StorageFull | ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
    ) || e.raw_os_error() == Some(EDQUOT);
    if machine_fault {
        ChannelError::unavailable("outbox", Some("io".into()), message)
    } else {
        ChannelError::transient("outbox", Some("io".into()), message)
    }
}

impl Channel for OutboxChannel {
    fn name(&self) -> &str {
        "outbox"
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::{file_stem, write_error};
    use std::io::{Error, ErrorKind};
    use std::path::Path;

    #[test]
    fn a_machine_fault_is_unavailable_and_names_the_folder() {
        let dir = Path::new("/var/cobro/outbox");
        for kind in [
            ErrorKind::StorageFull,
            ErrorKind::ReadOnlyFilesystem,
            ErrorKind::PermissionDenied,
        ] {
            let err = write_error(dir, Error::from(kind));
            assert!(err.is_unavailable(), "{kind:?}: {err:?}");
            assert!(err.is_transient() && !err.maybe_sent(), "{err:?}");
            assert!(err.to_string().contains("/var/cobro/outbox"), "{err}");
        }
        let other = write_error(dir, Error::from(ErrorKind::Interrupted));
        assert!(!other.is_unavailable() && other.is_transient(), "{other:?}");
    }

    #[test]
    fn stems_are_safe_and_injective() {
        assert_eq!(file_stem("dic/A-1/s1+sms"), "dic%2FA-1%2Fs1+sms");
        assert_eq!(file_stem("../x"), "%2E%2E%2Fx");
        assert_ne!(file_stem("a%2Fb"), file_stem("a/b"));
        assert_eq!(file_stem(""), "%00");
    }
}
