//! A generic JSON webhook provider, so a shop can plug in any local SMS
//! aggregator or voice platform without code: a URL, headers (credentials
//! are [`Secret`]s) and an optional body template.
//!
//! The body template is minijinja with JSON auto-escaping: `{{ to }}`
//! renders as a JSON string literal (quotes included), so a template is
//! written like `{"msisdn": {{ to }}, "texto": {{ text }}}` and cannot be
//! broken by a quote in the text. Variables: every field of
//! [`OutboundMessage`] plus `segments` and `encoding` (`gsm7`/`ucs2`).
//! Without a template the message itself is posted as JSON.
//!
//! Answers: 2xx accepted (the provider id is read at `id_pointer`, a JSON
//! pointer, default `/id`); 429 throttled (honours `Retry-After`); 408/5xx
//! transient; other 4xx permanent, or opted-out when listed in
//! `opted_out_statuses` (some aggregators answer 403/410 for blocklisted
//! numbers).

mod config;
mod send;

pub use config::WebhookConfig;
pub use send::WebhookChannel;
