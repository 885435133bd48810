//! Rule pack files: the built-ins parse and match their shipped files, and
//! errors name file, line and key.

use std::path::Path;

use cobro_compliance::{CapPeriod, CapScope, RulePack, RulesError};

#[test]
fn builtins_parse_and_match_config_files() {
    assert_eq!(RulePack::builtin_names().len(), 5);
    for name in RulePack::builtin_names() {
        let p = RulePack::builtin(name).unwrap_or_else(|| panic!("{name} does not parse"));
        assert_eq!(p.id(), *name);
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../config/rules/{name}.toml"));
        let from_file = RulePack::load(&file).expect("file parses");
        assert_eq!(from_file.id(), *name);
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            RulePack::builtin_source(name).expect("source")
        );
    }
    assert!(RulePack::builtin("nope").is_none());
    assert!(RulePack::load_named_or_file("us-regf").is_ok());
    let e = RulePack::load_named_or_file("no-such-pack").unwrap_err();
    assert!(e.is_not_found());
}

#[test]
fn pack_readings() {
    let co = RulePack::builtin("co-ley2300").expect("co");
    assert_eq!(co.caps().len(), 3);
    assert!(co.caps().iter().all(|c| c.scope == CapScope::Debtor));
    assert_eq!(co.caps()[0].period, CapPeriod::CalendarDay);
    assert_eq!(co.caps()[1].period, CapPeriod::CalendarWeek);
    assert!(co.caps()[1].per_channel);
    let cl = RulePack::builtin("cl-ley21320").expect("cl");
    assert_eq!(cl.caps()[1].period, CapPeriod::Rolling(7));
    assert_eq!(cl.caps()[1].min_gap_days, Some(2));
    let us = RulePack::builtin("us-regf").expect("us");
    assert_eq!(us.caps()[0].scope, CapScope::Account);
    assert_eq!(us.caps()[0].max, Some(7));
    assert_eq!(us.cooldowns()[0].days, 7);
}

fn err(src: &str) -> RulesError {
    RulePack::from_toml_str(src, "rules.toml").expect_err("should fail")
}

const WEEK: &str = "tue = []\nwed = []\nthu = []\nfri = []\nsat = []\nsun = []\n";

#[test]
fn errors_name_file_line_and_key() {
    let e = err(&format!(
        "id = \"x\"\n\n[windows]\nmon = [\"07:00-25:00\"]\n{WEEK}"
    ));
    assert_eq!(
        e.to_string(),
        "rules.toml:4: key `windows.mon`: end 25:00 is not a time"
    );
    assert_eq!(e.line(), Some(4));
    assert_eq!(e.key(), Some("windows.mon"));
    assert!(e.is_content());

    let e = err("id = \"x\"\ncolour = \"red\"\n");
    assert_eq!(e.line(), Some(2));
    assert_eq!(e.key(), Some("colour"));
    assert!(
        e.to_string()
            .starts_with("rules.toml:2: key `colour`: unknown field `colour`"),
        "{e}"
    );

    let e = err(
        "id = \"x\"\n[[caps]]\nperiod = \"calendar_day\"\nmax = 1\n[[caps]]\nperiod = \"rolling\"\nmax = 2\n",
    );
    assert_eq!(e.key(), Some("caps[1].days"));
    assert_eq!(e.line(), Some(6));

    let e = err("id = \"x\"\n[[caps]]\nperiod = \"fortnight\"\nmax = 1\n");
    assert_eq!(e.key(), Some("caps[0].period"));
    assert_eq!(e.line(), Some(3));

    let e = err("id = \"x\"\n[[caps]]\nperiod = \"calendar_day\"\nmax = 0\n");
    assert_eq!(e.key(), Some("caps[0].max"));
    assert_eq!(e.line(), Some(4));

    let e = err("id = \"x\"\n[targets]\nallowed_roles = [\"debtor\", \"cousin\"]\n");
    assert_eq!(e.line(), Some(3));
    assert_eq!(e.key(), Some("targets.allowed_roles"));

    let e = err(&format!(
        "id = \"x\"\n[windows]\nmon = [\"09:00-12:00\", \"11:00-13:00\"]\n{WEEK}"
    ));
    assert_eq!(e.key(), Some("windows.mon"));
    assert!(e.to_string().contains("overlap"));

    let e = err("id = \"x\"\n[windows]\nmon = [\"09:00-12:00\"]\n");
    assert_eq!(e.key(), Some("windows.tue"));

    let e = err("id = \"x\"\n[holidays]\ncalendar = \"XX\"\n");
    assert_eq!(e.key(), Some("holidays.calendar"));
    assert_eq!(e.line(), Some(3));

    let e = err("id = \"x\"\n[holidays]\ncalendar = \"MX\"\nadd = [\"2026-02-30\"]\n");
    assert_eq!(e.key(), Some("holidays.add[0]"));
    assert_eq!(e.line(), Some(4));

    let e = err(&format!(
        "id = \"x\"\n[windows]\nmon = [\"09:00-12:00\"]\n{WEEK}holiday = []\n"
    ));
    assert_eq!(e.key(), Some("windows.holiday"));

    let e = err("name = \"no id\"\n");
    assert_eq!(e.key(), Some("id"));

    let e = err("id = \"x\"\n[windows\n");
    assert_eq!(e.line(), Some(2));

    let e = RulePack::load(Path::new("/nonexistent/rules.toml")).unwrap_err();
    assert!(e.is_io());
}

#[test]
fn holiday_add_and_remove() {
    let p = RulePack::from_toml_str(
        &format!(
            "id = \"x\"\ncountry = \"MX\"\n[windows]\nmon = [\"07:00-22:00\"]\n{WEEK}holiday = []\n[holidays]\nadd = [\"2026-12-14\", {{ date = \"2026-12-15\", name = \"Día del Cobrador\" }}]\nremove = [\"2026-11-16\"]\n"
        ),
        "x.toml",
    )
    .expect("pack");
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    assert!(p.is_holiday(d("2026-12-14")));
    assert_eq!(
        p.holiday_name(d("2026-12-15")).as_deref(),
        Some("Día del Cobrador")
    );
    assert!(!p.is_holiday(d("2026-11-16")));
    assert!(p.is_holiday(d("2026-12-25")));
    assert_eq!(p.calendar(), Some("MX"));
}
