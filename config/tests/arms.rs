//! `[[arms]]` and `holdout` of campaign.toml: what loads, and every
//! refusal naming the file, the line and the field.

use std::path::{Path, PathBuf};

use cobro_config::{ConfigError, LoadedCampaign};

const STRATEGY: &str = "id = \"{id}\"\nstop_on = [{stop}]\n\n[[steps]]\nid = \"d0\"\nday = 0\nchannel = \"email\"\ntemplate = \"recordatorio\"\n";

fn strategy(dir: &Path, name: &str, stop: &str) {
    std::fs::write(
        dir.join(name),
        STRATEGY
            .replace("{id}", name.trim_end_matches(".toml"))
            .replace("{stop}", stop),
    )
    .expect("write strategy");
}

/// A campaign file with `head` among its top-level keys and `tail` after
/// its tables.
fn campaign(dir: &Path, head: &str, tail: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("templates")).expect("templates dir");
    let path = dir.join("campaign.toml");
    std::fs::write(
        &path,
        format!(
            "id = \"c-1\"\nstart_date = \"2026-12-01\"\nportfolio = \"portfolio.csv\"\ntemplates = \"templates\"\n{head}\n\n\
             [rules]\ndefault = [\"mx-profeco\"]\n\n\
             [sender]\ncollector = \"C\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"a@b.example\"\n\
             sms_from = \"C\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://p.example/\"\n{tail}"
        ),
    )
    .expect("write campaign");
    path
}

const TWO_ARMS: &str = "\n[[arms]]\nid = \"champion\"\nstrategy = \"a.toml\"\nweight = 3\n\n[[arms]]\nid = \"sms-first\"\nstrategy = \"b.toml\"\nweight = 1.5\n";

fn refusal(head: &str, tail: &str) -> (String, usize, String) {
    let dir = tempfile::tempdir().expect("tmp");
    strategy(dir.path(), "a.toml", "\"paid\"");
    strategy(dir.path(), "b.toml", "\"paid\"");
    strategy(dir.path(), "c.toml", "\"paid\", \"promise_to_pay\"");
    let path = campaign(dir.path(), head, tail);
    match LoadedCampaign::load(&path) {
        Ok(_) => panic!("loaded: {head} {tail}"),
        Err(e @ ConfigError::Invalid { .. }) => {
            let text = e.to_string();
            assert!(text.contains("campaign.toml"), "names the file: {text}");
            let ConfigError::Invalid { line, key, .. } = e else {
                unreachable!()
            };
            (key, line, text)
        }
        Err(other) => panic!("not an Invalid error: {other}"),
    }
}

#[test]
fn two_arms_and_a_holdout_load_with_arm_prefixed_steps() {
    let dir = tempfile::tempdir().expect("tmp");
    strategy(dir.path(), "a.toml", "\"paid\"");
    strategy(dir.path(), "b.toml", "\"paid\"");
    let path = campaign(dir.path(), "holdout = 10\nattribution_days = 45", TWO_ARMS);
    let loaded = LoadedCampaign::load(&path).expect("loads");
    let arms = loaded.arms.as_ref().expect("arms");
    assert_eq!(arms.split.holdout, 10.0);
    assert_eq!(arms.split.arms[0].id, "champion");
    assert_eq!(arms.split.arms[1].weight, 1.5);
    assert_eq!(loaded.attribution_days(), 45);
    let steps: Vec<&str> = loaded
        .strategy
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(steps, ["champion.d0", "sms-first.d0"]);
    // Each account plans with its own arm's steps, or none in the holdout.
    let mut seen = [0; 3];
    for i in 0..2_000 {
        let id = format!("A-{i}");
        match loaded.strategy_for(&id) {
            None => seen[0] += 1,
            Some(s) if s.steps[0].id == "champion.d0" => seen[1] += 1,
            Some(_) => seen[2] += 1,
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    assert!(seen[1] > seen[2] * 3 / 2, "weight 3 vs 1.5: {seen:?}");
}

#[test]
fn every_wrong_arm_is_refused_with_its_line_and_field() {
    let (key, line, text) = refusal("holdout = 100", TWO_ARMS);
    assert_eq!((key.as_str(), line), ("holdout", 5), "{text}");
    assert!(text.contains("percentage"), "{text}");
    let (key, _, text) = refusal("holdout = -1", TWO_ARMS);
    assert_eq!(key, "holdout", "{text}");

    let (key, line, text) = refusal("", &TWO_ARMS.replace("weight = 1.5", "weight = 0"));
    assert_eq!(key, "arms[1].weight", "{text}");
    assert_eq!(line, 26, "{text}");
    let (key, _, _) = refusal("", &TWO_ARMS.replace("weight = 3", "weight = -2"));
    assert_eq!(key, "arms[0].weight");

    let (key, line, text) = refusal("", &TWO_ARMS.replace("sms-first", "champion"));
    assert_eq!(key, "arms[1].id", "{text}");
    assert_eq!(line, 24, "{text}");
    assert!(text.contains("already"), "{text}");
    let (key, _, _) = refusal("", &TWO_ARMS.replace("sms-first", "SMS First"));
    assert_eq!(key, "arms[1].id");
    let (key, _, _) = refusal("", &TWO_ARMS.replace("sms-first", "holdout"));
    assert_eq!(key, "arms[1].id");

    let (key, line, text) = refusal("", &TWO_ARMS.replace("b.toml", "missing.toml"));
    assert_eq!(key, "arms[1].strategy", "{text}");
    assert_eq!(line, 25, "{text}");
    assert!(text.contains("missing.toml"), "{text}");

    let (key, _, text) = refusal("", &TWO_ARMS.replace("b.toml", "c.toml"));
    assert_eq!(key, "arms[1].strategy", "{text}");
    assert!(text.contains("stop_on"), "{text}");

    let (key, _, text) = refusal("strategy = \"a.toml\"", TWO_ARMS);
    assert_eq!(key, "strategy", "{text}");
    let (key, _, text) = refusal("strategy = \"a.toml\"\nholdout = 5", "");
    assert_eq!(key, "holdout", "{text}");
    assert!(text.contains("[[arms]]"), "{text}");
    let (key, _, text) = refusal("", "");
    assert_eq!(key, "strategy", "{text}");
    let (key, _, _) = refusal("attribution_days = 0", TWO_ARMS);
    assert_eq!(key, "attribution_days");
    let (_, _, text) = refusal(
        "",
        &TWO_ARMS.replace("weight = 3", "weight = 3\ncolour = \"red\""),
    );
    assert!(text.contains("colour"), "unknown field named: {text}");
}
