//! `virtengine-provider`: the provider daemon (docs/provider-daemon.md). It follows the chain,
//! bids on the orders its cluster can serve, runs each lease's job on its backend (SLURM through
//! slurmrestd), reports the usage accounting recorded, signed with the daemon key, and serves
//! each lease's customer the job's status and output through a signed-request gateway.
//!
//! Modules by domain: [`chain`] (the chain, behind a trait), [`daemon`] (the bid engine and one
//! task per lease), [`backend`] (workload managers, behind a trait), [`usage`] (accounting to
//! billed units), [`pricing`] (strategies), [`journal`] (what survives a crash), [`gateway`],
//! [`metrics`], [`config`], [`keys`], [`job`] (the job configuration customers seal).

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
pub mod usage;
