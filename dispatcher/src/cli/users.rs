//! `cobro users add|token|disable|enable|list`: the people who log in to
//! the console and call the API. Passwords come on stdin, never as an
//! argument (argv is visible to every user of the machine).

use std::io::Read;
use std::process::ExitCode;

use chrono::Utc;

use super::BadInput;
use super::common::StoreArg;
use crate::store::prelude::*;
use crate::users::{Role, User, new_secret, normalise_email, secret_hash};

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Create a user, or replace one with the same email (its password,
    /// role and creditor; its API token stops working).
    Add {
        email: String,
        /// admin, operations, compliance, collector or creditor.
        #[arg(long)]
        role: String,
        /// The creditor a `creditor` user sees (as in the portfolio).
        #[arg(long)]
        creditor: Option<String>,
        /// A work-queue team a `collector` works (repeat for several;
        /// none: every team).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read the password from standard input (its first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Print a new API bearer token for the user; the previous one stops
    /// working.
    Token {
        email: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Refuse the user's logins, sessions and token from now on.
    Disable {
        email: String,
        #[command(flatten)]
        store: StoreArg,
    },
    Enable {
        email: String,
        #[command(flatten)]
        store: StoreArg,
    },
    List {
        #[command(flatten)]
        store: StoreArg,
    },
}

fn email_of(raw: &str) -> Result<String, BadInput> {
    normalise_email(raw).map_err(|e| BadInput(e.to_string()))
}

pub async fn run(cmd: UsersCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UsersCommand::Add {
            email,
            role,
            creditor,
            teams,
            password_stdin: _,
            store,
        } => {
            let role: Role = role.parse().map_err(BadInput)?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.lines().next().unwrap_or_default();
            let user = User::new(&email, role, creditor.as_deref(), password, Utc::now())
                .and_then(|u| u.with_teams(&teams))
                .map_err(|e| BadInput(e.to_string()))?;
            let store = store.open().await?;
            let replaced = store.user(&user.email).await?.is_some();
            store.put_user(&user).await?;
            println!(
                "{} {} ({}{})",
                if replaced { "replaced" } else { "added" },
                user.email,
                user.role,
                user.creditor
                    .as_deref()
                    .map(|c| format!(", creditor {c}"))
                    .unwrap_or_default()
            );
        }
        UsersCommand::Token { email, store } => {
            let email = email_of(&email)?;
            let store = store.open().await?;
            let Some(mut user) = store.user(&email).await? else {
                return Err(BadInput(format!("no user '{email}'")).into());
            };
            let token = new_secret("cobro_");
            let hash = secret_hash(&token);
            store.put_token(&hash, &user.email).await?;
            user.token_hash = Some(hash);
            store.put_user(&user).await?;
            println!("{token}");
        }
        UsersCommand::Disable { email, store } => set_disabled(&email, &store, true).await?,
        UsersCommand::Enable { email, store } => set_disabled(&email, &store, false).await?,
        UsersCommand::List { store } => {
            let store = store.open().await?;
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.email,
                    u.role,
                    if u.teams.is_empty() {
                        u.creditor.as_deref().unwrap_or("-").to_string()
                    } else {
                        format!("teams {}", u.teams.join(","))
                    },
                    if u.disabled { "disabled" } else { "enabled" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_disabled(email: &str, store: &StoreArg, disabled: bool) -> anyhow::Result<()> {
    let email = email_of(email)?;
    let store = store.open().await?;
    let Some(mut user) = store.user(&email).await? else {
        return Err(BadInput(format!("no user '{email}'")).into());
    };
    user.disabled = disabled;
    store.put_user(&user).await?;
    println!(
        "{} {}",
        if disabled { "disabled" } else { "enabled" },
        user.email
    );
    Ok(())
}
