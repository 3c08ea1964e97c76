//! `mapping` with mimalloc as the process's global allocator, as a host would configure it
//! (the `connector` CLI does): `cargo bench --bench mapping_mimalloc`. The environment knobs
//! of `mapping` (`MAPPING_PROFILE`, `MAPPING_RULE`, `MAPPING_BASELINE`) work here too.
//!
//! A mapped record's new values (a house number, a custom field's nested objects) are small
//! allocations; glibc serves many of them through `_int_malloc` once its per-thread cache of
//! seven chunks per size is spent, which costs about 1,500 instructions per record of the
//! benchmark's 20,300 (callgrind).

#[path = "mapping.rs"]
mod mapping;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    mapping::main();
}
