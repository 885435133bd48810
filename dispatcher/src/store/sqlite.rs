//! SQLite store (the embedded default).
