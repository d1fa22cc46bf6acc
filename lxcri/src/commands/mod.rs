//! One file per command, each a short sequence of I/O steps on a [`Runtime`]
//! (crate::runtime). Nothing outside this directory imports from it but the CLI (main.rs), and
//! no command imports from another's file: what two commands share lives in a module of its
//! own (plan, teardown, sys, ...).

pub mod config;
pub mod create;
pub mod delete;
pub mod events;
pub mod exec;
pub mod features;
pub mod kill;
pub mod list;
pub mod pause;
pub mod ps;
pub mod resume;
pub mod run;
pub mod spec;
pub mod start;
pub mod state;
pub mod update;
