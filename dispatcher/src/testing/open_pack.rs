//! The rule pack tests and benches use when the clock must not matter: the
//! `anytime` pack, open 00:00–24:00 every day, so a wall-clock run is
//! never deferred for the hour and only targets decide.

use std::fmt::Write as _;

/// TOML of the `anytime` pack with these allowed roles and blocked flags.
pub fn open_around_the_clock_pack(allowed_roles: &[&str], blocked_flags: &[&str]) -> String {
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut pack = String::from(
        "id = \"anytime\"\nname = \"Open around the clock (tests and benches)\"\n\n[windows]\n",
    );
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        let _ = writeln!(pack, "{day} = [\"00:00-24:00\"]");
    }
    let _ = writeln!(
        pack,
        "\n[targets]\nallowed_roles = [{}]",
        quoted(allowed_roles)
    );
    if !blocked_flags.is_empty() {
        let _ = writeln!(pack, "blocked_flags = [{}]", quoted(blocked_flags));
    }
    pack
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pack_loads_and_is_open_all_day() {
        let toml = open_around_the_clock_pack(&["debtor"], &["minor"]);
        let pack =
            cobro_compliance::RulePack::from_toml_str(&toml, "anytime.toml").expect("a valid pack");
        assert_eq!(pack.id(), "anytime");
        assert!(toml.contains("sun = [\"00:00-24:00\"]"));
        assert!(toml.contains("blocked_flags = [\"minor\"]"));
    }
}
