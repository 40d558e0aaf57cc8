//! What the market needs from the rest of the runtime: the escrow that holds a lease's money, the
//! provider registry, the accounts' envelope keys and, for benchmarks, some set-up. The runtime
//! plugs `pallet_escrow` and `pallet_provider` in directly (`impls.rs` implements these traits
//! for them); tests and other runtimes may plug in anything else.

use frame_support::pallet_prelude::DispatchResult;
use pallet_escrow::{EscrowId, Rate};

use crate::Name;

/// The escrow a lease's money sits in, one per order and numbered like it: funds held on the
/// customer when the order is made, paid to the provider at the lease's rate.
pub trait LeaseEscrow<AccountId, Balance, BlockNumber> {
	/// The most bytes one escrow record occupies in storage (the order's deposit pays for it).
	fn max_record_len() -> usize;
	/// Opens escrow `id`, holding `amount` on `payer` (an order was created).
	fn open(id: EscrowId, payer: &AccountId, amount: Balance) -> DispatchResult;
	/// Names the payee and the price of escrow `id` (a bid was accepted).
	fn assign(id: EscrowId, payee: &AccountId, rate: Rate<Balance>) -> DispatchResult;
	/// The fixed rate accrues from block `at` (the lease started).
	fn start(id: EscrowId, at: BlockNumber) -> DispatchResult;
	/// The fixed rate stops accruing at block `at`, or earlier where the funds end (the lease
	/// is closing).
	fn stop(id: EscrowId, at: BlockNumber) -> DispatchResult;
	/// The lease ended: settles, refunds what is neither owed nor pending, and removes the
	/// escrow once no usage record waits.
	fn finish(id: EscrowId) -> DispatchResult;
	/// Settles escrow `id` now (telling the market, through `LeaseHooks`, if its funds ran out).
	fn settle_now(id: EscrowId) -> DispatchResult;
	/// Whether escrow `id` is still stored (a finished one stays while usage records wait).
	fn exists(id: EscrowId) -> bool;
	/// The last block escrow `id`'s funds cover at the fixed rate, while it accrues; `None` if
	/// it does not accrue or the rate has no fixed part.
	fn runway_end(id: EscrowId) -> Option<BlockNumber>;
}

/// What the market reads of a provider that may take new business (registered and active).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProviderProfile {
	/// The X25519 key order configurations and offering details are sealed to.
	pub encryption_key: [u8; 32],
	/// Its region code (a requirements order may ask for one).
	pub region: Name,
	/// Its capability flags (`pallet_provider::capability`; a requirements order may ask for
	/// some).
	pub capabilities: u32,
}

/// The registry of providers: who sells, with which keys and attributes.
pub trait ProviderRegistry<AccountId> {
	/// Whether `who` is a registered provider, whatever its status (active, paused or
	/// suspended).
	fn is_registered(who: &AccountId) -> bool;
	/// What the market needs of `who` if it is registered and active (it may offer and bid);
	/// `None` if it is not registered, or paused, or suspended.
	fn active_profile(who: &AccountId) -> Option<ProviderProfile>;
	/// The X25519 key of registered provider `who`, whatever its status.
	fn encryption_key(who: &AccountId) -> Option<[u8; 32]>;
	/// The ed25519 key `who`'s daemon signs usage records with, if `who` is registered.
	fn daemon_key(who: &AccountId) -> Option<[u8; 32]>;
}

/// The envelope keys accounts registered: access details are sealed to the customer's.
pub trait EnvelopeKeys<AccountId> {
	/// `who`'s active X25519 public key, if it has one.
	fn active_key(who: &AccountId) -> Option<[u8; 32]>;
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an active provider with these keys (the benchmarks pass the public key of
	/// [`crate::BENCH_ENC_SECRET`], which `bench_envelope.scale` is sealed to).
	fn make_provider(who: &AccountId, encryption_key: [u8; 32], daemon: [u8; 32]);
	/// Gives `who` a verified identity of tier Premium.
	fn set_premium_tier(who: &AccountId);
	/// Makes `public` `who`'s active envelope key.
	fn set_envelope_key(who: &AccountId, public: [u8; 32]);
}
