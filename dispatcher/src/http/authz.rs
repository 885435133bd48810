//! Which role may call which API route: one table, read by the auth
//! middleware on every `/api` call. A route not listed is the admin's
//! alone. Tenancy (a creditor sees only its own) is not here: it is
//! `Principal::sees`, asked by the handlers that read accounts.

use axum::http::Method;

use crate::users::Role;

use Role::{Admin, Collector, Compliance, Creditor, Operations};

const EVERYONE: &[Role] = &[Admin, Operations, Compliance, Collector, Creditor];
const STAFF: &[Role] = &[Admin, Operations, Compliance];
const OPERATIONS: &[Role] = &[Admin, Operations];

/// The roles allowed on (`method`, `path`), `path` as the route table
/// writes it, relative to `/api`.
pub fn roles_for(method: &Method, path: &str) -> &'static [Role] {
    match (method.as_str(), path) {
        ("GET", "/me") => EVERYONE,
        ("GET", "/accounts" | "/accounts/{id}" | "/accounts/{id}/history") => EVERYONE,
        ("GET", "/accounts/{id}/gestiones") => EVERYONE,
        ("POST", "/accounts/{id}/payments") => &[Admin, Operations, Creditor],
        ("POST", "/accounts/{id}/events") => &[Admin, Operations, Collector],
        ("POST", "/portfolios") => &[Admin, Operations, Creditor],
        ("GET", "/disputes" | "/reports/collections") => &[Admin, Operations, Compliance, Creditor],
        ("GET", "/campaigns" | "/campaigns/{id}" | "/campaigns/{id}/arms") => STAFF,
        ("POST", "/campaigns" | "/campaigns/{id}/{action}") => OPERATIONS,
        ("GET" | "POST" | "DELETE", "/suppressions") => STAFF,
        ("GET", "/review") | ("POST", "/review/{contact}") => OPERATIONS,
        ("GET", "/rules" | "/rules/explain") => STAFF,
        // A collector works its queue; staff may ask too (a supervisor
        // trying the queue), and only admin and operations supervise.
        ("GET", "/work/next") | ("POST", "/work/{task}/outcome") => &[Admin, Operations, Collector],
        ("GET", "/work/stats") | ("POST", "/work/{task}/move") => OPERATIONS,
        _ => &[Admin],
    }
}

pub fn allowed(role: Role, method: &Method, path: &str) -> bool {
    role == Admin || roles_for(method, path).contains(&role)
}

/// The roles allowed on a console page (`path` as the route table writes
/// it, `/console/...`). Reading and acting are told apart by method: an
/// operations user may launch a campaign, a compliance officer only reads
/// it. A page not listed is the admin's alone.
pub fn page_roles(method: &Method, path: &str) -> &'static [Role] {
    let read = method == Method::GET;
    match path {
        "/console/accounts" | "/console/accounts/{id}" => {
            &[Admin, Operations, Compliance, Creditor]
        }
        "/console/collections" => &[Admin, Operations, Compliance, Creditor],
        "/console/upload" | "/console/upload/{report}" => &[Admin, Operations, Creditor],
        "/console/campaigns" | "/console/campaigns/{id}" | "/console/campaigns/{id}/arms"
            if read =>
        {
            STAFF
        }
        p if p.starts_with("/console/campaigns") => OPERATIONS,
        "/console/review" => OPERATIONS,
        "/console/suppressions" if read => STAFF,
        "/console/suppressions" | "/console/suppressions/{action}" => {
            &[Admin, Operations, Compliance]
        }
        p if p.starts_with("/console/rules") => STAFF,
        // A collector works its queue; a supervisor may try it too, and
        // only admin and operations see and move everyone's tasks.
        "/console/work" | "/console/work/next" | "/console/work/outcome" => {
            &[Admin, Operations, Collector]
        }
        "/console/work/team" | "/console/work/team/move" => OPERATIONS,
        _ => &[Admin],
    }
}

pub fn page_allowed(role: Role, method: &Method, path: &str) -> bool {
    role == Admin || page_roles(method, path).contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creditor_reads_accounts_but_never_runs_campaigns_or_lists() {
        assert!(allowed(Creditor, &Method::GET, "/accounts"));
        assert!(allowed(Creditor, &Method::GET, "/accounts/{id}"));
        assert!(!allowed(Creditor, &Method::POST, "/campaigns"));
        assert!(!allowed(Creditor, &Method::GET, "/campaigns"));
        assert!(!allowed(Creditor, &Method::GET, "/suppressions"));
        assert!(!allowed(
            Collector,
            &Method::POST,
            "/campaigns/{id}/{action}"
        ));
        assert!(allowed(
            Operations,
            &Method::POST,
            "/campaigns/{id}/{action}"
        ));
        assert!(!allowed(Compliance, &Method::POST, "/campaigns"));
        assert!(allowed(Creditor, &Method::POST, "/portfolios"));
        assert!(allowed(Operations, &Method::POST, "/portfolios"));
        assert!(!allowed(Collector, &Method::POST, "/portfolios"));
        assert!(!allowed(Compliance, &Method::POST, "/portfolios"));
        assert!(allowed(Operations, &Method::GET, "/review"));
        assert!(allowed(Operations, &Method::POST, "/review/{contact}"));
        assert!(!allowed(Compliance, &Method::POST, "/review/{contact}"));
        assert!(!allowed(Creditor, &Method::GET, "/review"));
        assert!(allowed(Compliance, &Method::GET, "/campaigns/{id}/arms"));
        assert!(!allowed(Creditor, &Method::GET, "/campaigns/{id}/arms"));
        assert!(page_allowed(
            Compliance,
            &Method::GET,
            "/console/campaigns/{id}/arms"
        ));
        assert!(!page_allowed(
            Creditor,
            &Method::GET,
            "/console/campaigns/{id}/arms"
        ));
        assert!(allowed(Admin, &Method::DELETE, "/anything/new"));
        assert!(!allowed(Operations, &Method::DELETE, "/anything/new"));
    }

    #[test]
    fn a_creditor_reads_its_pages_but_never_operations_or_rules() {
        assert!(page_allowed(
            Creditor,
            &Method::GET,
            "/console/accounts/{id}"
        ));
        assert!(page_allowed(Creditor, &Method::GET, "/console/collections"));
        assert!(page_allowed(Creditor, &Method::POST, "/console/upload"));
        assert!(!page_allowed(Creditor, &Method::GET, "/console/campaigns"));
        assert!(!page_allowed(Creditor, &Method::GET, "/console/rules"));
        assert!(!page_allowed(Creditor, &Method::POST, "/console/review"));
        assert!(page_allowed(
            Compliance,
            &Method::GET,
            "/console/campaigns/{id}"
        ));
        assert!(!page_allowed(
            Compliance,
            &Method::POST,
            "/console/campaigns/{id}/{action}"
        ));
        assert!(page_allowed(
            Operations,
            &Method::POST,
            "/console/campaigns/{id}/{action}"
        ));
        assert!(!page_allowed(Collector, &Method::GET, "/console/accounts"));
        assert!(!page_allowed(Operations, &Method::GET, "/console/users"));
    }

    #[test]
    fn a_collector_works_its_queue_and_only_supervisors_see_the_team() {
        for (method, path) in [
            (Method::GET, "/console/work"),
            (Method::POST, "/console/work/next"),
            (Method::POST, "/console/work/outcome"),
        ] {
            assert!(page_allowed(Collector, &method, path), "{path}");
            assert!(page_allowed(Operations, &method, path), "{path}");
            assert!(!page_allowed(Creditor, &method, path), "{path}");
            assert!(!page_allowed(Compliance, &method, path), "{path}");
        }
        for (method, path) in [
            (Method::GET, "/console/work/team"),
            (Method::POST, "/console/work/team/move"),
        ] {
            assert!(page_allowed(Operations, &method, path), "{path}");
            assert!(page_allowed(Admin, &method, path), "{path}");
            assert!(!page_allowed(Collector, &method, path), "{path}");
            assert!(!page_allowed(Compliance, &method, path), "{path}");
            assert!(!page_allowed(Creditor, &method, path), "{path}");
        }
    }
}
