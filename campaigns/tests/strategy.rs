//! Strategy files: parsing, defaults and every refusal with file, line, key.

use chrono::NaiveTime;
use cobro_campaigns::ChannelKind;
use cobro_campaigns::strategy::{StepTrigger, StopEvent, Strategy, StrategyError};
use rust_decimal::Decimal;

const OK: &str = r#"
id = "mensual"
stop_on = ["paid", "opt_out"]

[[steps]]
id = "d0"
day = 0
channel = "email"
template = "recordatorio"

[[steps]]
id = "dpd30"
days_past_due = 30
channel = "sms"
template = "aviso"
send_at = 10:30:00
fallback = "email"
[steps.when]
segments = ["Media", "tardia"]
dpd_min = 30
dpd_max = 90
amount_min = "100.50"
amount_max = 50000
"#;

fn err(src: &str) -> StrategyError {
    Strategy::from_toml_str(src, "strategy.toml").expect_err("should be refused")
}

#[test]
fn parses_steps_triggers_filters_and_defaults() {
    let s = Strategy::from_toml_str(OK, "strategy.toml").expect("valid");
    assert_eq!(s.id, "mensual");
    assert_eq!(s.stop_on, [StopEvent::Paid, StopEvent::OptOut]);
    assert_eq!(s.steps[0].trigger, StepTrigger::DayOffset(0));
    assert_eq!(
        s.steps[0].send_at,
        NaiveTime::from_hms_opt(9, 0, 0).expect("t")
    );
    assert!(s.steps[0].when.is_empty());
    assert_eq!(s.steps[0].fallback, None);
    let st = &s.steps[1];
    assert_eq!(st.trigger, StepTrigger::DaysPastDue(30));
    assert_eq!(st.channel, ChannelKind::Sms);
    assert_eq!(st.fallback, Some(ChannelKind::Email));
    assert_eq!(st.send_at, NaiveTime::from_hms_opt(10, 30, 0).expect("t"));
    assert_eq!(st.when.segments, ["media", "tardia"]);
    assert_eq!((st.when.dpd_min, st.when.dpd_max), (Some(30), Some(90)));
    assert_eq!(st.when.amount_min, Some(Decimal::new(10050, 2)));
    assert_eq!(st.when.amount_max, Some(Decimal::from(50000)));
    assert!(s.stops_on(StopEvent::Paid) && !s.stops_on(StopEvent::Dispute));
    assert_eq!(s.step("dpd30").map(|s| s.template.as_str()), Some("aviso"));
}

#[test]
fn unknown_channel_names_file_line_and_key() {
    let src = OK.replace("channel = \"sms\"", "channel = \"fax\"");
    let e = err(&src);
    assert_eq!(
        e.to_string(),
        "strategy.toml:14: key 'steps[1].channel': unknown channel 'fax' (expected email, sms, voice, agent_call or agent_task)"
    );
    assert_eq!((e.line(), e.key()), (Some(14), Some("steps[1].channel")));
}

#[test]
fn unknown_keys_are_refused_with_their_place() {
    let e = err(&OK.replace(
        "template = \"aviso\"",
        "template = \"aviso\"\ncolour = \"red\"",
    ));
    assert_eq!(e.line(), Some(16));
    assert_eq!(e.key(), Some("steps[1].colour"));
    assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    let e = err(&OK.replace("dpd_min = 30", "dpd_minimum = 30"));
    assert_eq!(e.key(), Some("steps[1].when.dpd_minimum"));
    let e = err(&format!("owner = \"ops\"\n{OK}"));
    assert_eq!((e.line(), e.key()), (Some(1), Some("owner")));
}

#[test]
fn syntax_errors_have_a_line() {
    let e = err("id = \"x\"\n[[steps]\n");
    assert_eq!(e.line(), Some(2), "{e}");
}

#[test]
fn trigger_must_be_exactly_one_of_day_or_days_past_due() {
    let e = err(&OK.replace("days_past_due = 30", "days_past_due = 30\nday = 2"));
    assert!(e.to_string().contains("not both"), "{e}");
    let e = err(&OK.replace("days_past_due = 30\n", ""));
    assert_eq!(e.key(), Some("steps[1]"));
    assert!(e.to_string().contains("needs 'day'"), "{e}");
    let e = err(&OK.replace("day = 0", "day = -1"));
    assert_eq!(e.key(), Some("steps[0].day"));
}

#[test]
fn step_ids_are_unique_and_well_formed() {
    let e = err(&OK.replace("id = \"dpd30\"", "id = \"d0\""));
    assert_eq!(e.key(), Some("steps[1].id"));
    assert!(e.to_string().contains("used twice"));
    for bad in ["D0", "d 0", "d/0", ""] {
        let e = err(&OK.replace("id = \"d0\"", &format!("id = \"{bad}\"")));
        assert_eq!(e.key(), Some("steps[0].id"), "{bad}");
    }
    let e = err(&OK.replace("id = \"mensual\"", "id = \"Mensual 2\""));
    assert_eq!(e.key(), Some("id"));
}

#[test]
fn fallback_differs_from_channel_and_is_a_channel() {
    let e = err(&OK.replace("fallback = \"email\"", "fallback = \"sms\""));
    assert_eq!(e.key(), Some("steps[1].fallback"));
    assert!(e.to_string().contains("must differ"));
    let e = err(&OK.replace("fallback = \"email\"", "fallback = \"carrier_pigeon\""));
    assert!(e.to_string().contains("unknown channel"));
}

#[test]
fn ranges_must_be_ordered_and_amounts_exact() {
    let e = err(&OK.replace("dpd_min = 30", "dpd_min = 100"));
    assert_eq!(e.key(), Some("steps[1].when.dpd_min"));
    let e = err(&OK.replace("amount_min = \"100.50\"", "amount_min = \"60000\""));
    assert_eq!(e.key(), Some("steps[1].when.amount_min"));
    let e = err(&OK.replace("amount_min = \"100.50\"", "amount_min = 100.5"));
    assert!(e.to_string().contains("floats"), "{e}");
    let e = err(&OK.replace("amount_min = \"100.50\"", "amount_min = \"-1\""));
    assert!(e.to_string().contains("negative"), "{e}");
}

#[test]
fn send_at_is_a_local_time() {
    let s = Strategy::from_toml_str(
        &OK.replace("send_at = 10:30:00", "send_at = \"07:05\""),
        "s",
    )
    .expect("ok");
    assert_eq!(
        s.steps[1].send_at,
        NaiveTime::from_hms_opt(7, 5, 0).expect("t")
    );
    let e = err(&OK.replace("send_at = 10:30:00", "send_at = \"25:00\""));
    assert_eq!((e.line(), e.key()), (Some(16), Some("steps[1].send_at")));
}

#[test]
fn needs_at_least_one_step() {
    let e = err("id = \"vacia\"\n");
    assert_eq!(e.key(), Some("steps"));
}

#[test]
fn stop_events_are_known_and_unique() {
    let e = err(&OK.replace("\"opt_out\"]", "\"angry\"]"));
    assert_eq!(e.key(), Some("stop_on[1]"));
    assert!(e.to_string().contains("unknown stop event 'angry'"));
    let e = err(&OK.replace("\"opt_out\"]", "\"paid\"]"));
    assert!(e.to_string().contains("twice"));
    assert_eq!(
        StopEvent::parse("promise_to_pay"),
        Some(StopEvent::PromiseToPay)
    );
}

#[test]
fn load_reports_the_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("s.toml");
    std::fs::write(
        &p,
        OK.replace(
            "\"email\"\ntemplate = \"recordatorio\"",
            "\"fax\"\ntemplate = \"recordatorio\"",
        ),
    )
    .expect("w");
    let e = Strategy::load(&p).expect_err("bad");
    assert!(
        e.to_string()
            .starts_with(&format!("{}:8: key 'steps[0].channel'", p.display())),
        "{e}"
    );
    let e = Strategy::load(&dir.path().join("missing.toml")).expect_err("missing");
    assert!(e.is_io());
}

#[test]
fn a_collectors_step_has_a_team_and_no_other_step_does() {
    let agent = OK.replace("channel = \"sms\"", "channel = \"agent_call\"");
    let s = Strategy::from_toml_str(&agent, "strategy.toml").expect("agent step");
    let step = &s.steps[1];
    assert_eq!(step.channel, ChannelKind::AgentCall);
    assert_eq!(
        step.team.as_deref(),
        Some(cobro_campaigns::strategy::DEFAULT_TEAM)
    );
    let named = agent.replace(
        "channel = \"agent_call\"",
        "channel = \"agent_call\"\nteam = \"norte\"",
    );
    let s = Strategy::from_toml_str(&named, "strategy.toml").expect("named team");
    assert_eq!(s.steps[1].team.as_deref(), Some("norte"));
    let wrong = OK.replace("channel = \"sms\"", "channel = \"sms\"\nteam = \"norte\"");
    let e = err(&wrong);
    assert_eq!(e.key(), Some("steps[1].team"), "{e}");
    assert!(e.to_string().contains("only a collector's step"), "{e}");
    let fallback = OK.replace("fallback = \"email\"", "fallback = \"agent_call\"");
    let e = err(&fallback);
    assert_eq!(e.key(), Some("steps[1].fallback"), "{e}");
}
