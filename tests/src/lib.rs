//! Shared helpers for the workspace's integration tests (see `tests/tests/`).
