use serde::{Deserialize, Serialize};

/// Something a message must carry by law or house rule. Rule packs require
/// them per channel; the template checker proves a template has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateElement {
    /// Who is collecting (the agency or collector's name).
    CollectorId,
    /// On whose behalf (the creditor, `empresa`).
    CreditorId,
    /// How to stop messages (STOP/BAJA text, unsubscribe link).
    OptOut,
    /// How to pay.
    PaymentLink,
}

impl TemplateElement {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateElement::CollectorId => "collector_id",
            TemplateElement::CreditorId => "creditor_id",
            TemplateElement::OptOut => "opt_out",
            TemplateElement::PaymentLink => "payment_link",
        }
    }
}
