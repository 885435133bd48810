//! What a campaign run costs at the prices of its `[costs]`: SMS segments,
//! emails and voice calls sent, each times its price. An estimate from the
//! ledger's sends, for the simulation and the report; the providers'
//! invoices are the truth. A collector's call (`agent_call`) goes through
//! no provider and is never `sent`: it costs nothing here (the collectors'
//! time is not a provider's price).

use cobro_campaigns::ChannelKind;
use cobro_config::CostsSection;
use rust_decimal::Decimal;
use serde::Serialize;

/// One priced line: `units` of `what` at `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    /// `sms_segment`, `email` or `voice_call`.
    pub what: &'static str,
    pub units: u64,
    pub unit_price: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostEstimate {
    pub currency: String,
    pub lines: Vec<CostLine>,
    pub total: Decimal,
}

impl CostEstimate {
    /// Prices `sms_segments` and the messages sent per channel.
    pub fn new(costs: &CostsSection, sms_segments: u64, sent: impl Fn(ChannelKind) -> u64) -> Self {
        let lines: Vec<CostLine> = [
            ("sms_segment", costs.sms_segment, sms_segments),
            ("email", costs.email, sent(ChannelKind::Email)),
            ("voice_call", costs.voice_call, sent(ChannelKind::Voice)),
        ]
        .into_iter()
        .filter_map(|(what, price, units)| {
            price.map(|unit_price| CostLine {
                what,
                units,
                unit_price,
                total: unit_price * Decimal::from(units),
            })
        })
        .collect();
        CostEstimate {
            currency: costs.currency.trim().to_string(),
            total: lines.iter().map(|l| l.total).sum(),
            lines,
        }
    }

    /// `12.34 USD (405 sms_segment × 0.0079 + …)`.
    pub fn to_text(&self) -> String {
        let parts: Vec<String> = self
            .lines
            .iter()
            .map(|l| format!("{} {} × {}", l.units, l.what, l.unit_price))
            .collect();
        format!(
            "{:.2} {} ({})",
            self.total.round_dp(2),
            self.currency,
            parts.join(" + ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_only_the_channels_with_a_price_and_adds_them_exactly() {
        let costs = CostsSection {
            currency: "USD".into(),
            sms_segment: Some(Decimal::new(79, 4)),
            email: Some(Decimal::new(4, 4)),
            voice_call: None,
        };
        let estimate = CostEstimate::new(&costs, 405, |c| match c {
            ChannelKind::Email => 120,
            ChannelKind::Voice => 30,
            _ => 0,
        });
        // 405 × 0.0079 = 3.1995; 120 × 0.0004 = 0.048.
        assert_eq!(estimate.total, Decimal::new(32475, 4));
        assert_eq!(estimate.lines.len(), 2, "no voice price, no voice line");
        assert_eq!(
            estimate.to_text(),
            "3.25 USD (405 sms_segment × 0.0079 + 120 email × 0.0004)"
        );
    }
}
