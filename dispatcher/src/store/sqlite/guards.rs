//! The states each statement moves a contact from, as SQL lists generated
//! from `StateMove::from_states` (the one definition in cobro-campaigns),
//! so the `WHERE state IN (...)` guards cannot drift from it.

use crate::store::StateMove;

/// `'queued', 'sending'`: the states `op` moves a contact from, quoted for
/// an SQL `IN (...)` list. State names are fixed identifiers, never input.
pub(super) fn states_in(op: StateMove) -> String {
    op.from_states()
        .iter()
        .map(|state| format!("'{}'", state.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_quoted_state_names() {
        assert_eq!(states_in(StateMove::Cancel), "'pending', 'queued'");
        assert_eq!(
            states_in(StateMove::Receipt),
            "'sent', 'sending', 'unknown'"
        );
    }
}
