//! The console's templates: minijinja, compiled into the binary (the
//! release needs nothing on disk) and auto-escaped because every name ends
//! in `.html`, so a debtor's name or a creditor's file can never become
//! markup. A page template `{% extends "layout.html" %}` and fills
//! `{% block body %}`; `ConsoleSession::page` gives it the shared context
//! (`t`, `nav`, `user`, `csrf`, `lang`, `title`).

use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior, Value};

/// Every template, by name. A new page adds its line here.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("login.html", include_str!("templates/login.html")),
    ("message.html", include_str!("templates/message.html")),
    ("accounts.html", include_str!("templates/accounts.html")),
    ("rules.html", include_str!("templates/rules.html")),
    (
        "rules_summary.html",
        include_str!("templates/rules_summary.html"),
    ),
    ("rules_pack.html", include_str!("templates/rules_pack.html")),
    (
        "rules_check.html",
        include_str!("templates/rules_check.html"),
    ),
    (
        "rules_calendar.html",
        include_str!("templates/rules_calendar.html"),
    ),
    (
        "rules_explain.html",
        include_str!("templates/rules_explain.html"),
    ),
    (
        "collections.html",
        include_str!("templates/collections.html"),
    ),
    ("upload.html", include_str!("templates/upload.html")),
    ("account.html", include_str!("templates/account.html")),
    ("campaigns.html", include_str!("templates/campaigns.html")),
    ("campaign.html", include_str!("templates/campaign.html")),
    ("arms.html", include_str!("templates/arms.html")),
    ("simulation.html", include_str!("templates/simulation.html")),
    ("review.html", include_str!("templates/review.html")),
    (
        "suppressions.html",
        include_str!("templates/suppressions.html"),
    ),
    ("work.html", include_str!("templates/work.html")),
    ("work_team.html", include_str!("templates/work_team.html")),
];

static ENV: LazyLock<Result<Environment<'static>, minijinja::Error>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty cell on a page.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("money", money);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
});

/// `{{ amount|money }}`: two decimals with thousands separators
/// (`1,234.50` in English, `1.234,50` in Spanish when `lang` is `es`).
fn money(value: Value, lang: Option<String>) -> String {
    let raw = value.to_string();
    let Ok(amount) = raw.parse::<rust_decimal::Decimal>() else {
        return raw;
    };
    let fixed = format!("{:.2}", amount.round_dp(2));
    let (sign, digits) = match fixed.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", fixed.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let (thousands, decimal) = if lang.as_deref() == Some("es") {
        ('.', ',')
    } else {
        (',', '.')
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{decimal}{frac}")
}

/// Renders template `name` with `ctx`.
pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let env = ENV.as_ref().map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    env.get_template(name)?.render(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = ENV.as_ref().expect("templates compile");
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn money_groups_thousands_the_way_each_language_writes_them() {
        assert_eq!(
            money(Value::from("55177.35"), Some("es".into())),
            "55.177,35"
        );
        assert_eq!(
            money(Value::from("55177.35"), Some("en".into())),
            "55,177.35"
        );
        assert_eq!(money(Value::from("-1234567"), None), "-1,234,567.00");
        assert_eq!(money(Value::from("12.5"), Some("es".into())), "12,50");
    }
}
