//! The pallets whose weights this runtime benchmarks (`--features runtime-benchmarks`).
//! VirtEngine's own pallets are added here as they land.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_utility, Utility]
	[pallet_sudo, Sudo]
	[pallet_encryption, Encryption]
	[pallet_veid, Veid]
	[pallet_roles, Roles]
	[pallet_mfa, Mfa]
	[pallet_provider, Provider]
	[pallet_escrow, Escrow]
	[pallet_market, Market]
);
