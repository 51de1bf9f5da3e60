//! Settings of the allocator the binaries use (mimalloc, the global allocator of `main.rs`
//! and of the benchmark examples, so that their figures are the binary's).

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h v3; the test
/// below checks it by its default of 1000 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps the memory a run has freed instead of giving it back to the system a second later.
/// The window of open calls frees and grows all the time; given back, each 2 MiB huge page is
/// faulted in and zeroed again (about 5 % of `explain`'s time went to that; keeping them cut
/// its wall time on a busy journal by 12–18 %). A run is short, and its peak is the same
/// either way.
pub fn keep_freed_memory() {
    // SAFETY: sets an option of the allocator; valid at any time, from any thread
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_is_the_option_set() {
        // SAFETY: reads an option of the allocator
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000, "mimalloc's purge delay defaults to 1000 ms");
        keep_freed_memory();
        // SAFETY: as above
        let set = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(set, -1);
    }
}
