//! `[costs]` of `campaign.toml`: what the campaign's providers charge, so a
//! simulation can say what a month will cost before it is launched (SMS
//! segments are what SMS providers bill). Prices are exact decimals written
//! as strings (`"0.0079"`), in one currency; a channel without a price is
//! not costed.

use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsSection {
    /// ISO 4217 code the prices are in (`USD`, `MXN`…).
    pub currency: String,
    /// Per SMS segment (a 160-character GSM-7 or 70-character UCS-2 part).
    #[serde(default)]
    pub sms_segment: Option<Decimal>,
    /// Per email sent.
    #[serde(default)]
    pub email: Option<Decimal>,
    /// Per voice call placed.
    #[serde(default)]
    pub voice_call: Option<Decimal>,
}

impl CostsSection {
    /// The first price that is wrong, as `(key, message)`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let code = self.currency.trim();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err((
                "costs.currency",
                format!(
                    "'{}' is not an ISO 4217 code like \"USD\" or \"MXN\"",
                    self.currency
                ),
            ));
        }
        for (key, price) in [
            ("costs.sms_segment", self.sms_segment),
            ("costs.email", self.email),
            ("costs.voice_call", self.voice_call),
        ] {
            if price.is_some_and(|p| p.is_sign_negative()) {
                return Err((key, "a price cannot be negative".into()));
            }
        }
        Ok(())
    }
}
