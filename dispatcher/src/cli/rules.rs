//! `cobro rules check|explain|calendar`: the compliance
//! guard exposed to compliance officers. All the logic lives in
//! `cobro-compliance`; this file parses flags and prints.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use clap::Subcommand;
use cobro_campaigns::ChannelKind;
use cobro_compliance::{
    CalendarDay, ComplianceGuard, ContactAttempt, DebtorProfile, PastContact, ResolvedZones,
    RulePack, RulesError, month_calendar, resolve_timezones,
};

use crate::cli::BadInput;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate a rules file; prints `ok: <pack id>` or the error with file,
    /// line and key (exit 2).
    Check { file: std::path::PathBuf },
    /// Decide one contact and print the decision as one JSON object.
    Explain {
        /// Built-in pack name or file; repeat or comma-separate to stack.
        #[arg(long = "rules", required = true, value_delimiter = ',')]
        rules: Vec<String>,
        /// The instant of the send (RFC 3339).
        #[arg(long)]
        at: String,
        /// email, sms or voice.
        #[arg(long)]
        channel: String,
        /// Debtor profile as JSON, or @file.
        #[arg(long)]
        debtor: String,
        /// Past contacts as a JSON list, or @file.
        #[arg(long)]
        history: Option<String>,
        /// The address is on a suppression list.
        #[arg(long)]
        suppressed: bool,
    },
    /// Print each day's allowed local windows and the holidays of a month.
    Calendar {
        /// Built-in pack name or file; repeat or comma-separate to stack.
        #[arg(long = "rules", required = true, value_delimiter = ',')]
        rules: Vec<String>,
        /// ISO 3166-1 country.
        #[arg(long)]
        country: String,
        /// ISO 3166-2 subdivision (e.g. MX-BCN).
        #[arg(long)]
        subdivision: Option<String>,
        /// Explicit IANA zone.
        #[arg(long)]
        timezone: Option<String>,
        /// email, sms or voice (channel margins differ).
        #[arg(long, default_value = "voice")]
        channel: String,
        /// YYYY-MM.
        #[arg(long)]
        month: String,
    },
}

/// Writes to stdout; a closed pipe (`| head`) ends the command quietly.
fn emit(out: &mut impl Write, line: &str) -> anyhow::Result<bool> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
    }
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

fn load_packs(specs: &[String]) -> anyhow::Result<Vec<RulePack>> {
    specs
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| RulePack::load_named_or_file(s).map_err(|e| bad(e.to_string())))
        .collect()
}

/// Inline JSON, or `@path` to read it from a file.
fn json_arg<T: serde::de::DeserializeOwned>(flag: &str, value: &str) -> anyhow::Result<T> {
    let (origin, text) = match value.strip_prefix('@') {
        Some(path) => (
            path.to_string(),
            std::fs::read_to_string(path).map_err(|e| bad(format!("{path}: {e}")))?,
        ),
        None => (format!("--{flag}"), value.to_string()),
    };
    serde_json::from_str(&text).map_err(|e| bad(format!("{origin}:{}: {flag}: {e}", e.line())))
}

fn parse_channel(s: &str) -> anyhow::Result<ChannelKind> {
    s.parse::<ChannelKind>()
        .map_err(|e| bad(format!("--channel: {e}")))
}

/// `cobro rules check` on a file's bytes: the pack, or the error naming
/// `origin`, the line and the key. Nothing is installed; the console's
/// check page calls it on an uploaded file.
pub fn check_rules(origin: &str, bytes: Vec<u8>) -> Result<RulePack, RulesError> {
    RulePack::from_utf8_bytes(bytes, origin)
}

/// An RFC 3339 instant (`--at`, the console's `at`).
pub fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{raw}` is not an RFC 3339 instant: {e}"))
}

/// The month of `cobro rules calendar`: its first day, the zones of the
/// place and each day's windows and holidays under the stacked packs.
pub struct MonthView {
    pub first: NaiveDate,
    pub zones: ResolvedZones,
    pub days: Vec<CalendarDay>,
}

/// Builds the calendar of `month` (`YYYY-MM`) for a place (country, or
/// subdivision, or explicit zone) and a channel. The error names the
/// flag (`--month`, `--country`…) that is wrong.
pub fn month_view(
    packs: &[RulePack],
    country: &str,
    subdivision: Option<&str>,
    timezone: Option<&str>,
    channel: ChannelKind,
    month: &str,
) -> Result<MonthView, String> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| format!("--month: `{month}` is not YYYY-MM"))?;
    let zones = resolve_timezones(country, subdivision, timezone).map_err(|e| e.to_string())?;
    let days = month_calendar(packs, &zones.zones, channel, first.year(), first.month());
    Ok(MonthView { first, zones, days })
}

/// One allowed interval of a calendar day on a zone's clock, as the CLI
/// prints it: `07:00-19:00`; `24:00` for midnight at the end; `(+1d)`
/// when it ends the next day; the start's date when it began the day
/// before.
pub fn window_label(day: NaiveDate, a: NaiveDateTime, b: NaiveDateTime) -> String {
    let end = if b.date() != a.date() && b.time() == NaiveTime::MIN {
        "24:00".to_string()
    } else if b.date() != a.date() {
        format!("{}(+1d)", b.format("%H:%M"))
    } else {
        b.format("%H:%M").to_string()
    };
    let start = if a.date() != day {
        format!("{}({})", a.format("%H:%M"), a.date().format("%m-%d"))
    } else {
        a.format("%H:%M").to_string()
    };
    format!("{start}-{end}")
}

pub fn run(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Check { file } => {
            let bytes =
                std::fs::read(&file).map_err(|e| bad(format!("{}: {e}", file.display())))?;
            let pack =
                check_rules(&file.display().to_string(), bytes).map_err(|e| bad(e.to_string()))?;
            emit(&mut std::io::stdout().lock(), &format!("ok: {}", pack.id()))?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Explain {
            rules,
            at,
            channel,
            debtor,
            history,
            suppressed,
        } => {
            let packs = load_packs(&rules)?;
            let now = parse_instant(&at).map_err(|e| bad(format!("--at: {e}")))?;
            let channel = parse_channel(&channel)?;
            let debtor: DebtorProfile = json_arg("debtor", &debtor)?;
            let history: Vec<PastContact> = match history {
                Some(h) => json_arg("history", &h)?,
                None => Vec::new(),
            };
            let guard = ComplianceGuard::with_packs(packs);
            let verdict = guard.decide(
                &ContactAttempt {
                    channel,
                    suppressed,
                },
                &debtor,
                &history,
                now,
            );
            let json = verdict.to_explain_string();
            emit(&mut std::io::stdout().lock(), &json)?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Calendar {
            rules,
            country,
            subdivision,
            timezone,
            channel,
            month,
        } => {
            let packs = load_packs(&rules)?;
            let channel = parse_channel(&channel)?;
            let view = month_view(
                &packs,
                &country,
                subdivision.as_deref(),
                timezone.as_deref(),
                channel,
                &month,
            )
            .map_err(bad)?;
            let ids: Vec<&str> = packs.iter().map(|p| p.id()).collect();
            let zone_names: Vec<&str> = view.zones.zones.iter().map(|z| z.name()).collect();
            let mut out = std::io::stdout().lock();
            let header = format!(
                "{} {} — rules {} — channel {} — zones ({}) {}",
                view.first.format("%Y-%m"),
                country.to_ascii_uppercase(),
                ids.join("+"),
                channel,
                view.zones.source.as_str(),
                zone_names.join(", ")
            );
            if !emit(&mut out, &header)? {
                return Ok(ExitCode::SUCCESS);
            }
            for day in view.days {
                let mut line = format!("{} {}", day.date, day.date.format("%a"));
                if day.allowed_utc.is_empty() {
                    line.push_str("  closed");
                } else {
                    for zd in &day.zones {
                        let wins: Vec<String> = zd
                            .windows
                            .iter()
                            .map(|(a, b)| window_label(day.date, *a, *b))
                            .collect();
                        line.push_str(&format!("  {} {}", zd.zone.name(), wins.join(",")));
                    }
                }
                if !day.holidays.is_empty() {
                    let mut names: Vec<String> = Vec::new();
                    for (pack, name) in &day.holidays {
                        let s = format!("{name} [{pack}]");
                        if !names.contains(&s) {
                            names.push(s);
                        }
                    }
                    line.push_str(&format!("  holiday: {}", names.join("; ")));
                }
                if !emit(&mut out, &line)? {
                    break;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
