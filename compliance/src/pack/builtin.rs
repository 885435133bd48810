//! The five packs built into the binary; the same texts ship as editable
//! files in `config/rules/`.

use std::path::Path;

use super::RulePack;
use crate::error::RulesError;

const BUILTINS: &[(&str, &str)] = &[
    (
        "mx-profeco",
        include_str!("../../../config/rules/mx-profeco.toml"),
    ),
    (
        "co-ley2300",
        include_str!("../../../config/rules/co-ley2300.toml"),
    ),
    (
        "cl-ley21320",
        include_str!("../../../config/rules/cl-ley21320.toml"),
    ),
    (
        "pe-consumidor",
        include_str!("../../../config/rules/pe-consumidor.toml"),
    ),
    (
        "us-regf",
        include_str!("../../../config/rules/us-regf.toml"),
    ),
];
const BUILTIN_NAMES: &[&str] = &[
    "mx-profeco",
    "co-ley2300",
    "cl-ley21320",
    "pe-consumidor",
    "us-regf",
];

impl RulePack {
    /// A pack built into the binary (`mx-profeco`, `co-ley2300`,
    /// `cl-ley21320`, `pe-consumidor`, `us-regf`); the same text ships as
    /// an editable file in `config/rules/`.
    pub fn builtin(name: &str) -> Option<RulePack> {
        let (n, src) = BUILTINS.iter().find(|(n, _)| *n == name)?;
        // The embedded packs are tested to parse; a failure here would be a
        // build defect, reported as "not available" rather than a panic.
        RulePack::from_toml_str(src, &format!("{n}.toml")).ok()
    }

    /// The TOML text of a built-in pack, for officers who want to copy it.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// Names accepted by [`RulePack::builtin`].
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// A built-in name, else a path to a file.
    pub fn load_named_or_file(spec: &str) -> Result<RulePack, RulesError> {
        let spec = spec.trim();
        if let Some(p) = RulePack::builtin(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        if path.exists() {
            return RulePack::load(path);
        }
        Err(RulesError::NotFound {
            spec: spec.to_string(),
            known: BUILTIN_NAMES.join(", "),
        })
    }
}
