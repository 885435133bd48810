//! The behaviour every `Store` must have, as async checks any backend's
//! tests call (see `tests/store_*.rs`).
