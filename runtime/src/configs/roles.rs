//! Roles and account states (`pallet_roles`), and what `CheckAccountState` must know of this
//! runtime's calls: which calls wrap others and as whom they dispatch them, and which calls a
//! suspended account may still make to protect its funds.

use alloc::{vec, vec::Vec};
use frame_support::traits::ConstU32;
use frame_system::EnsureRoot;
use pallet_roles::{ActsAs, CallScope};
use sp_runtime::traits::StaticLookup;

use crate::{AccountId, BlockNumber, OriginCaller, Runtime, RuntimeCall, DAYS};

frame_support::parameter_types! {
	/// A termination by staff takes effect a week later: the appeal window, long enough for the
	/// account to appeal and for governance or another administrator to reinstate it.
	pub const TerminationDelay: BlockNumber = 7 * DAYS;
}

/// This runtime's wrappers and fund-protecting calls.
///
/// Wrappers, each inner call checked against whom it acts as: pallet_utility's batches,
/// `with_weight` and `if_else` (the caller), `as_derivative` (the caller's derivative account),
/// `dispatch_as` and `dispatch_as_fallible` (the signed origin named, or no account), and sudo's
/// `sudo`, `sudo_unchecked_weight` (root: no account) and `sudo_as` (the account named).
/// `PolkadotXcm` calls are closed to signed accounts by the base call filter (an XCM `Transact`
/// executed locally would dispatch as an account; see docs/access-control.md).
///
/// Calls a suspended account may still make, and nothing else: `Market::close_lease` (stops the
/// provider's rate), `Market::cancel_order` (orders never expire: an open order's funds would
/// stay held for as long as the suspension lasts), `Escrow::dispute` (stops a usage record from
/// being paid), and `Mfa::authorize` of exactly one of those (where the account's own MFA
/// requirements cover them).
pub struct RuntimeCallScope;

impl RuntimeCallScope {
	fn acts_as(origin: &OriginCaller) -> ActsAs<AccountId> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Signed(who)) => {
				ActsAs::Account(who.clone())
			},
			_ => ActsAs::NoAccount,
		}
	}
}

impl CallScope<AccountId, RuntimeCall> for RuntimeCallScope {
	fn inner_calls<'a>(
		caller: Option<&AccountId>,
		call: &'a RuntimeCall,
	) -> Option<Vec<(ActsAs<AccountId>, &'a RuntimeCall)>> {
		use pallet_sudo::Call as S;
		use pallet_utility::Call as U;
		let inner: Vec<(ActsAs<AccountId>, &'a RuntimeCall)> = match call {
			RuntimeCall::Utility(c) => match c {
				U::batch { calls } | U::batch_all { calls } | U::force_batch { calls } => {
					calls.iter().map(|c| (ActsAs::Caller, c)).collect()
				},
				U::with_weight { call, .. } => vec![(ActsAs::Caller, &**call)],
				U::if_else { main, fallback } => {
					vec![(ActsAs::Caller, &**main), (ActsAs::Caller, &**fallback)]
				},
				U::as_derivative { index, call } => {
					let acts_as = match caller {
						Some(who) => ActsAs::Account(pallet_utility::derivative_account_id(
							who.clone(),
							*index,
						)),
						// Counting only, or under root where the dispatch fails.
						None => ActsAs::NoAccount,
					};
					vec![(acts_as, &**call)]
				},
				U::dispatch_as { as_origin, call }
				| U::dispatch_as_fallible { as_origin, call } => {
					vec![(Self::acts_as(as_origin), &**call)]
				},
				_ => return None,
			},
			RuntimeCall::Sudo(c) => match c {
				S::sudo { call } | S::sudo_unchecked_weight { call, .. } => {
					vec![(ActsAs::NoAccount, &**call)]
				},
				S::sudo_as { who, call } => {
					let acts_as =
						match <Runtime as frame_system::Config>::Lookup::lookup(who.clone()) {
							Ok(who) => ActsAs::Account(who),
							// An address that does not resolve: the dispatch fails.
							Err(_) => ActsAs::NoAccount,
						};
					vec![(acts_as, &**call)]
				},
				_ => return None,
			},
			_ => return None,
		};
		Some(inner)
	}

	fn protects_funds(call: &RuntimeCall) -> bool {
		match call {
			RuntimeCall::Market(pallet_market::Call::close_lease { .. })
			| RuntimeCall::Market(pallet_market::Call::cancel_order { .. })
			| RuntimeCall::Escrow(pallet_escrow::Call::dispute { .. }) => true,
			RuntimeCall::Mfa(pallet_mfa::Call::authorize { call, .. }) => matches!(
				&**call,
				RuntimeCall::Market(pallet_market::Call::close_lease { .. })
					| RuntimeCall::Market(pallet_market::Call::cancel_order { .. })
					| RuntimeCall::Escrow(pallet_escrow::Call::dispute { .. })
			),
			_ => false,
		}
	}
}

impl pallet_roles::Config for Runtime {
	// Root (sudo on development chains) until on-chain governance exists.
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type TerminationDelay = TerminationDelay;
	type CallScope = RuntimeCallScope;
	// As deep as the MFA classifier looks.
	type MaxCallNesting = ConstU32<4>;
	type WeightInfo = crate::weights::pallet_roles::WeightInfo<Runtime>;
}
