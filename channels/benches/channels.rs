//! Throughput of the channel layer, measured with plain `std::time`:
//!
//! 1. rendering the example templates (es-MX) per second;
//! 2. render + outbox write per second (email `.eml` and SMS `.json`);
//! 3. SMTP sends per second to a real postfix `smtp-sink` on localhost,
//!    one at a time and with 8 in flight (pooled connections).
//!
//! Run: `cargo bench -p cobro-channels` (sizes: `COBRO_BENCH_N`, default
//! 5000 renders/writes and 2000 SMTP sends).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cobro_campaigns::ChannelKind;
use cobro_channels::outbox::OutboxChannel;
use cobro_channels::providers::smtp::{SmtpChannel, SmtpConfig, TlsMode};
use cobro_channels::templates::{MessageContext, TemplateSet};
use cobro_channels::{Channel, OutboundMessage};

fn n(default: usize) -> usize {
    std::env::var("COBRO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(name: &str, count: usize, elapsed: Duration) {
    println!(
        "{name:<48} {count:>7} in {:>8.3} s = {:>10.0} /s",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
}

fn message(
    set: &TemplateSet,
    ctx: &MessageContext,
    i: usize,
    channel: ChannelKind,
) -> OutboundMessage {
    let template = if channel == ChannelKind::Email {
        "recordatorio"
    } else {
        "aviso_sms"
    };
    let r = set.render(template, "es-MX", channel, ctx).expect("render");
    OutboundMessage {
        contact_id: format!("bench/A-{i:07}/{template}"),
        channel,
        to: if channel == ChannelKind::Email {
            format!("deudor{i}@example.com")
        } else {
            "+525512345678".into()
        },
        from: String::new(),
        language: "es-MX".into(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        unsubscribe_url: ctx.unsubscribe_url.clone(),
        status_callback: None,
        reference: None,
        voice: None,
        sent_at: None,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let set = TemplateSet::load(&common::examples_dir()).expect("example templates");
    let today = NaiveDate::from_ymd_opt(2026, 12, 22).expect("date");
    let ctx =
        MessageContext::from_account(&common::account("es-MX", "MXN"), &common::sender(), today)
            .with_unsubscribe_url("https://cobro.example/u/tok123")
            .with_portal_link("https://cobro.example/d/tok456");
    println!(
        "cobro-channels bench ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // 0. What the example SMS texts cost (the example sender: a 30-character
    //    agency name and a 50-character payment link).
    for (lang, currency) in [
        ("es-MX", "MXN"),
        ("es-CO", "COP"),
        ("es-CL", "CLP"),
        ("es-PE", "PEN"),
        ("en-US", "USD"),
    ] {
        let c = MessageContext::from_account(
            &common::account(lang, currency),
            &common::sender(),
            today,
        )
        .with_portal_link("https://cobro.example/d/tok456");
        let mut row = format!("sms segments {lang}:");
        for template in ["aviso_sms", "mensaje_voz", "ultimo_aviso"] {
            let r = set
                .render(template, lang, ChannelKind::Sms, &c)
                .expect("render");
            let e = cobro_channels::encoding::sms_segments(&r.text);
            row.push_str(&format!(
                " {template}={} ({:?}, {} units)",
                e.segments, e.encoding, e.units
            ));
        }
        println!("{row}");
    }

    // 1. Rendering alone.
    let count = n(5000);
    for (label, channel) in [
        ("render email (subject+text+html)", ChannelKind::Email),
        ("render sms", ChannelKind::Sms),
    ] {
        let start = Instant::now();
        for i in 0..count {
            std::hint::black_box(message(&set, &ctx, i, channel));
        }
        report(label, count, start.elapsed());
    }

    // 1b. Building the RFC 5322 message (lettre) from a rendered email.
    let msgs: Vec<OutboundMessage> = (0..count)
        .map(|i| message(&set, &ctx, i, ChannelKind::Email))
        .collect();
    let start = Instant::now();
    for m in &msgs {
        let built = cobro_channels::providers::smtp::build_email(
            "bench",
            m,
            "Cobranzas Andinas <avisos@cobranzas-andinas.example>",
        )
        .expect("build");
        std::hint::black_box(built.formatted());
    }
    report(
        "build + format RFC 5322 email (lettre)",
        count,
        start.elapsed(),
    );
    drop(msgs);

    // 2. Render + outbox write, one writer and 8 concurrent writers.
    for (label, channel, concurrency) in [
        ("render + outbox .eml, 1 writer", ChannelKind::Email, 1usize),
        ("render + outbox .eml, 8 writers", ChannelKind::Email, 8),
        ("render + outbox .json (sms), 1 writer", ChannelKind::Sms, 1),
        (
            "render + outbox .json (sms), 8 writers",
            ChannelKind::Sms,
            8,
        ),
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let outbox = Arc::new(OutboxChannel::new(dir.path()).expect("outbox"));
        let set = Arc::new(TemplateSet::load(&common::examples_dir()).expect("templates"));
        let ctx = Arc::new(ctx.clone());
        let start = Instant::now();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for w in 0..concurrency {
                let (outbox, set, ctx) = (outbox.clone(), set.clone(), ctx.clone());
                tasks.push(tokio::spawn(async move {
                    for i in (w..count).step_by(concurrency) {
                        let msg = message(&set, &ctx, i, channel);
                        outbox.send(&msg).await.expect("write");
                    }
                }));
            }
            for t in tasks {
                t.await.expect("join");
            }
        });
        let elapsed = start.elapsed();
        let files = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(files, count);
        report(label, count, elapsed);
    }

    // 3. SMTP to a real smtp-sink (no dump files: measures the SMTP path).
    let count = n(2000).min(5000);
    let sink = cobro_testkit::SmtpSink::start_opts(false, &[]);
    for concurrency in [1usize, 8] {
        let mut cfg = SmtpConfig::new(
            "127.0.0.1",
            sink.port,
            TlsMode::None,
            "Cobranzas Andinas <avisos@cobranzas-andinas.example>",
        );
        cfg.max_concurrent = concurrency;
        let smtp = Arc::new(SmtpChannel::new(cfg).expect("smtp"));
        let msgs: Arc<Vec<OutboundMessage>> = Arc::new(
            (0..count)
                .map(|i| message(&set, &ctx, i, ChannelKind::Email))
                .collect(),
        );
        // Warm the pool so connection set-up is not billed to the first
        // messages only.
        rt.block_on(smtp.send(&msgs[0])).expect("warm-up");
        let start = Instant::now();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for w in 0..concurrency {
                let (smtp, msgs) = (smtp.clone(), msgs.clone());
                tasks.push(tokio::spawn(async move {
                    for i in (w..count).step_by(concurrency) {
                        smtp.send(&msgs[i]).await.expect("smtp send");
                    }
                }));
            }
            for t in tasks {
                t.await.expect("join");
            }
        });
        report(
            &format!("smtp send to smtp-sink, {concurrency} in flight"),
            count,
            start.elapsed(),
        );
    }
}
