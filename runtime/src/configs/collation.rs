//! Who builds blocks: collator selection, sessions, aura and authorship.

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64, EitherOfDiverse},
	PalletId,
};
use frame_system::EnsureRoot;
use pallet_xcm::{EnsureXcm, IsVoiceOfBody};
use xcm::latest::prelude::BodyId;

use super::xcm_config::RelayLocation;

/// Blocks per session unless governance sets another length: six hours.
pub const SESSION_PERIOD: BlockNumber = 6 * HOURS;

/// The shortest session governance can set: longer than a VEID request may stay open, so that a
/// request is decided within its session and the next, while its committee keeps the session's
/// keys (`pallet_veid`'s `RequestTimeout`; a compile-time check in `veid.rs` keeps them in step).
pub const MIN_SESSION_PERIOD: BlockNumber = 101;
use crate::{
	AccountId, Aura, AuraId, Balance, Balances, BlockNumber, CollatorSelection, Runtime,
	RuntimeEvent, Session, SessionKeys, HOURS, SLOT_DURATION,
};

parameter_types! {
	/// The session length governance set (`system.set_storage` of the key
	/// `twox_128(":SessionLength:")`, a SCALE `u32`); six hours until it does. Test networks
	/// shorten it to see sessions change; see [`Period`] for the lower bound.
	pub storage SessionLength: BlockNumber = SESSION_PERIOD;
	pub const Offset: BlockNumber = 0;
	pub const PotId: PalletId = PalletId(*b"PotStake");
	pub const StakingAdminBodyId: BodyId = BodyId::Defense;
	/// Setting session keys holds no deposit: collators are invulnerable or bonded candidates.
	pub const SessionKeyDeposit: Balance = 0;
}

/// Blocks per session: [`SessionLength`], never shorter than [`MIN_SESSION_PERIOD`]. A new length
/// takes effect at once: the session ends at the next block number that is a multiple of it.
/// Reading it is one storage read in each block's `on_initialize` (pallet_session's).
pub struct Period;

impl frame_support::traits::Get<BlockNumber> for Period {
	fn get() -> BlockNumber {
		SessionLength::get().max(MIN_SESSION_PERIOD)
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	type EventHandler = (CollatorSelection,);
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = <Self as frame_system::Config>::AccountId;
	// The collator's account is its validator id.
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ShouldEndSession = pallet_session::PeriodicSessions<Period, Offset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<Period, Offset>;
	type SessionManager = CollatorSelection;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<100_000>;
	// Async backing lets a collator build more than one block per relay-chain slot.
	type AllowMultipleBlocksPerSlot = ConstBool<true>;
	type SlotDuration = ConstU64<SLOT_DURATION>;
}

impl cumulus_pallet_aura_ext::Config for Runtime {}

/// Root, or the relay chain's staking administrators, manage the collator set.
pub type CollatorSelectionUpdateOrigin = EitherOfDiverse<
	EnsureRoot<AccountId>,
	EnsureXcm<IsVoiceOfBody<RelayLocation, StakingAdminBodyId>>,
>;

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type UpdateOrigin = CollatorSelectionUpdateOrigin;
	type PotId = PotId;
	type MaxCandidates = ConstU32<100>;
	type MinEligibleCollators = ConstU32<1>;
	type MaxInvulnerables = ConstU32<20>;
	// A candidate that produced no block for a whole session is kicked.
	type KickThreshold = Period;
	type ValidatorId = <Self as frame_system::Config>::AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	type ValidatorRegistration = Session;
	type WeightInfo = pallet_collator_selection::weights::SubstrateWeight<Runtime>;
}
