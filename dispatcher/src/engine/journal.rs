//! The outcome journal: a send's outcome that the store cannot take right
//! now (Redis restarting, SQLite locked past its timeout) is appended to a
//! local file and fsync'd before the worker moves on, then written to the
//! store as soon as it answers. Without it the contact stayed `sending`
//! until crash recovery marked it `unknown`: a message that had gone out,
//! left for an operator to review.
//!
//! One file per worker process (`outcomes-<pid>.jsonl` under a folder per
//! store), held under an exclusive lock for the process' life. A worker
//! replays its own file, and at start (and on each replay) takes over any
//! file whose lock it can get: its owner died. Replaying is idempotent —
//! each entry is the same store call the worker would have made, which
//! only applies from the state the contact was left in — so an entry
//! applied twice (a crash between the store's answer and the truncation)
//! changes nothing.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use cobro_campaigns::PlannedContact;
use serde::{Deserialize, Serialize};

use chrono::Utc;

use crate::store::{ReservationRelease, Store, StoreError, Transition, TransitionItem};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("outcome journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("outcome journal {path} line {line}: {source}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl JournalError {
    /// The store is away: try again later, the entries stay.
    pub fn is_transient(&self) -> bool {
        matches!(self, JournalError::Store(e) if e.is_transient())
    }
}

/// One held write: the fallbacks planned with it and the transitions,
/// exactly what `plan_and_transitions` takes; or reservations whose answer
/// was lost, for `release`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Entry {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    plan: Vec<PlannedContact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    items: Vec<TransitionItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    release: Vec<ReservationRelease>,
}

/// What a replay did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Entries written to the store.
    pub entries: usize,
    /// Their transitions that applied (the rest had moved on already).
    pub applied: usize,
    /// Files of dead workers taken over.
    pub adopted_files: usize,
}

/// This process' journal for one store.
#[derive(Debug)]
pub struct OutcomeJournal {
    dir: PathBuf,
    path: PathBuf,
    file: Mutex<File>,
    /// Something was appended since the last replay emptied the file.
    dirty: AtomicBool,
}

impl OutcomeJournal {
    /// Opens (creating) this process' journal in `dir`, locked for the
    /// process' life.
    pub fn open(dir: &Path) -> Result<Self, JournalError> {
        let io = |source| JournalError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(format!("outcomes-{}.jsonl", std::process::id()));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(|source| JournalError::Io {
                path: path.clone(),
                source,
            })?;
        file.lock().map_err(|source| JournalError::Io {
            path: path.clone(),
            source,
        })?;
        let dirty = file.metadata().map(|m| m.len() > 0).unwrap_or(true);
        Ok(OutcomeJournal {
            dir: dir.to_path_buf(),
            path,
            file: Mutex::new(file),
            dirty: AtomicBool::new(dirty),
        })
    }

    /// The folder for a store: one per store URL (its password left out of
    /// the name), so a journal is never replayed into another store.
    pub fn dir_for(base: &Path, store_url: &str) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(without_password(store_url).as_bytes());
        let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        base.join(name)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this process' own file may hold entries.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Appends one held write and fsyncs it: once this returns, the outcome
    /// survives this process.
    pub fn append(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> Result<(), JournalError> {
        self.append_entry(&Entry {
            plan: plan.to_vec(),
            items: items.to_vec(),
            release: Vec::new(),
        })
    }

    /// Appends reservations the worker never learned the fate of (it sent
    /// nothing), fsync'd: the replay releases those the store took, so the
    /// contacts go back to the plan instead of waiting out the `sending`
    /// lease into `unknown`.
    pub fn append_releases(&self, releases: &[ReservationRelease]) -> Result<(), JournalError> {
        self.append_entry(&Entry {
            release: releases.to_vec(),
            ..Entry::default()
        })
    }

    fn append_entry(&self, entry: &Entry) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(entry).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        (&*file).write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    /// Writes every entry of this process' file, and of dead workers'
    /// files in the folder, to the store; empties what it wrote. Stops at
    /// the first transient store error (the entries stay for next time).
    pub async fn replay<S: Store>(&self, store: &S) -> Result<Replayed, JournalError> {
        let mut done = Replayed::default();
        // Dead workers' files first: older outcomes.
        for path in self.orphans()? {
            let Ok(file) = OpenOptions::new().read(true).append(true).open(&path) else {
                continue;
            };
            // A live worker holds its lock: not ours.
            if file.try_lock().is_err() {
                continue;
            }
            let (entries, applied) = apply_file(&file, &path, store).await?;
            done.entries += entries;
            done.applied += applied;
            done.adopted_files += 1;
            let _ = std::fs::remove_file(&path);
        }
        if self.is_dirty() {
            let (entries, read_len) = {
                let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
                read_entries(&file, &self.path)?
            };
            let applied = apply(&entries, store).await?;
            self.forget_first(read_len)?;
            done.entries += entries.len();
            done.applied += applied;
        }
        Ok(done)
    }

    fn orphans(&self) -> Result<Vec<PathBuf>, JournalError> {
        let read = std::fs::read_dir(&self.dir).map_err(|source| JournalError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut out: Vec<PathBuf> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p != &self.path
                    && p.extension().is_some_and(|x| x == "jsonl")
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("outcomes-"))
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

impl OutcomeJournal {
    /// Drops the first `len` bytes of this process' file (what a replay
    /// wrote to the store), keeping what was appended meanwhile.
    fn forget_first(&self, len: u64) -> Result<(), JournalError> {
        use std::io::{Read, Seek, SeekFrom};
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let total = file.metadata().map_err(io)?.len();
        let mut rest = Vec::new();
        if total > len {
            (&*file).seek(SeekFrom::Start(len)).map_err(io)?;
            (&*file).read_to_end(&mut rest).map_err(io)?;
        }
        file.set_len(0).map_err(io)?;
        (&*file).write_all(&rest).map_err(io)?;
        file.sync_data().map_err(io)?;
        self.dirty.store(!rest.is_empty(), Ordering::Release);
        Ok(())
    }
}

/// Reads every entry of `file` and writes it to the store, in order.
async fn apply_file<S: Store>(
    file: &File,
    path: &Path,
    store: &S,
) -> Result<(usize, usize), JournalError> {
    let (entries, _) = read_entries(file, path)?;
    Ok((entries.len(), apply(&entries, store).await?))
}

/// Writes `entries` to the store in order; how many transitions applied.
/// An outcome whose contact another worker's recovery marked `unknown`
/// meanwhile (its `sending` lease ran out during the outage) is not lost:
/// it reconciles the contact (`engine::reconcile::journal_outcome`), since
/// the journal knows what the provider answered.
async fn apply<S: Store>(entries: &[Entry], store: &S) -> Result<usize, JournalError> {
    let mut applied = 0;
    for entry in entries {
        if !entry.release.is_empty() {
            let released = store.release(&entry.release).await?;
            applied += released.iter().filter(|r| **r).count();
        }
        if entry.items.is_empty() && entry.plan.is_empty() {
            continue;
        }
        let moved = store
            .plan_and_transitions(&entry.plan, &entry.items)
            .await?;
        for (item, moved) in entry.items.iter().zip(&moved) {
            if *moved {
                applied += 1;
                continue;
            }
            let Transition::Finish(to) = &item.to else {
                continue;
            };
            if super::reconcile::journal_outcome(store, &item.id, *to, &item.ledger, Utc::now())
                .await?
            {
                applied += 1;
            }
        }
    }
    Ok(applied)
}

/// The entries of `file` and the bytes they span. A torn last line (no
/// newline: the process died inside `append`, before its fsync returned,
/// so the worker never moved on from that outcome) is left out.
fn read_entries(file: &File, path: &Path) -> Result<(Vec<Entry>, u64), JournalError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    let mut reader = file;
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    reader.read_to_end(&mut bytes).map_err(io)?;
    let mut out = Vec::new();
    let mut consumed = 0u64;
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        if !line.ends_with(b"\n") {
            break;
        }
        consumed += line.len() as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry = serde_json::from_slice(line).map_err(|source| JournalError::Corrupt {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        out.push(entry);
    }
    Ok((out, consumed))
}

/// `scheme://user:secret@host/…` → `scheme://user@host/…`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let slash = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{user}@{host}{slash}{path}")
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_folder_name_never_holds_a_password() {
        assert_eq!(
            without_password("redis://:s3cret@10.0.0.5:6379/2"),
            "redis://@10.0.0.5:6379/2"
        );
        assert_eq!(
            without_password("redis://cobro:s3cret@host"),
            "redis://cobro@host"
        );
        assert_eq!(
            without_password("sqlite:///var/cobro.db"),
            "sqlite:///var/cobro.db"
        );
    }
}
