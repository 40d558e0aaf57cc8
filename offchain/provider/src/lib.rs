//! `virtengine-provider`: the provider daemon (docs/provider-daemon.md). It follows the chain,
//! bids on the orders its clusters can serve, runs each lease's workload on its backend (batch
//! jobs on SLURM through slurmrestd, container services on Kubernetes through its API server),
//! reports the usage the backend measured, signed with the daemon key, and serves each lease's
//! customer its status, output and logs through a signed-request gateway.
//!
//! Modules by domain: [`chain`] (the chain, behind a trait), [`daemon`] (the bid engine and one
//! task per lease), [`backend`] (workload managers, behind a trait), [`usage`] (accounting to
//! billed units), [`pricing`] (strategies), [`journal`] (what survives a crash), [`gateway`],
//! [`metrics`], [`config`], [`keys`], [`workload`] (what customers seal: a [`job`] or
//! [`services`]).

pub mod backend;
pub mod chain;
pub mod config;
pub mod daemon;
pub mod gateway;
pub mod job;
pub mod journal;
pub mod keys;
pub mod metrics;
pub mod pricing;
pub mod run;
pub mod services;
pub mod usage;
pub mod workload;
