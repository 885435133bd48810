//! The `cobro rules explain` JSON of a verdict: a contract with
//! compliance officers' tooling, so its keys and their order are fixed.

use chrono::SecondsFormat;

use super::{Decision, Verdict};

impl Verdict {
    /// The JSON object of `cobro rules explain`: `decision`,
    /// `until` (only with defer), `timezones`, `reasons`.
    pub fn to_explain_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("decision".into(), self.decision.as_str().into());
        if let Decision::Defer { until } = self.decision {
            m.insert(
                "until".into(),
                until.to_rfc3339_opts(SecondsFormat::AutoSi, true).into(),
            );
        }
        m.insert(
            "timezones".into(),
            self.timezones
                .iter()
                .map(|z| z.name())
                .collect::<Vec<_>>()
                .into(),
        );
        m.insert(
            "reasons".into(),
            self.reasons
                .iter()
                .map(|r| {
                    serde_json::json!({"rule": r.rule, "code": r.code.as_str(), "detail": r.detail})
                })
                .collect::<Vec<_>>()
                .into(),
        );
        serde_json::Value::Object(m)
    }
}

impl Verdict {
    /// [`Verdict::to_explain_json`] as compact text with the keys in the
    /// order the contract shows them (`decision`, `until`, `timezones`,
    /// `reasons`; each reason `rule`, `code`, `detail`), which
    /// `serde_json::Value` (a sorted map) cannot keep.
    pub fn to_explain_string(&self) -> String {
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = format!("{{\"decision\":{}", q(self.decision.as_str()));
        if let Decision::Defer { until } = self.decision {
            out.push_str(&format!(
                ",\"until\":{}",
                q(&until.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            ));
        }
        let zones: Vec<String> = self.timezones.iter().map(|z| q(z.name())).collect();
        out.push_str(&format!(",\"timezones\":[{}]", zones.join(",")));
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|r| {
                format!(
                    "{{\"rule\":{},\"code\":{},\"detail\":{}}}",
                    q(&r.rule),
                    q(r.code.as_str()),
                    q(&r.detail)
                )
            })
            .collect();
        out.push_str(&format!(",\"reasons\":[{}]}}", reasons.join(",")));
        out
    }
}
