//! End-to-end tests live in `tests/e2e`; the library holds what tests and a
//! binary share: the fake Personio.

pub mod fake_personio;
