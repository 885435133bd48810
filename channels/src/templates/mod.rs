//! Message templates: minijinja, strict about undefined variables, one set
//! per language, HTML auto-escaped.
//!
//! # Layout
//!
//! ```text
//! <dir>/<language>/<template>.<channel>.<part>
//! ```
//!
//! `<language>` is a BCP 47 tag (`es-MX`, `en-US`) or a bare language
//! (`es`) used as that language's fallback. `<channel>` is `email`, `sms`,
//! `voice`, or `agent_call`/`agent_task` (the script a collector reads,
//! shown with the task). `<part>` is `txt` (required for every channel), `subject`
//! (required for email) and `html` (optional for email; auto-escaped).
//! Other files (`README.md`, dot files) are ignored; any other name in a
//! language folder is an error, so a typo cannot silently drop a message.
//!
//! # Language fallback
//!
//! `es-CO` uses `es-CO/`, else `es/`, else fails. There is deliberately no
//! fallback across regions (`es-CO` never gets `es-MX` text): amounts,
//! laws and wording differ between countries.
//!
//! # Filters
//!
//! `money` and `date`, formatted for the context's `language`
//! (see [`filters`]).

mod context;
pub mod filters;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cobro_campaigns::TemplateElement;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

pub use context::{MessageContext, SenderIdentity, default_opt_out_keyword};

use crate::ChannelKind;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Layout { path: PathBuf, reason: String },
    #[error("{name}{}: {message}", line_suffix(.line))]
    Syntax {
        name: String,
        line: Option<usize>,
        message: String,
    },
    #[error("no template `{template}` for {channel} in {language} (looked in {tried})")]
    NotFound {
        template: String,
        language: String,
        channel: ChannelKind,
        tried: String,
    },
    #[error("rendering {name}{}: {message}", line_suffix(.line))]
    Render {
        name: String,
        line: Option<usize>,
        message: String,
    },
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

impl TemplateError {
    /// Rendering failed because of the data (a missing variable), not the
    /// template set: the dispatcher fails that contact, not the campaign.
    pub fn is_render(&self) -> bool {
        matches!(self, TemplateError::Render { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, TemplateError::NotFound { .. })
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// Which parts a (language, template, channel) has.
#[derive(Debug, Clone, Default)]
struct Parts {
    subject: bool,
    html: bool,
}

/// All templates of a folder, compiled once at load.
#[derive(Debug)]
pub struct TemplateSet {
    env: Environment<'static>,
    /// language folder name → (template, channel) → parts
    index: BTreeMap<String, BTreeMap<(String, ChannelKind), Parts>>,
    root: PathBuf,
}

fn channel_from(s: &str) -> Option<ChannelKind> {
    match s {
        "email" => Some(ChannelKind::Email),
        "sms" => Some(ChannelKind::Sms),
        "voice" => Some(ChannelKind::Voice),
        // A collector's call script (plain text read on the work page).
        "agent_call" => Some(ChannelKind::AgentCall),
        "agent_task" => Some(ChannelKind::AgentTask),
        _ => None,
    }
}

/// The environment every template set uses.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_keep_trailing_newline(false);
    env.set_formatter(html_formatter);
    env.add_filter("money", filters::money_filter);
    env.add_filter("date", filters::date_filter);
    env
}

/// minijinja's HTML escaping also turns `/` into `&#x2f;`, which is valid
/// but makes every link in an email's source unreadable (and trips some
/// link scanners). Escaping `& < > " '` is what HTML needs in text and in
/// quoted attributes, so that is all this does; everything else (other
/// modes, undefined values under strict mode) goes to the default.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    use std::fmt::Write;
    if !matches!(state.auto_escape(), AutoEscape::Html)
        || value.is_safe()
        || value.is_undefined()
        || value.is_none()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    for c in text.chars() {
        match c {
            '&' => out.write_str("&amp;")?,
            '<' => out.write_str("&lt;")?,
            '>' => out.write_str("&gt;")?,
            '"' => out.write_str("&quot;")?,
            '\'' => out.write_str("&#x27;")?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

fn syntax(name: &str, e: &minijinja::Error) -> TemplateError {
    TemplateError::Syntax {
        name: name.to_string(),
        line: e.line(),
        message: e.to_string(),
    }
}

impl TemplateSet {
    /// Loads and compiles every template under `dir` (layout in the module
    /// docs). Fails on the first syntax error or misnamed file.
    pub fn load(dir: &Path) -> Result<TemplateSet, TemplateError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TemplateError::Io { path, source }
        };
        let mut env = environment();
        let mut index: BTreeMap<String, BTreeMap<(String, ChannelKind), Parts>> = BTreeMap::new();
        let mut langs: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io(dir))?;
        langs.sort_by_key(|e| e.file_name());
        for lang_entry in langs {
            let lang_path = lang_entry.path();
            let lang = lang_entry.file_name().to_string_lossy().into_owned();
            if lang.starts_with('.') || !lang_path.is_dir() {
                continue;
            }
            let mut txt: BTreeSet<(String, ChannelKind)> = BTreeSet::new();
            let mut files: Vec<_> = std::fs::read_dir(&lang_path)
                .map_err(io(&lang_path))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(io(&lang_path))?;
            files.sort_by_key(|e| e.file_name());
            for file in files {
                let path = file.path();
                let file_name = file.file_name().to_string_lossy().into_owned();
                if file_name.starts_with('.') || file_name.ends_with(".md") {
                    continue;
                }
                let layout = |reason: &str| TemplateError::Layout {
                    path: path.clone(),
                    reason: reason.to_string(),
                };
                let mut pieces = file_name.rsplitn(3, '.');
                let (Some(part), Some(channel), Some(template)) =
                    (pieces.next(), pieces.next(), pieces.next())
                else {
                    return Err(layout(
                        "expected <template>.<email|sms|voice|agent_call|agent_task>.<txt|subject|html>",
                    ));
                };
                let channel = channel_from(channel).ok_or_else(|| {
                    layout("channel must be email, sms, voice, agent_call or agent_task")
                })?;
                let entry = index
                    .entry(lang.clone())
                    .or_default()
                    .entry((template.to_string(), channel))
                    .or_default();
                match (part, channel) {
                    ("txt", _) => {
                        txt.insert((template.to_string(), channel));
                    }
                    ("subject", ChannelKind::Email) => entry.subject = true,
                    ("html", ChannelKind::Email) => entry.html = true,
                    _ => {
                        return Err(layout(
                            "part must be txt (any channel), subject or html (email)",
                        ));
                    }
                }
                let source = cobro_campaigns::text_file::read_utf8(&path).map_err(io(&path))?;
                let name = format!("{lang}/{file_name}");
                env.add_template_owned(name.clone(), source)
                    .map_err(|e| syntax(&name, &e))?;
            }
            if let Some(templates) = index.get(&lang) {
                for ((template, channel), parts) in templates {
                    let path = lang_path.join(format!("{template}.{channel}.txt"));
                    if !txt.contains(&(template.clone(), *channel)) {
                        return Err(TemplateError::Layout {
                            path,
                            reason: "missing: every template needs a .txt part".into(),
                        });
                    }
                    if *channel == ChannelKind::Email && !parts.subject {
                        return Err(TemplateError::Layout {
                            path: lang_path.join(format!("{template}.email.subject")),
                            reason: "missing: email templates need a subject".into(),
                        });
                    }
                }
            }
        }
        Ok(TemplateSet {
            env,
            index,
            root: dir.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Language folders present.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    /// The language folders tried for `language`, in order.
    fn candidates(language: &str) -> Vec<String> {
        let mut out = vec![language.to_string()];
        if let Some((base, _)) = language.split_once(['-', '_']) {
            out.push(base.to_string());
        }
        out
    }

    /// The folder that serves `language` for this template and channel.
    fn resolve(
        &self,
        template: &str,
        language: &str,
        channel: ChannelKind,
    ) -> Result<(&str, &Parts), TemplateError> {
        let candidates = Self::candidates(language);
        for candidate in &candidates {
            // Folder names are matched case-insensitively (`es-mx` = `es-MX`).
            let found = self
                .index
                .iter()
                .find(|(lang, _)| lang.eq_ignore_ascii_case(candidate));
            if let Some((lang, templates)) = found
                && let Some(parts) = templates.get(&(template.to_string(), channel))
            {
                return Ok((lang.as_str(), parts));
            }
        }
        Err(TemplateError::NotFound {
            template: template.to_string(),
            language: language.to_string(),
            channel,
            tried: candidates.join(", "),
        })
    }

    pub fn has(&self, template: &str, language: &str, channel: ChannelKind) -> bool {
        self.resolve(template, language, channel).is_ok()
    }

    fn render_part(&self, name: &str, ctx: &minijinja::Value) -> Result<String, TemplateError> {
        let tmpl = self.env.get_template(name).map_err(|e| syntax(name, &e))?;
        tmpl.render(ctx).map_err(|e| TemplateError::Render {
            name: name.to_string(),
            line: e.line(),
            message: format!("{e:#}"),
        })
    }

    /// Renders `template` for `channel` in `language`. Email gets a
    /// one-line subject, text and (when the template has one) HTML.
    pub fn render(
        &self,
        template: &str,
        language: &str,
        channel: ChannelKind,
        ctx: &MessageContext,
    ) -> Result<Rendered, TemplateError> {
        let (lang, parts) = self.resolve(template, language, channel)?;
        let value = minijinja::Value::from_serialize(ctx);
        let base = format!("{lang}/{template}.{channel}");
        let text = self
            .render_part(&format!("{base}.txt"), &value)?
            .trim()
            .to_string();
        let subject = if parts.subject {
            let raw = self.render_part(&format!("{base}.subject"), &value)?;
            Some(raw.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            None
        };
        let html = if parts.html {
            Some(self.render_part(&format!("{base}.html"), &value)?)
        } else {
            None
        };
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }

    /// Variables a template part uses that no message ever provides
    /// (a typo, or a field that does not exist): `(file, line, name)`.
    /// Such a template would fail to render for every contact at send
    /// time, so a launch refuses it instead. `unsubscribe_url` counts as
    /// known (present for email only; `is defined` guards it elsewhere).
    pub fn unknown_variables(
        &self,
        template: &str,
        language: &str,
        channel: ChannelKind,
    ) -> Result<Vec<(String, usize, String)>, TemplateError> {
        const KNOWN: [&str; 15] = [
            "portal_link",
            "debtor_name",
            "creditor",
            "collector",
            "collector_phone",
            "amount_due",
            "currency",
            "due_date",
            "days_past_due",
            "payment_link",
            "unsubscribe_url",
            "opt_out_keyword",
            "account_id",
            "language",
            "attributes",
        ];
        let (lang, parts) = self.resolve(template, language, channel)?;
        let base = format!("{lang}/{template}.{channel}");
        let mut names = vec![format!("{base}.txt")];
        if parts.subject {
            names.push(format!("{base}.subject"));
        }
        if parts.html {
            names.push(format!("{base}.html"));
        }
        let mut unknown = Vec::new();
        for name in names {
            let tmpl = self
                .env
                .get_template(&name)
                .map_err(|e| syntax(&name, &e))?;
            let mut vars: Vec<String> = tmpl
                .undeclared_variables(false)
                .into_iter()
                .filter(|v| !KNOWN.contains(&v.as_str()))
                .collect();
            vars.sort();
            for var in vars {
                let line = tmpl
                    .source()
                    .lines()
                    .position(|l| l.contains(var.as_str()))
                    .map_or(0, |i| i + 1);
                unknown.push((name.clone(), line, var));
            }
        }
        Ok(unknown)
    }

    /// Which of `required` the template lacks, by static inspection of the
    /// variables it uses (and, for opt-out in SMS and voice, a literal
    /// keyword). Every body part (text and HTML) must carry each element,
    /// since a mail client shows only one of them. A variable used inside
    /// a condition counts as present: keep required elements
    /// unconditional.
    pub fn missing_elements(
        &self,
        template: &str,
        language: &str,
        channel: ChannelKind,
        required: &[TemplateElement],
    ) -> Result<Vec<TemplateElement>, TemplateError> {
        let (lang, parts) = self.resolve(template, language, channel)?;
        let base = format!("{lang}/{template}.{channel}");
        let mut bodies = vec![format!("{base}.txt")];
        if parts.html {
            bodies.push(format!("{base}.html"));
        }
        let mut missing = Vec::new();
        for element in required {
            let mut present_everywhere = true;
            for name in &bodies {
                let tmpl = self.env.get_template(name).map_err(|e| syntax(name, &e))?;
                let vars = tmpl.undeclared_variables(false);
                if !element_present(*element, channel, &vars, tmpl.source()) {
                    present_everywhere = false;
                }
            }
            if !present_everywhere && !missing.contains(element) {
                missing.push(*element);
            }
        }
        Ok(missing)
    }
}

/// Reply keywords that count as opt-out instructions when written
/// literally in an SMS or voice template.
const OPT_OUT_WORDS: [&str; 4] = ["BAJA", "STOP", "ALTO", "CANCELAR"];

fn element_present(
    element: TemplateElement,
    channel: ChannelKind,
    vars: &std::collections::HashSet<String>,
    source: &str,
) -> bool {
    match element {
        TemplateElement::CollectorId => vars.contains("collector"),
        TemplateElement::CreditorId => vars.contains("creditor"),
        TemplateElement::PaymentLink => {
            vars.contains("payment_link") || vars.contains("portal_link")
        }
        TemplateElement::OptOut => match channel {
            ChannelKind::Email => vars.contains("unsubscribe_url"),
            ChannelKind::Sms | ChannelKind::Voice => {
                vars.contains("opt_out_keyword")
                    || source
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| OPT_OUT_WORDS.contains(&w))
            }
            // A collector hears "no me llamen más" and records it (the
            // `opt_out` outcome): a call script need not spell a keyword.
            ChannelKind::AgentCall | ChannelKind::AgentTask => true,
        },
    }
}
