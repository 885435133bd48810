//! `[house]` and `[payments]`: what a debtor may agree to on the portal or
//! with an analyst (promise horizon, grace days, plan sizes), and which
//! payment provider takes the money. Secrets never live here: the
//! provider's keys come from the environment (see the README).

use std::path::Path;

use cobro_campaigns::book::BookLimits;
use serde::Deserialize;

use crate::ConfigError;
use crate::locate::key_line;

/// The house limits, as written in `cobro.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseSection {
    #[serde(default = "default_promise_max_days")]
    pub promise_max_days: u32,
    #[serde(default = "default_grace_days")]
    pub grace_days: u32,
    #[serde(default = "default_plan_min")]
    pub plan_min_instalments: u32,
    #[serde(default = "default_plan_max")]
    pub plan_max_instalments: u32,
}

fn default_promise_max_days() -> u32 {
    BookLimits::default().promise_max_days
}
fn default_grace_days() -> u32 {
    BookLimits::default().grace_days
}
fn default_plan_min() -> u32 {
    BookLimits::default().plan_min_instalments
}
fn default_plan_max() -> u32 {
    BookLimits::default().plan_max_instalments
}

impl Default for HouseSection {
    fn default() -> Self {
        HouseSection {
            promise_max_days: default_promise_max_days(),
            grace_days: default_grace_days(),
            plan_min_instalments: default_plan_min(),
            plan_max_instalments: default_plan_max(),
        }
    }
}

impl HouseSection {
    pub fn limits(&self) -> BookLimits {
        BookLimits {
            promise_max_days: self.promise_max_days,
            grace_days: self.grace_days,
            plan_min_instalments: self.plan_min_instalments,
            plan_max_instalments: self.plan_max_instalments,
            ..BookLimits::default()
        }
    }

    pub(crate) fn validate(&self, src: &str, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: key_line(src, "house", key),
            key: format!("house.{key}"),
            message: message.to_string(),
        };
        if self.promise_max_days == 0 || self.promise_max_days > 366 {
            return Err(invalid("promise_max_days", "must be between 1 and 366"));
        }
        if self.grace_days > 31 {
            return Err(invalid("grace_days", "must be at most 31"));
        }
        if self.plan_min_instalments < 2 {
            return Err(invalid(
                "plan_min_instalments",
                "must be at least 2 (one payment is a promise, not a plan)",
            ));
        }
        if self.plan_max_instalments < self.plan_min_instalments || self.plan_max_instalments > 60 {
            return Err(invalid(
                "plan_max_instalments",
                "must be between plan_min_instalments and 60",
            ));
        }
        Ok(())
    }
}

/// Which provider takes the debtor's payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentProviderKind {
    /// The creditor's own `payment_link` attribute, when an account has one.
    #[default]
    None,
    /// Checkout Pro; `MERCADOPAGO_ACCESS_TOKEN`, `MERCADOPAGO_WEBHOOK_SECRET`.
    MercadoPago,
    /// Checkout Sessions; `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`.
    Stripe,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSection {
    #[serde(default)]
    pub provider: PaymentProviderKind,
    /// The provider's API root; only to point at a sandbox or a test
    /// server (default: the provider's production API).
    #[serde(default)]
    pub base_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::Settings;
    use std::path::Path;

    #[test]
    fn house_limits_are_read_and_checked_with_their_line() {
        let s = Settings::from_toml_str(
            "[house]\npromise_max_days = 15\ngrace_days = 1\n[payments]\nprovider = \"stripe\"\n",
            Path::new("cobro.toml"),
        )
        .expect("valid");
        assert_eq!(s.house.limits().promise_max_days, 15);
        assert_eq!(s.house.limits().grace_days, 1);
        assert_eq!(s.payments.provider, super::PaymentProviderKind::Stripe);
        let err = Settings::from_toml_str(
            "[house]\nplan_min_instalments = 1\n",
            Path::new("cobro.toml"),
        )
        .expect_err("one instalment is not a plan");
        assert!(
            err.to_string()
                .starts_with("cobro.toml:2: key `house.plan_min_instalments`"),
            "{err}"
        );
        let err =
            Settings::from_toml_str("[payments]\nprovider = \"paypal\"\n", Path::new("c.toml"))
                .expect_err("unknown provider");
        assert!(err.to_string().contains("c.toml:2"), "{err}");
    }
}
