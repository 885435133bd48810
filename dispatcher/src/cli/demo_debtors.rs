//! How the demo's simulated debtors answer the messages that reach them,
//! so the champion/challenger arms of `cobro demo` differ the way real
//! ones do: by channel and by the debtor's local hour.
//!
//! A message sent at local hour `h` on channel `c` makes its debtor pay
//! the balance with probability `rate(c) × timing(h)` (SMS 6 %, voice 4 %,
//! email 2.5 %; ×1.8 from 18:00 to 21:59, ×0.8 before 08:00 or from
//! 22:00, ×1 otherwise), 2 to 48 hours later; with half that probability
//! again it promises to pay the balance in five days instead. The draw is
//! deterministic (SHA-256 of the contact id, `cobro_campaigns::arms`), so
//! two runs of the demo give the same report. Made-up numbers for a
//! demonstration, not a forecast.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use cobro_campaigns::arms::unit_hash;
use cobro_campaigns::book::BookAction;
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use rust_decimal::Decimal;

use crate::engine::simulation::{DebtorResponses, ScheduledEvent, SimulatedEvent};

/// What the model needs of an account.
struct Debtor {
    zone: Tz,
    amount_due: Decimal,
    decimals: u32,
}

pub struct DemoDebtors {
    debtors: HashMap<String, Debtor>,
}

/// The chance that one message on `channel` makes its debtor pay.
pub fn channel_rate(channel: ChannelKind) -> f64 {
    match channel {
        ChannelKind::Sms => 0.06,
        ChannelKind::Voice => 0.04,
        ChannelKind::Email => 0.025,
        // A collector's call is answered by the simulated collectors.
        _ => 0.0,
    }
}

/// How the debtor's local hour scales it: evenings are read.
pub fn timing_factor(local_hour: u32) -> f64 {
    match local_hour {
        18..=21 => 1.8,
        8..=17 => 1.0,
        _ => 0.8,
    }
}

impl DemoDebtors {
    pub fn new(accounts: &[Account]) -> Self {
        let debtors = accounts
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    Debtor {
                        zone: crate::launch::zones_of(a)
                            .first()
                            .copied()
                            .unwrap_or(chrono_tz::America::Mexico_City),
                        amount_due: a.amount_due,
                        decimals: cobro_campaigns::iso::currency_decimals(&a.currency).unwrap_or(2),
                    },
                )
            })
            .collect();
        DemoDebtors { debtors }
    }
}

impl DebtorResponses for DemoDebtors {
    fn on_sent(&self, contact: &PlannedContact, at: DateTime<Utc>) -> Vec<ScheduledEvent> {
        let Some(d) = self.debtors.get(&contact.account) else {
            return Vec::new();
        };
        let hour = at.with_timezone(&d.zone).hour();
        let p = channel_rate(contact.channel) * timing_factor(hour);
        let u = unit_hash("demo-reply", &contact.id);
        let lag = Duration::minutes(120 + (unit_hash("demo-lag", &contact.id) * 2_760.0) as i64);
        let when = at + lag;
        let event = if u < p {
            // What it owes when it pays: a third paid meanwhile, or an
            // earlier reply's payment, is not paid again.
            SimulatedEvent::PayBalance {
                reference: format!("demo-reply-{}", contact.id),
                at_most: None,
            }
        } else if u < p * 1.5 {
            BookAction::Promise {
                date: (when + Duration::days(5))
                    .with_timezone(&d.zone)
                    .date_naive(),
                amount: d.amount_due.round_dp(d.decimals),
            }
            .into()
        } else {
            return Vec::new();
        };
        vec![ScheduledEvent {
            at: when,
            account: contact.account.clone(),
            event,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evening_sms_pays_more_often_than_morning_email() {
        assert!(
            channel_rate(ChannelKind::Sms) * timing_factor(19)
                > channel_rate(ChannelKind::Email) * timing_factor(9) * 4.0
        );
        assert_eq!(timing_factor(22), 0.8);
        assert_eq!(channel_rate(ChannelKind::AgentCall), 0.0);
    }
}
