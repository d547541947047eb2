//! A tokio runtime that may be dropped anywhere. tokio panics when a runtime is dropped on a
//! thread that runs async code (dropping waits for its tasks), and a program using the
//! blocking API may well drop its last socket or runtime there: this one then shuts down in
//! the background instead, without waiting.

use std::ops::Deref;

/// Owns a tokio runtime; derefs to it.
#[derive(Debug)]
pub(crate) struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    pub(crate) fn new(runtime: tokio::runtime::Runtime) -> OwnedRuntime {
        OwnedRuntime(Some(runtime))
    }
}

impl Deref for OwnedRuntime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        let Some(runtime) = self.0.take() else {
            return;
        };
        if crate::runtime::inside_async_code() {
            runtime.shutdown_background();
        }
        // Elsewhere dropped as usual: its tasks are stopped before this returns.
    }
}
