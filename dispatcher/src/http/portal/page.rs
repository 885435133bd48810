//! The HTML of the debtor's page. Plain forms and inline CSS: it must
//! work on an old phone without JavaScript, and it loads nothing from
//! another server (no fonts, no scripts, no images), so the only party
//! that learns the debtor opened it is us.

use std::fmt::Write;

use chrono::NaiveDate;
use cobro_channels::templates::filters::{format_date, format_money};
use rust_decimal::Decimal;

use super::texts::{Labels, TextKey, labels, text};
use crate::http::html_escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseState {
    Open,
    Kept,
    Broken,
}

#[derive(Debug, Clone)]
pub struct PaymentLine {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub reference: String,
}

#[derive(Debug, Clone)]
pub struct PromiseLine {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub state: PromiseState,
    pub instalment: Option<(u32, u32)>,
}

/// What a redirect back to the page tells the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    PaymentStarted,
    PromiseRecorded,
    PlanRecorded,
    DisputeRecorded,
    PreferencesSaved,
    Error(TextKey),
}

/// Everything the page shows, already resolved by the handler.
#[derive(Debug, Clone)]
pub struct PortalView {
    pub lang: String,
    pub collector_name: String,
    pub collector_contact: String,
    pub creditor: String,
    pub debtor_name: String,
    pub account_ref: String,
    pub currency: String,
    pub amount_due: Decimal,
    pub balance: Decimal,
    pub due_date: NaiveDate,
    pub paid: bool,
    pub payments: Vec<PaymentLine>,
    pub promises: Vec<PromiseLine>,
    pub dispute_open: bool,
    pub optouts: Vec<String>,
    pub prefer: Option<String>,
    pub avoid: Vec<(String, String)>,
    /// Channels the account has an address for (what can be opted out of
    /// or preferred).
    pub channels: Vec<String>,
    pub csrf: String,
    pub action_base: String,
    pub can_pay_online: bool,
    pub today: NaiveDate,
    pub promise_max_date: NaiveDate,
    pub plan_min: u32,
    pub plan_max: u32,
    pub notice: Option<Notice>,
}

const STYLE: &str = "*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d1d1f;line-height:1.45}\
main{max-width:34rem;margin:0 auto;padding:1rem}\
header{background:#0b3d5c;color:#fff;padding:1rem}header p{margin:.2rem 0;font-size:.9rem}\
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;margin:0 0 .5rem}\
section{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}\
.big{font-size:2rem;font-weight:700;margin:.2rem 0}.muted{color:#555;font-size:.9rem}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}\
input,select,textarea{width:100%;font-size:1rem;padding:.6rem;border:1px solid #aab;border-radius:.4rem;background:#fff}\
button{width:100%;margin-top:.8rem;font-size:1.05rem;padding:.8rem;border:0;border-radius:.4rem;background:#0b6e4f;color:#fff;font-weight:600}\
button.secondary{background:#0b3d5c}\
.notice{padding:.8rem 1rem;border-radius:.5rem;margin:0 0 1rem;background:#e3f4ea;border:1px solid #7fc59b}\
.notice.error{background:#fdecea;border-color:#e99}\
table{width:100%;border-collapse:collapse;font-size:.95rem}td,th{text-align:left;padding:.35rem .2rem;border-bottom:1px solid #eee}\
.row{display:flex;gap:.6rem}.row>div{flex:1}\
details summary{cursor:pointer;font-weight:600;font-size:1.05rem}\
footer{font-size:.85rem;color:#555;text-align:center;padding:0 1rem 2rem}";

fn head(out: &mut String, lang: &str, title: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex,nofollow\">\
         <title>{title}</title><style>{STYLE}</style></head><body>",
        lang = html_escape(lang),
        title = html_escape(title),
    );
}

fn hidden_csrf(out: &mut String, csrf: &str) {
    let _ = write!(
        out,
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        html_escape(csrf)
    );
}

fn channel_label(l: &Labels, channel: &str) -> &'static str {
    l.channels
        .iter()
        .find(|(c, _)| *c == channel)
        .map(|(_, label)| *label)
        .unwrap_or("")
}

fn money(view: &PortalView, amount: Decimal) -> String {
    html_escape(&format_money(amount, &view.currency, &view.lang))
}

fn date(view: &PortalView, d: NaiveDate) -> String {
    html_escape(&format_date(d, &view.lang, "long"))
}

/// An amount as an `<input type=number>` value: a dot, no grouping.
fn plain_amount(amount: Decimal) -> String {
    amount.round_dp(2).normalize().to_string()
}

fn notice(out: &mut String, view: &PortalView, l: &Labels) {
    let Some(notice) = view.notice else { return };
    let (class, message) = match notice {
        Notice::PaymentStarted => ("notice", l.ok_pay),
        Notice::PromiseRecorded => ("notice", l.ok_promise),
        Notice::PlanRecorded => ("notice", l.ok_plan),
        Notice::DisputeRecorded => ("notice", l.ok_dispute),
        Notice::PreferencesSaved => ("notice", l.ok_preferences),
        Notice::Error(key) => ("notice error", text(&view.lang, key)),
    };
    let _ = write!(
        out,
        "<div id=\"notice\" class=\"{class}\" role=\"status\">{}</div>",
        html_escape(message)
    );
}

fn summary(out: &mut String, view: &PortalView, l: &Labels) {
    let _ = write!(
        out,
        "<section id=\"balance\"><p>{hello}, {name}.</p><p class=\"muted\">{balance_label}</p>\
         <p class=\"big\">{balance}</p><table>\
         <tr><th>{original}</th><td>{amount_due}</td></tr>\
         <tr><th>{due}</th><td>{due_date}</td></tr>\
         <tr><th>{account}</th><td>{account_ref}</td></tr></table>",
        hello = l.hello,
        name = html_escape(&view.debtor_name),
        balance_label = l.balance,
        balance = money(view, view.balance),
        original = l.original,
        amount_due = money(view, view.amount_due),
        due = l.due,
        due_date = date(view, view.due_date),
        account = l.account,
        account_ref = html_escape(&view.account_ref),
    );
    if view.paid {
        let _ = write!(out, "<p class=\"notice\">{}</p>", l.paid_thanks);
    } else if view.dispute_open {
        let _ = write!(out, "<p class=\"notice\">{}</p>", l.dispute_open);
    }
    out.push_str("</section>");
}

fn form_open(out: &mut String, view: &PortalView, action: &str) {
    let _ = write!(
        out,
        "<form id=\"form-{action}\" method=\"post\" action=\"{base}/{action}\">",
        base = html_escape(&view.action_base),
    );
    hidden_csrf(out, &view.csrf);
}

fn pay_form(out: &mut String, view: &PortalView, l: &Labels) {
    if !view.can_pay_online {
        return;
    }
    let _ = write!(
        out,
        "<section><h2>{pay}</h2><p class=\"muted\">{hint}</p>",
        pay = l.pay,
        hint = l.pay_hint
    );
    form_open(out, view, "pay");
    let _ = write!(
        out,
        "<label for=\"pay-amount\">{amount} ({currency})</label>\
         <input id=\"pay-amount\" name=\"amount\" type=\"number\" inputmode=\"decimal\" step=\"0.01\" min=\"0.01\" max=\"{max}\" value=\"{max}\" required>\
         <button type=\"submit\">{button}</button></form></section>",
        amount = l.amount,
        currency = html_escape(&view.currency),
        max = plain_amount(view.balance),
        button = l.pay_button,
    );
}

fn promise_form(out: &mut String, view: &PortalView, l: &Labels) {
    let _ = write!(
        out,
        "<section><details><summary>{title}</summary><p class=\"muted\">{hint}</p>",
        title = l.promise,
        hint = l.promise_hint
    );
    form_open(out, view, "promise");
    let _ = write!(
        out,
        "<div class=\"row\"><div><label for=\"promise-date\">{date_label}</label>\
         <input id=\"promise-date\" name=\"date\" type=\"date\" min=\"{min}\" max=\"{max}\" required></div>\
         <div><label for=\"promise-amount\">{amount} ({currency})</label>\
         <input id=\"promise-amount\" name=\"amount\" type=\"number\" inputmode=\"decimal\" step=\"0.01\" min=\"0.01\" max=\"{balance}\" value=\"{balance}\" required></div></div>\
         <p class=\"muted\">{latest}</p>\
         <button type=\"submit\" class=\"secondary\">{button}</button></form></details></section>",
        date_label = l.date,
        min = view.today,
        max = view.promise_max_date,
        amount = l.amount,
        currency = html_escape(&view.currency),
        balance = plain_amount(view.balance),
        latest = date(view, view.promise_max_date),
        button = l.promise_button,
    );
}

fn plan_form(out: &mut String, view: &PortalView, l: &Labels) {
    let _ = write!(
        out,
        "<section><details><summary>{title}</summary><p class=\"muted\">{hint}</p>",
        title = l.plan,
        hint = l.plan_hint
    );
    form_open(out, view, "plan");
    let _ = write!(
        out,
        "<div class=\"row\"><div><label for=\"plan-instalments\">{instalments}</label>\
         <select id=\"plan-instalments\" name=\"instalments\">",
        instalments = l.instalments
    );
    for n in view.plan_min..=view.plan_max {
        let share = (view.balance / Decimal::from(n)).round_dp(2);
        let _ = write!(
            out,
            "<option value=\"{n}\">{n} × {}</option>",
            money(view, share)
        );
    }
    let _ = write!(
        out,
        "</select></div><div><label for=\"plan-first\">{first}</label>\
         <input id=\"plan-first\" name=\"first_date\" type=\"date\" min=\"{min}\" max=\"{max}\" required></div></div>\
         <button type=\"submit\" class=\"secondary\">{button}</button></form></details></section>",
        first = l.first_date,
        min = view.today,
        max = view.promise_max_date,
        button = l.plan_button,
    );
}

fn dispute_form(out: &mut String, view: &PortalView, l: &Labels) {
    if view.dispute_open {
        return;
    }
    let _ = write!(
        out,
        "<section><details><summary>{title}</summary><p class=\"muted\">{hint}</p>",
        title = l.dispute,
        hint = l.dispute_hint
    );
    form_open(out, view, "dispute");
    let _ = write!(
        out,
        "<label for=\"dispute-reason\">{reason}</label><select id=\"dispute-reason\" name=\"reason\" required>",
        reason = l.reason
    );
    for (value, label) in l.reasons {
        let _ = write!(out, "<option value=\"{value}\">{label}</option>");
    }
    let _ = write!(
        out,
        "</select><label for=\"dispute-text\">{details}</label>\
         <textarea id=\"dispute-text\" name=\"text\" rows=\"4\" maxlength=\"2000\"></textarea>\
         <button type=\"submit\" class=\"secondary\">{button}</button></form></details></section>",
        details = l.details,
        button = l.dispute_button,
    );
}

fn preferences_form(out: &mut String, view: &PortalView, l: &Labels) {
    let _ = write!(
        out,
        "<section><details><summary>{title}</summary><p class=\"muted\">{hint}</p>",
        title = l.preferences,
        hint = l.preferences_hint
    );
    form_open(out, view, "preferences");
    let options = |out: &mut String, selected: Option<&str>, skip: &[String]| {
        let _ = write!(out, "<option value=\"\">{}</option>", l.none);
        for c in view.channels.iter().filter(|c| !skip.contains(c)) {
            let sel = if selected == Some(c.as_str()) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<option value=\"{c}\"{sel}>{}</option>",
                channel_label(l, c),
                c = html_escape(c)
            );
        }
    };
    let _ = write!(
        out,
        "<label for=\"pref-optout\">{}</label><select id=\"pref-optout\" name=\"optout\">",
        l.optout
    );
    options(out, None, &view.optouts);
    let _ = write!(
        out,
        "</select><label for=\"pref-prefer\">{}</label><select id=\"pref-prefer\" name=\"prefer\">",
        l.prefer
    );
    options(out, view.prefer.as_deref(), &view.optouts);
    let (from, to) = view
        .avoid
        .first()
        .cloned()
        .unwrap_or_else(|| (String::new(), String::new()));
    let _ = write!(
        out,
        "</select><p><strong>{avoid}</strong></p><div class=\"row\">\
         <div><label for=\"pref-from\">{from_label}</label><input id=\"pref-from\" name=\"avoid_from\" type=\"time\" value=\"{from}\"></div>\
         <div><label for=\"pref-to\">{to_label}</label><input id=\"pref-to\" name=\"avoid_to\" type=\"time\" value=\"{to}\"></div></div>",
        avoid = l.avoid,
        from_label = l.from,
        to_label = l.to,
        from = html_escape(&from),
        to = html_escape(&to),
    );
    if !view.optouts.is_empty() {
        let names: Vec<&str> = view.optouts.iter().map(|c| channel_label(l, c)).collect();
        let _ = write!(
            out,
            "<p class=\"muted\">{}: {}</p>",
            l.optout,
            html_escape(&names.join(", "))
        );
    }
    let _ = write!(
        out,
        "<button type=\"submit\" class=\"secondary\">{}</button></form></details></section>",
        l.save
    );
}

fn history(out: &mut String, view: &PortalView, l: &Labels) {
    let _ = write!(
        out,
        "<section id=\"history\"><h2>{}</h2><h3>{}</h3>",
        l.history, l.payments
    );
    if view.payments.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", l.nothing_yet);
    } else {
        out.push_str("<table id=\"payments\">");
        for p in &view.payments {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                date(view, p.date),
                money(view, p.amount)
            );
        }
        out.push_str("</table>");
    }
    let _ = write!(out, "<h3>{}</h3>", l.promises);
    if view.promises.is_empty() {
        let _ = write!(
            out,
            "<p id=\"promises\" class=\"muted\">{}</p>",
            l.nothing_yet
        );
    } else {
        out.push_str("<table id=\"promises\">");
        for p in &view.promises {
            let state = match p.state {
                PromiseState::Open => l.open,
                PromiseState::Kept => l.kept,
                PromiseState::Broken => l.broken,
            };
            let part = p
                .instalment
                .map(|(n, of)| format!(" ({n} {} {of})", l.of))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}{}</td><td>{}</td><td>{state}</td></tr>",
                date(view, p.date),
                html_escape(&part),
                money(view, p.amount)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

/// The debtor's page.
pub fn render_page(view: &PortalView) -> String {
    let l = labels(&view.lang);
    let mut out = String::with_capacity(12 * 1024);
    head(&mut out, &view.lang, l.title);
    let _ = write!(
        out,
        "<header><p>{collected_by} <strong>{collector}</strong> {on_behalf} <strong>{creditor}</strong></p>\
         <h1>{title}</h1></header><main>",
        collected_by = l.collected_by,
        collector = html_escape(&view.collector_name),
        on_behalf = l.on_behalf,
        creditor = html_escape(&view.creditor),
        title = l.title,
    );
    notice(&mut out, view, &l);
    summary(&mut out, view, &l);
    if !view.paid {
        pay_form(&mut out, view, &l);
        promise_form(&mut out, view, &l);
        plan_form(&mut out, view, &l);
        dispute_form(&mut out, view, &l);
    }
    preferences_form(&mut out, view, &l);
    history(&mut out, view, &l);
    let _ = write!(
        out,
        "</main><footer><p>{collector}{sep}{contact}</p><p>{personal}</p></footer></body></html>",
        collector = html_escape(&view.collector_name),
        sep = if view.collector_contact.is_empty() {
            ""
        } else {
            " · "
        },
        contact = html_escape(&view.collector_contact),
        personal = l.personal,
    );
    out
}

/// The page for a forged, unknown or expired link: no account data.
pub fn render_link_error(lang: &str, expired: bool) -> String {
    let l = labels(lang);
    let mut out = String::with_capacity(2048);
    head(&mut out, lang, l.title);
    let _ = write!(
        out,
        "<main><section id=\"link-error\"><h1>{}</h1><p>{}</p></section></main></body></html>",
        l.title,
        if expired {
            l.link_expired
        } else {
            l.link_invalid
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(lang: &str) -> PortalView {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).expect("date");
        PortalView {
            lang: lang.into(),
            collector_name: "Cobranzas Andinas S.A. de C.V.".into(),
            collector_contact: "800 123 4567".into(),
            creditor: "Banco del Sol".into(),
            debtor_name: "José <b>Pérez</b>".into(),
            account_ref: "…0001".into(),
            currency: "MXN".into(),
            amount_due: Decimal::new(123456, 2),
            balance: Decimal::new(100000, 2),
            due_date: today,
            paid: false,
            payments: vec![PaymentLine {
                date: today,
                amount: Decimal::new(23456, 2),
                reference: "r1".into(),
            }],
            promises: vec![],
            dispute_open: false,
            optouts: vec![],
            prefer: None,
            avoid: vec![],
            channels: vec!["email".into(), "sms".into()],
            csrf: "tok\"en".into(),
            action_base: "/d/abc".into(),
            can_pay_online: true,
            today,
            promise_max_date: today + chrono::Days::new(30),
            plan_min: 2,
            plan_max: 12,
            notice: None,
        }
    }

    #[test]
    fn every_form_carries_the_csrf_value_escaped() {
        let html = render_page(&view("es-MX"));
        let forms = html.matches("<form ").count();
        assert_eq!(forms, 5, "pay, promise, plan, dispute, preferences");
        assert_eq!(
            html.matches("name=\"csrf\" value=\"tok&quot;en\"").count(),
            forms
        );
        assert!(html.contains("José &lt;b&gt;Pérez&lt;/b&gt;"));
    }

    #[test]
    fn loads_nothing_from_elsewhere_and_runs_no_script() {
        for lang in ["es-MX", "es-CO", "es-CL", "es-PE", "en-US"] {
            let html = render_page(&view(lang));
            assert!(!html.contains("<script"), "{lang}");
            assert!(
                !html.contains("http://") && !html.contains("https://"),
                "{lang}"
            );
            assert!(!html.contains("src="), "{lang}");
        }
    }

    #[test]
    fn spanish_and_english_texts_and_money() {
        let es = render_page(&view("es-MX"));
        assert!(es.contains("Saldo pendiente"), "{es}");
        assert!(es.contains("mensualidades"));
        let co = render_page(&view("es-CO"));
        assert!(co.contains("Número de cuotas"));
        let en = render_page(&view("en-US"));
        assert!(en.contains("Balance due"));
        assert!(!en.contains("Saldo"));
    }

    #[test]
    fn a_paid_account_offers_no_payment_forms() {
        let mut v = view("es-PE");
        v.paid = true;
        let html = render_page(&v);
        assert!(!html.contains("form-pay"));
        assert!(!html.contains("form-promise"));
        assert!(html.contains("form-preferences"));
    }
}
