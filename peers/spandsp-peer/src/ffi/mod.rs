//! Everything that touches C: the shim's declarations ([`raw`]) and thin safe
//! handles over them ([`t38_core`], [`t38_terminal`]).
//!
//! This is the only module of the crate that may use `unsafe`: calling C is
//! inherently unsafe, and keeping every call in one place, each with its own
//! SAFETY argument, lets the rest of the crate (and the tests) stay safe Rust.
#![allow(unsafe_code)]

mod raw;
pub(crate) mod t38_core;
pub(crate) mod t38_terminal;
