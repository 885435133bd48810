//! The example files under `config/examples/` stay valid.

use std::path::{Path, PathBuf};

use cobro_campaigns::ChannelKind;
use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};
use cobro_campaigns::import::import_path;
use cobro_campaigns::strategy::{StepAfter, StepTrigger, StopEvent, Strategy};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples")
}

/// Rows and seed of the committed example portfolio (regenerate it with
/// `cargo run -p cobro-campaigns --example regenerate_portfolio`).
const EXAMPLE_ROWS: usize = 200;
const EXAMPLE_SEED: u64 = 2026;

#[test]
fn example_portfolio_imports_clean() {
    let report = import_path(&examples().join("portfolio.csv")).expect("import");
    assert_eq!(
        report.errors,
        vec![],
        "{}",
        report.render_text("portfolio.csv")
    );
    assert_eq!(report.accounts.len(), EXAMPLE_ROWS);
}

#[test]
fn example_portfolio_matches_the_generator() {
    let mut expected = Vec::new();
    write_portfolio_csv(
        &mut expected,
        EXAMPLE_ROWS,
        EXAMPLE_SEED,
        &GeneratorOptions::default(),
    )
    .expect("write");
    let committed = std::fs::read(examples().join("portfolio.csv")).expect("read");
    assert!(
        committed == expected,
        "config/examples/portfolio.csv is stale; regenerate it (see regenerate_example_portfolio)"
    );
}

#[test]
fn bad_example_reports_each_broken_row() {
    let report = import_path(&examples().join("portfolio_bad.csv")).expect("import");
    let text = report.render_text("portfolio_bad.csv");
    let expect = [
        (3, "telefono", "not a valid phone number"),
        (4, "zona_horaria", "unknown IANA time zone"),
        (5, "importe", "negative amount"),
        (6, "expediente", "required value is missing"),
        (7, "expediente", "duplicated id"),
        (8, "fecha_vencimiento", "not a date"),
        (9, "nombre", "not valid UTF-8"),
    ];
    for (line, field, reason) in expect {
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.line == line && e.field == field && e.reason.contains(reason)),
            "missing line {line}: {field}: {reason} in\n{text}"
        );
    }
    let bad_lines: std::collections::BTreeSet<usize> =
        report.errors.iter().map(|e| e.line).collect();
    assert_eq!(bad_lines.len(), expect.len(), "{text}");
    assert_eq!(report.bad_rows(), expect.len());
    assert_eq!(report.accounts.len(), report.rows_read - expect.len());
    assert!(report.accounts.len() >= 4);
}

#[test]
fn example_strategy_is_the_documented_one() {
    let s = Strategy::load(&examples().join("strategy.toml")).expect("load");
    assert_eq!(s.id, "mensual");
    let summary: Vec<_> = s
        .steps
        .iter()
        .map(|st| {
            (
                st.id.as_str(),
                st.trigger,
                st.channel,
                st.template.as_str(),
                st.send_at.to_string(),
                st.fallback,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "d0-email",
                StepTrigger::DayOffset(0),
                ChannelKind::Email,
                "recordatorio",
                "09:00:00".into(),
                None
            ),
            (
                "d3-sms",
                StepTrigger::DayOffset(3),
                ChannelKind::Sms,
                "aviso_sms",
                "10:00:00".into(),
                Some(ChannelKind::Email)
            ),
            (
                "d7-voice",
                StepTrigger::DayOffset(7),
                ChannelKind::Voice,
                "mensaje_voz",
                "11:00:00".into(),
                Some(ChannelKind::Sms)
            ),
            (
                "d10-llamada",
                StepTrigger::DayOffset(10),
                ChannelKind::AgentCall,
                "llamada",
                "10:00:00".into(),
                None
            ),
            (
                "d14-email",
                StepTrigger::DayOffset(14),
                ChannelKind::Email,
                "ultimo_aviso",
                "09:30:00".into(),
                Some(ChannelKind::Sms)
            ),
            (
                "d21-promesa",
                StepTrigger::DayOffset(21),
                ChannelKind::Sms,
                "promesa_incumplida",
                "10:30:00".into(),
                Some(ChannelKind::Email)
            ),
        ]
    );
    // Promises and disputes pause the sequence instead of ending it, so the
    // example stops only on what ends the debt or the consent.
    assert_eq!(s.stop_on, vec![StopEvent::Paid, StopEvent::OptOut]);
    // Only the broken-promise reminder waits for an event.
    let after: Vec<_> = s.steps.iter().map(|st| st.when.after).collect();
    assert_eq!(
        after,
        vec![None, None, None, None, None, Some(StepAfter::BrokenPromise)]
    );
    // The call is a collector's, for the furthest-past-due late segment.
    let call = &s.steps[3];
    assert_eq!(call.team.as_deref(), Some("cobranza"));
    assert_eq!(call.when.segments, vec!["tardia".to_string()]);
    assert_eq!(call.when.dpd_min, Some(115));
}
