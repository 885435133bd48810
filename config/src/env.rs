use std::path::Path;

use crate::ConfigError;

/// Replaces `${VAR}` with the variable's value. A missing variable is an
/// error rather than an empty string: an empty API token is never intended.
pub fn expand_env(value: &str, path: &Path) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        let resolved = std::env::var(var).map_err(|_| ConfigError::MissingEnv {
            path: path.to_path_buf(),
            var: var.to_string(),
        })?;
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_set_variables_and_refuses_missing_ones() {
        // SAFETY: tests in this module are the only users of this variable.
        unsafe { std::env::set_var("COBRO_TEST_EXPAND", "s3cr3t") };
        let p = Path::new("cobro.toml");
        assert_eq!(
            expand_env("Bearer ${COBRO_TEST_EXPAND}!", p).unwrap(),
            "Bearer s3cr3t!"
        );
        assert_eq!(expand_env("plain", p).unwrap(), "plain");
        let err = expand_env("${COBRO_TEST_SURELY_UNSET_VAR}", p).unwrap_err();
        assert!(
            err.to_string().contains("COBRO_TEST_SURELY_UNSET_VAR"),
            "{err}"
        );
    }
}
