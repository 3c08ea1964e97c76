//! `engine_rss` with mimalloc as the process's global allocator, as a host would configure
//! it: `cargo bench --bench engine_rss_mimalloc -- 1000000`.
//!
//! With glibc's allocator the engine's batches make the heap top grow and shrink by a batch's
//! worth of records each time (glibc gives it back to the kernel once the free top passes its
//! trim threshold, then faults it in again): about 750,000 minor page faults and 2.5 s of
//! system time for 1,000,000 created records. mimalloc (or glibc with `MALLOC_TOP_PAD_`
//! raised) keeps that memory, and the same run takes about 7,000 faults.

#[path = "engine_rss.rs"]
mod engine_rss;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    engine_rss::main();
}
