//! A batch's first reservations in one store call.

use super::batch::copy_error;
use crate::store::{Reservation, ReserveOutcome, Store, StoreError};

/// Collects the first reservation of every contact of a batch and makes
/// them all in one store call (`reserve_many`, each still checked and
/// applied on its own, in order) once no contact of the batch can ask for
/// one any more: each contact holds a ticket, used by its reservation or
/// dropped when it ends another way. A reservation retried after
/// `HistoryChanged` goes to the store alone.
pub(super) struct ReserveGate {
    inner: std::sync::Mutex<GateInner>,
    ready: tokio::sync::Notify,
}

type ReserveReply = tokio::sync::oneshot::Sender<Result<ReserveOutcome, StoreError>>;

struct GateInner {
    outstanding: usize,
    waiting: Vec<(Reservation, ReserveReply)>,
}

pub(super) struct GateTicket<'a> {
    gate: &'a ReserveGate,
    used: bool,
}

impl ReserveGate {
    pub(super) fn new(contacts: usize) -> ReserveGate {
        ReserveGate {
            inner: std::sync::Mutex::new(GateInner {
                outstanding: contacts,
                waiting: Vec::new(),
            }),
            ready: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One ticket per contact (exactly as many as `new` was told).
    pub(super) fn ticket(&self) -> GateTicket<'_> {
        GateTicket {
            gate: self,
            used: false,
        }
    }

    fn done_one(&self, inner: &mut GateInner) {
        inner.outstanding = inner.outstanding.saturating_sub(1);
        if inner.outstanding == 0 {
            self.ready.notify_one();
        }
    }

    /// Waits until every ticket is used or dropped, then makes the
    /// collected reservations and answers each.
    pub(super) async fn drive<S: Store>(&self, store: &S) {
        loop {
            if self.lock().outstanding == 0 {
                break;
            }
            self.ready.notified().await;
        }
        let waiting = std::mem::take(&mut self.lock().waiting);
        if waiting.is_empty() {
            return;
        }
        let (reservations, replies): (Vec<Reservation>, Vec<ReserveReply>) =
            waiting.into_iter().unzip();
        match store.reserve_many(&reservations).await {
            Ok(outcomes) if outcomes.len() == replies.len() => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Corrupt(
                        "reserve_many answered a different count".into(),
                    )));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(copy_error(&e)));
                }
            }
        }
    }
}

impl GateTicket<'_> {
    pub(super) async fn reserve(
        mut self,
        reservation: Reservation,
    ) -> Result<ReserveOutcome, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut inner = self.gate.lock();
            inner.waiting.push((reservation, tx));
            self.used = true;
            self.gate.done_one(&mut inner);
        }
        rx.await.unwrap_or_else(|_| {
            Err(StoreError::Connection(
                "the batch's reservation call was dropped".into(),
            ))
        })
    }
}

impl Drop for GateTicket<'_> {
    fn drop(&mut self) {
        if !self.used {
            let mut inner = self.gate.lock();
            self.gate.done_one(&mut inner);
        }
    }
}
