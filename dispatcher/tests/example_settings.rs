//! The example settings file is valid and builds real transports.

use std::path::Path;
use std::sync::Arc;

use cobro_campaigns::ChannelKind;
use cobro_channels::null::NullChannel;
use cobro_config::Settings;
use cobro_dispatcher::transports::channel_set_from_settings;

#[tokio::test]
async fn example_cobro_toml_builds_smtp_and_twilio_transports() {
    // SAFETY: this test binary has a single test; nothing else reads these.
    unsafe {
        std::env::set_var("SMTP_PASSWORD", "smtp-secret");
        std::env::set_var("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000");
        std::env::set_var("TWILIO_AUTH_TOKEN", "twilio-secret");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/cobro.toml");
    let settings = Settings::load(&path).expect("example cobro.toml loads");
    assert_eq!(settings.worker.concurrency, 32);
    let set = channel_set_from_settings(
        &settings,
        Arc::new(NullChannel::new()),
        "sqlite://unused.db",
    )
    .await
    .expect("transports build");
    assert_eq!(set.provider_name(ChannelKind::Sms), "twilio");
    assert_eq!(set.provider_name(ChannelKind::Email), "smtp");

    // A provider key the provider does not know is refused, naming it:
    // at load now (the section is typed there), before any transport.
    let err = match Settings::from_toml_str(
        "[channels.sms]\nprovider = \"twilio\"\naccount_sid = \"AC1\"\nauth_token = \"x\"\nauth_tokn = \"y\"\n",
        Path::new("cobro.toml"),
    ) {
        Ok(_) => panic!("an unknown provider key must be refused"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("cobro.toml") && err.contains("channels.sms") && err.contains("auth_tokn"),
        "{err}"
    );
}
