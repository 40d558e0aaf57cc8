//! MFA (`pallet_mfa`): which of this runtime's calls are sensitive, and the factors' limits.
//!
//! Classified here (the pallet classifies its own calls; `docs/access-control.md` lists the
//! mapping and what is still to come with the marketplace and governance):
//! - balance transfers: `TransferTokens`, with the value and the recipient (`transfer_all`: the
//!   whole free balance);
//! - session key changes: `KeyRotation`;
//! - collator candidacy: `ValidatorRegistration`;
//! - XCM calls from an account (assets leaving the chain, or arbitrary messages): `Withdrawal`
//!   of unbounded value, hence always above the large-withdrawal threshold;
//! - batches and other wrappers: every inner call, nested at most four deep (deeper is refused).

use alloc::vec::Vec;
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use pallet_mfa::{Action, Classify, Context, IdentityTier, Unclassifiable};
use sp_runtime::traits::StaticLookup;
use virtengine_veid_primitives::Tier;

use crate::{
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeHoldReason, Veid, DAYS, MICRO_VE, MINUTES,
};

parameter_types! {
	/// Stored factors cost ten micro-VE per byte (a credential about 3 milli-VE).
	pub const MfaDepositPerByte: Balance = 10 * MICRO_VE;
	/// A critical authorization waits five minutes for its call.
	pub const AuthorizationTtl: BlockNumber = 5 * MINUTES;
	/// One-time codes and TOTP attestations live at most ten minutes.
	pub const MaxCodeTtl: BlockNumber = 10 * MINUTES;
	/// A recovery becomes claimable a day after its factors were proven: time for the owner to
	/// notice (the `RecoveryInitiated` event) and cancel.
	pub const RecoveryDelay: BlockNumber = DAYS;
}

/// How deep wrappers (batches, derivative calls) may nest.
const MAX_NESTING: u32 = 4;

/// This runtime's sensitive calls.
pub struct SensitiveCalls;

impl SensitiveCalls {
	fn walk(
		who: &AccountId,
		call: &RuntimeCall,
		out: &mut Vec<Context<AccountId, Balance>>,
		depth: u32,
	) -> Result<(), Unclassifiable> {
		if depth > MAX_NESTING {
			return Err(Unclassifiable);
		}
		match call {
			RuntimeCall::Balances(c) => {
				use pallet_balances::Call as B;
				let (dest, value) = match c {
					B::transfer_allow_death { dest, value }
					| B::transfer_keep_alive { dest, value } => (dest, *value),
					B::transfer_all { dest, .. } => {
						(dest, pallet_balances::Pallet::<Runtime>::free_balance(who))
					},
					_ => return Ok(()),
				};
				// An address that does not resolve cannot receive: the transfer fails anyway.
				let recipient =
					<Runtime as frame_system::Config>::Lookup::lookup(dest.clone()).ok();
				out.push(Context { value, recipient, ..Context::of(Action::TransferTokens) });
			},
			RuntimeCall::Session(
				pallet_session::Call::set_keys { .. } | pallet_session::Call::purge_keys { .. },
			) => out.push(Context::of(Action::KeyRotation)),
			RuntimeCall::CollatorSelection(
				pallet_collator_selection::Call::register_as_candidate { .. }
				| pallet_collator_selection::Call::take_candidate_slot { .. },
			) => out.push(Context::of(Action::ValidatorRegistration)),
			RuntimeCall::PolkadotXcm(_) => {
				out.push(Context { value: Balance::MAX, ..Context::of(Action::Withdrawal) })
			},
			RuntimeCall::Mfa(c) => out.extend(pallet_mfa::Pallet::<Runtime>::classify_own(c)),
			RuntimeCall::Provider(pallet_provider::Call::register { .. }) => {
				out.push(Context::of(Action::ProviderRegistration))
			},
			RuntimeCall::Market(c) => {
				use pallet_market::Call as M;
				type Market = pallet_market::Pallet<Runtime>;
				match c {
					M::create_offering { .. } => out.push(Context {
						first: Market::first(who, false),
						..Context::of(Action::OfferingCreate)
					}),
					M::update_offering { .. } | M::remove_offering { .. } => {
						out.push(Context::of(Action::OfferingUpdate))
					},
					M::create_order { funds, .. } => out.push(Context {
						value: *funds,
						first: Market::first(who, true),
						..Context::of(Action::OrderCreate)
					}),
					M::close_lease { .. } => out.push(Context::of(Action::LeaseClose)),
					_ => {},
				}
			},
			RuntimeCall::Escrow(c) => match c {
				// Adding funds commits value like an order does.
				pallet_escrow::Call::top_up { amount, .. } => {
					out.push(Context { value: *amount, ..Context::of(Action::OrderCreate) })
				},
				pallet_escrow::Call::withdraw {} => out.push(Context {
					value: pallet_escrow::Payouts::<Runtime>::get(who),
					..Context::of(Action::Withdrawal)
				}),
				_ => {},
			},
			RuntimeCall::Utility(c) => {
				use pallet_utility::Call as U;
				match c {
					U::batch { calls } | U::batch_all { calls } | U::force_batch { calls } => {
						for inner in calls {
							Self::walk(who, inner, out, depth + 1)?;
						}
					},
					U::as_derivative { call, .. }
					| U::with_weight { call, .. }
					| U::dispatch_as { call, .. }
					| U::dispatch_as_fallible { call, .. } => Self::walk(who, call, out, depth + 1)?,
					U::if_else { main, fallback } => {
						Self::walk(who, main, out, depth + 1)?;
						Self::walk(who, fallback, out, depth + 1)?;
					},
					_ => {},
				}
			},
			_ => {},
		}
		Ok(())
	}
}

impl Classify<AccountId, Balance, RuntimeCall> for SensitiveCalls {
	fn classify(
		who: &AccountId,
		call: &RuntimeCall,
		out: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable> {
		Self::walk(who, call, out, 0)
	}
}

/// Identity tiers from `pallet_veid`.
pub struct VeidTiers;
impl IdentityTier<AccountId> for VeidTiers {
	fn tier(who: &AccountId) -> Option<Tier> {
		Veid::tier(who)
	}
}

impl pallet_mfa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = MfaDepositPerByte;
	type Classifier = SensitiveCalls;
	type Identity = VeidTiers;
	// Root (sudo on development chains) until on-chain governance exists.
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxCredentials = ConstU32<8>;
	type MaxDevices = ConstU32<4>;
	type MaxKnownRecipients = ConstU32<64>;
	type AuthorizationTtl = AuthorizationTtl;
	type MaxCodeTtl = MaxCodeTtl;
	type RecoveryDelay = RecoveryDelay;
	type MaxCodeAttempts = frame_support::traits::ConstU8<3>;
	type WeightInfo = crate::weights::pallet_mfa::WeightInfo<Runtime>;
}
