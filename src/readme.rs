//! The README's Rust blocks, compiled (and, unless marked `no_run`, run) as doctests:
//! `cargo test --doc --features reqwest,http,ws-tokio readme` (`scripts/test`'s `rust-readme` step).
#![doc = include_str!("../README.md")]
