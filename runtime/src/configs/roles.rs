//! Roles and account states (`pallet_roles`).

use frame_system::EnsureRoot;

use crate::{AccountId, Runtime, RuntimeEvent};

impl pallet_roles::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Root (sudo on development chains) until on-chain governance exists.
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type WeightInfo = crate::weights::pallet_roles::WeightInfo<Runtime>;
}
