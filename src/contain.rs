//! Containing panics in third-party parsers of attacker-controlled bytes (the `evtx` crate).
//!
//! `std::panic::catch_unwind` stops the unwinding, but the process-wide panic hook has already
//! run by then: the default hook prints a message, and the TUI's hook restores the terminal
//! and ends the session. [`contained`] marks the current thread while the closure runs, so
//! hooks can tell a contained panic (reported by the caller as a decode error) from a real one.

use std::cell::Cell;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Run `f`, catching a panic; while it runs, [`is_contained`] is true on this thread.
pub fn contained<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    r
}

/// Whether a panic on this thread now would be caught by [`contained`].
pub fn is_contained() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Wrap the current panic hook so that contained panics stay silent (their callers report
/// them); every other panic goes to the previous hook as before.
pub fn install_quiet_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_contained() {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_caught_and_marked_only_while_it_runs() {
        assert!(!is_contained());
        let r = contained(|| {
            assert!(is_contained());
            let inner = contained(|| 7);
            assert_eq!(inner.ok(), Some(7));
            assert!(is_contained(), "nesting keeps the mark");
            panic!("parser bug");
        });
        assert!(r.is_err());
        assert!(!is_contained());
        // Another thread is not marked by this one.
        let seen = contained(|| std::thread::spawn(is_contained).join().unwrap()).unwrap();
        assert!(!seen);
    }
}
