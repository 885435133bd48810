use super::*;

#[test]
fn rejects_bad_account_sid() {
    let cfg = TwilioConfig::new("XX123", "token");
    assert!(TwilioSms::new(cfg).is_err());
    let cfg = TwilioConfig::new("AC123", "");
    assert!(TwilioSms::new(cfg).is_err());
}

#[test]
fn config_is_strict() {
    let err = serde_json::from_str::<TwilioConfig>(
        r#"{"account_sid":"AC1","auth_token":"t","form":"+1"}"#,
    );
    assert!(err.is_err());
    let ok: TwilioConfig =
        serde_json::from_str(r#"{"account_sid":"AC1","auth_token":"t","timeout":"2s"}"#)
            .expect("valid config");
    assert_eq!(ok.timeout, std::time::Duration::from_secs(2));
    assert_eq!(ok.base_url, DEFAULT_BASE_URL);
}
