//! Settings of the allocator the binaries use (mimalloc, the global allocator of `main.rs`
//! and of the benchmark examples, so that their figures are the binary's).

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h v3; the test
/// below checks it by its default of 1000 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator up for a run; called first thing in `main`, before the memory a run
/// grows into is reserved.
///
/// - Keeps the memory a run has freed instead of giving it back to the system a second later.
///   The window of open calls frees and grows all the time; given back, each page is faulted
///   in and zeroed again (about 5 % of `explain`'s time went to that; keeping them cut its wall
///   time on a busy journal by 12–18 %). A run is short, and its peak is the same either way.
/// - Linux: turns transparent huge pages off for the process. mimalloc marks the arena it
///   reserves (before `main`, at the first allocation) `MADV_HUGEPAGE`; where the kernel's THP
///   defrag setting is `madvise` (the default of many distributions), a fault there first
///   compacts memory to find a free 2 MiB page. On the machine measured, a busy 1M-row
///   `explain` spent 0.4–0.8 s in the kernel that way instead of 0.15–0.2 s with the same
///   memory in 4 KiB pages, and peaked at 215 instead of 190 MiB. mimalloc's own option comes
///   too late once the arena is reserved; the process's flag (`PR_SET_THP_DISABLE`) holds for
///   every fault after it. Where the kernel refuses it, nothing changes but the speed.
pub fn configure() {
    // SAFETY: sets an option of the allocator; valid at any time, from any thread
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes one integer argument and the rest zero; it
    // touches no memory of ours
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_set_are_the_ones_meant() {
        // SAFETY: reads options of the allocator
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        assert_eq!(
            get(MI_OPTION_PURGE_DELAY),
            1000,
            "mimalloc's purge delay defaults to 1000 ms"
        );
        configure();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), -1);
        #[cfg(target_os = "linux")]
        {
            // SAFETY: PR_GET_THP_DISABLE takes no argument and returns the flag
            let thp_disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(
                thp_disabled, 1,
                "transparent huge pages are off for the process"
            );
        }
    }
}
