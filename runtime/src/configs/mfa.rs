//! MFA (`pallet_mfa`): which of this runtime's calls are sensitive, and the factors' limits.
//!
//! **Deny by default.** [`SensitiveCalls`] names every pallet of the runtime and every call of
//! every pallet, with no catch-all: a new pallet, or a call added to one by an upgrade of
//! polkadot-sdk, does not compile until someone decides here whether it is sensitive.
//! `docs/access-control.md` lists each decision and why.
//!
//! **Values are totals.** The value thresholds compare what a whole call tree moves (a batch
//! of small calls is one large call), plus what the account moved without an authorization in
//! the rolling value window (`pallet_mfa::RecentValue`), so splitting value across calls or
//! transactions does not escape them. A value read from state (`transfer_all`'s balance, a
//! payout, an order's held funds) is exact only for the first call a tree executes: any call
//! before it may change that state, so a later one counts as unbounded (above every threshold).
//! A derivative account's (`as_derivative`) state is read for the calls it makes.

use alloc::vec::Vec;
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use pallet_mfa::{Action, Classify, Context, IdentityTier, Standing, Unclassifiable};
use sp_runtime::traits::StaticLookup;
use virtengine_veid_primitives::Tier;

use crate::{
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeCall, RuntimeHoldReason, Veid, DAYS,
	MICRO_VE, MINUTES,
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
	/// Value moved without an authorization is added up over at least a day.
	pub const ValueWindow: BlockNumber = DAYS;
}

/// How deep wrappers (batches, derivative calls) may nest.
const MAX_NESTING: u32 = 4;

/// This runtime's sensitive calls.
pub struct SensitiveCalls;

/// Where the walk of a call tree is.
struct Walk<'a> {
	/// The contexts found.
	out: &'a mut Vec<Context<AccountId, Balance>>,
	/// Calls other than wrappers visited so far, in execution order.
	visited: u32,
}

impl Walk<'_> {
	/// `read()` if the current call is the first the tree executes (nothing before it changed
	/// state), else unbounded.
	fn state_value(&self, read: impl FnOnce() -> Balance) -> Balance {
		if self.visited == 1 {
			read()
		} else {
			Balance::MAX
		}
	}

	fn push(&mut self, ctx: Context<AccountId, Balance>) {
		self.out.push(ctx);
	}

	fn action(&mut self, action: Action) {
		self.out.push(Context::of(action));
	}
}

impl SensitiveCalls {
	/// Classifies `call` made by (or, through `as_derivative`, as) `who`.
	fn walk(
		who: &AccountId,
		call: &RuntimeCall,
		w: &mut Walk,
		depth: u32,
	) -> Result<(), Unclassifiable> {
		if depth > MAX_NESTING {
			return Err(Unclassifiable);
		}
		// Wrappers change no state before what they wrap.
		if !matches!(call, RuntimeCall::Utility(_)) {
			w.visited = w.visited.saturating_add(1);
		}
		match call {
			RuntimeCall::System(c) => {
				use frame_system::Call as S;
				match c {
					S::remark { .. } | S::remark_with_event { .. } => {},
					// Root only (governance), or applying what governance authorized.
					S::set_heap_pages { .. }
					| S::set_code { .. }
					| S::set_code_without_checks { .. }
					| S::set_storage { .. }
					| S::kill_storage { .. }
					| S::kill_prefix { .. }
					| S::authorize_upgrade { .. }
					| S::authorize_upgrade_without_checks { .. }
					| S::apply_authorized_upgrade { .. } => {},
					// (`do_task` exists only with frame-system's experimental feature, which this
					// runtime does not enable: enabling it fails to compile here until decided.)
					S::__Ignore(..) => {},
				}
			},
			RuntimeCall::ParachainSystem(c) => {
				use cumulus_pallet_parachain_system::Call as P;
				match c {
					// The inherent; root only.
					P::set_validation_data { .. } | P::sudo_send_upward_message { .. } => {},
					P::__Ignore(..) => {},
				}
			},
			// Pallets without calls of their own.
			RuntimeCall::ParachainInfo(parachain_info::Call::__Ignore(..))
			| RuntimeCall::CumulusXcm(cumulus_pallet_xcm::Call::__Ignore(..)) => {},
			RuntimeCall::Timestamp(c) => match c {
				// The inherent.
				pallet_timestamp::Call::set { .. } => {},
				pallet_timestamp::Call::__Ignore(..) => {},
			},
			RuntimeCall::Utility(c) => {
				use pallet_utility::Call as U;
				match c {
					U::batch { calls } | U::batch_all { calls } | U::force_batch { calls } => {
						for inner in calls {
							Self::walk(who, inner, w, depth + 1)?;
						}
					},
					U::as_derivative { index, call } => {
						let derivative = pallet_utility::derivative_account_id(who.clone(), *index);
						Self::walk(&derivative, call, w, depth + 1)?
					},
					U::with_weight { call, .. } => Self::walk(who, call, w, depth + 1)?,
					// Root only, but classified all the same: what they wrap is what they do.
					U::dispatch_as { call, .. } | U::dispatch_as_fallible { call, .. } => {
						Self::walk(who, call, w, depth + 1)?
					},
					U::if_else { main, fallback } => {
						Self::walk(who, main, w, depth + 1)?;
						Self::walk(who, fallback, w, depth + 1)?;
					},
					U::__Ignore(..) => {},
				}
			},
			RuntimeCall::Balances(c) => {
				use pallet_balances::Call as B;
				match c {
					B::transfer_allow_death { dest, value }
					| B::transfer_keep_alive { dest, value } => Self::transfer(w, dest, *value),
					B::transfer_all { dest, .. } => {
						let value =
							w.state_value(|| pallet_balances::Pallet::<Runtime>::free_balance(who));
						Self::transfer(w, dest, value)
					},
					// Burning destroys the account's own funds: they leave its control.
					B::burn { value, .. } => {
						w.push(Context { value: *value, ..Context::of(Action::Withdrawal) })
					},
					// Upgrades accounts' storage format; moves nothing.
					B::upgrade_accounts { .. } => {},
					// Root only.
					B::force_transfer { .. }
					| B::force_unreserve { .. }
					| B::force_set_balance { .. }
					| B::force_adjust_total_issuance { .. } => {},
					B::__Ignore(..) => {},
				}
			},
			// Sudo exists only on development and test chains (a production genesis has no sudo
			// key; governance replaces it): the key holder is the chain's root already and could
			// change any policy, so MFA on it protects nothing.
			RuntimeCall::Sudo(c) => {
				use pallet_sudo::Call as S;
				match c {
					S::sudo { .. }
					| S::sudo_unchecked_weight { .. }
					| S::sudo_as { .. }
					| S::set_key { .. }
					| S::remove_key { .. } => {},
					S::__Ignore(..) => {},
				}
			},
			RuntimeCall::CollatorSelection(c) => {
				use pallet_collator_selection::Call as C;
				match c {
					C::register_as_candidate { .. } | C::take_candidate_slot { .. } => {
						w.action(Action::ValidatorRegistration)
					},
					// The bond stays reserved on the candidate, or returns to it.
					C::update_bond { .. } | C::leave_intent { .. } => {},
					// Governance only.
					C::set_invulnerables { .. }
					| C::set_desired_candidates { .. }
					| C::set_candidacy_bond { .. }
					| C::add_invulnerable { .. }
					| C::remove_invulnerable { .. } => {},
					C::__Ignore(..) => {},
				}
			},
			RuntimeCall::Session(c) => match c {
				pallet_session::Call::set_keys { .. } | pallet_session::Call::purge_keys { .. } => {
					w.action(Action::KeyRotation)
				},
				pallet_session::Call::__Ignore(..) => {},
			},
			RuntimeCall::XcmpQueue(c) => {
				use cumulus_pallet_xcmp_queue::Call as X;
				match c {
					// The controller (governance) only.
					X::suspend_xcm_execution { .. }
					| X::resume_xcm_execution { .. }
					| X::update_suspend_threshold { .. }
					| X::update_drop_threshold { .. }
					| X::update_resume_threshold { .. } => {},
					X::__Ignore(..) => {},
				}
			},
			RuntimeCall::PolkadotXcm(c) => {
				use pallet_xcm::Call as X;
				match c {
					// Assets leaving the chain, or arbitrary messages an account's origin
					// executes: unbounded value, above every threshold.
					X::send { .. }
					| X::execute { .. }
					| X::teleport_assets { .. }
					| X::reserve_transfer_assets { .. }
					| X::limited_reserve_transfer_assets { .. }
					| X::limited_teleport_assets { .. }
					| X::transfer_assets { .. }
					| X::transfer_assets_using_type_and_then { .. }
					| X::claim_assets { .. } => {
						w.push(Context { value: Balance::MAX, ..Context::of(Action::Withdrawal) })
					},
					// Lets another location act as this account: a new key for it.
					X::add_authorized_alias { .. } => w.action(Action::KeyRotation),
					// Taking such a power back protects the account.
					X::remove_authorized_alias { .. } | X::remove_all_authorized_aliases { .. } => {
					},
					// Root only.
					X::force_xcm_version { .. }
					| X::force_default_xcm_version { .. }
					| X::force_subscribe_version_notify { .. }
					| X::force_unsubscribe_version_notify { .. }
					| X::force_suspension { .. } => {},
					X::__Ignore(..) => {},
				}
			},
			RuntimeCall::MessageQueue(c) => match c {
				// Cleanup and the execution of an overweight message, paid by the caller.
				pallet_message_queue::Call::reap_page { .. }
				| pallet_message_queue::Call::execute_overweight { .. } => {},
				pallet_message_queue::Call::__Ignore(..) => {},
			},
			RuntimeCall::Encryption(c) => {
				use pallet_encryption::Call as E;
				match c {
					// The first key, like the first MFA factor, needs nothing.
					E::register_key { .. } => {},
					// Replacing or retiring it would let a thief read, or deny, what others
					// seal to the account.
					E::rotate_key { .. } | E::revoke_key { .. } | E::remove_key { .. } => {
						w.action(Action::KeyRotation)
					},
					E::__Ignore(..) => {},
				}
			},
			RuntimeCall::Veid(c) => {
				use pallet_veid::Call as V;
				match c {
					// The user's own identity upload: verified by the committee, not by MFA.
					V::upload_scopes { .. } => {},
					// Committee votes and keys: authorized by the committee's session keys,
					// never signed by an account.
					V::commit { .. } | V::reveal { .. } | V::publish_committee_key { .. } => {},
					// Governance only.
					V::register_client { .. }
					| V::remove_client { .. }
					| V::set_model_set { .. } => {},
					V::__Ignore(..) => {},
				}
			},
			RuntimeCall::Roles(c) => {
				use pallet_roles::Call as R;
				match c {
					// Staff powers over other accounts (governance's own are not signed).
					R::grant { .. }
					| R::revoke { .. }
					| R::flag { .. }
					| R::clear { .. }
					| R::suspend { .. }
					| R::reinstate { .. }
					| R::terminate { .. }
					| R::reject_appeal { .. } => w.action(Action::StaffAction),
					// Giving up one's own role and appealing one's own state.
					R::renounce { .. } | R::appeal { .. } => {},
					R::__Ignore(..) => {},
				}
			},
			RuntimeCall::Mfa(c) => pallet_mfa::Pallet::<Runtime>::classify_own(c, w.out),
			RuntimeCall::Provider(c) => {
				use pallet_provider::Call as P;
				match c {
					P::register { .. } => w.action(Action::ProviderRegistration),
					// Replaces the order-encryption and daemon keys.
					P::update { .. } => w.action(Action::KeyRotation),
					// The provider's own availability and leaving; claims are confirmed by the
					// verifier.
					P::claim_domain { .. } | P::set_paused { .. } | P::deregister { .. } => {},
					// The verifier and governance.
					P::confirm_domain { .. } | P::suspend { .. } | P::reinstate { .. } => {},
					P::__Ignore(..) => {},
				}
			},
			RuntimeCall::Market(c) => {
				use pallet_market::Call as M;
				type Market = pallet_market::Pallet<Runtime>;
				match c {
					M::create_offering { .. } => w.push(Context {
						first: Market::first(who, false),
						..Context::of(Action::OfferingCreate)
					}),
					M::update_offering { .. } | M::remove_offering { .. } => {
						w.action(Action::OfferingUpdate)
					},
					M::create_order { funds, .. } => w.push(Context {
						value: *funds,
						first: Market::first(who, true),
						..Context::of(Action::OrderCreate)
					}),
					// Commits the order's held funds to the provider, who may bill them.
					M::accept_bid { order, .. } => {
						let value = w.state_value(|| {
							pallet_escrow::Escrows::<Runtime>::get(order).map_or(0, |e| e.held)
						});
						w.push(Context { value, ..Context::of(Action::FundsCommit) })
					},
					M::close_lease { .. } => w.action(Action::LeaseClose),
					// Returns the held funds to the customer.
					M::cancel_order { .. } => {},
					// The provider's side: bids hold only the provider's own deposit.
					M::bid { .. } | M::withdraw_bid { .. } | M::start_lease { .. } => {},
					M::heartbeat { .. } => {},
					// The provider's daemon, unattended, tells the customer how to reach the
					// workload: it moves only the provider's own deposit and is readable by the
					// customer alone (sealed to the customer's key).
					M::set_access_details { .. } => {},
					// Reviews and blocking move nothing.
					M::review { .. } | M::block_customer { .. } | M::unblock_customer { .. } => {},
					M::__Ignore(..) => {},
				}
			},
			RuntimeCall::Escrow(c) => {
				use pallet_escrow::Call as E;
				match c {
					// Funds added to an escrow are committed to its payee.
					E::top_up { amount, .. } => {
						w.push(Context { value: *amount, ..Context::of(Action::FundsCommit) })
					},
					E::withdraw { .. } => {
						let value = w.state_value(|| pallet_escrow::Payouts::<Runtime>::get(who));
						w.push(Context { value, ..Context::of(Action::Withdrawal) })
					},
					// Usage carries the provider daemon's signature; settling may be done by
					// anyone; disputing protects the payer.
					E::submit_usage { .. } | E::settle { .. } | E::dispute { .. } => {},
					// Governance: resolving disputes, spending the collected platform fees.
					E::resolve { .. } | E::spend_fees { .. } => {},
					E::__Ignore(..) => {},
				}
			},
		}
		Ok(())
	}

	fn transfer(
		w: &mut Walk,
		dest: &<<Runtime as frame_system::Config>::Lookup as StaticLookup>::Source,
		value: Balance,
	) {
		// An address that does not resolve cannot receive: the transfer fails anyway.
		let recipient = <Runtime as frame_system::Config>::Lookup::lookup(dest.clone()).ok();
		w.push(Context { value, recipient, ..Context::of(Action::TransferTokens) });
	}

	/// At most how many storage items classifying `call` reads: a value read from state
	/// (`transfer_all`, `accept_bid`, `withdraw`), whether an offering or order is the account's
	/// first (`create_offering`, `create_order`); bounded by the nesting limit's refusal.
	fn reads(call: &RuntimeCall) -> u32 {
		Self::fold(call, 0, 0, &|call| match call {
			RuntimeCall::Balances(pallet_balances::Call::transfer_all { .. })
			| RuntimeCall::Market(pallet_market::Call::accept_bid { .. })
			| RuntimeCall::Market(pallet_market::Call::create_offering { .. })
			| RuntimeCall::Market(pallet_market::Call::create_order { .. })
			| RuntimeCall::Escrow(pallet_escrow::Call::withdraw { .. }) => 1,
			_ => 0,
		})
	}

	/// The calls a tree holds (wrappers included), bounded by the nesting limit's refusal.
	fn count(call: &RuntimeCall) -> u32 {
		Self::fold(call, 0, 1, &|_| 1)
	}

	/// `own` summed over a call tree (wrappers included); `beyond` for a call nested deeper than
	/// the limit (whose classification is refused).
	fn fold(
		call: &RuntimeCall,
		depth: u32,
		beyond: u32,
		own: &impl Fn(&RuntimeCall) -> u32,
	) -> u32 {
		if depth > MAX_NESTING {
			return beyond;
		}
		let inner = |c: &RuntimeCall| Self::fold(c, depth + 1, beyond, own);
		let inner: u32 = match call {
			RuntimeCall::Utility(c) => {
				use pallet_utility::Call as U;
				match c {
					U::batch { calls } | U::batch_all { calls } | U::force_batch { calls } => {
						calls.iter().map(inner).fold(0u32, |a, b| a.saturating_add(b))
					},
					U::as_derivative { call, .. }
					| U::with_weight { call, .. }
					| U::dispatch_as { call, .. }
					| U::dispatch_as_fallible { call, .. } => inner(call),
					U::if_else { main, fallback } => inner(main).saturating_add(inner(fallback)),
					U::__Ignore(..) => 0,
				}
			},
			_ => 0,
		};
		inner.saturating_add(own(call))
	}
}

impl Classify<AccountId, Balance, RuntimeCall> for SensitiveCalls {
	fn classify(
		who: &AccountId,
		call: &RuntimeCall,
		out: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable> {
		Self::walk(who, call, &mut Walk { out, visited: 0 }, 0)
	}

	fn calls_visited(call: &RuntimeCall) -> u32 {
		Self::count(call)
	}

	fn state_reads(call: &RuntimeCall) -> u32 {
		Self::reads(call)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn transfer(dest: AccountId, value: Balance) -> Option<RuntimeCall> {
		Some(RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: dest.into(),
			value,
		}))
	}
}

/// Account standing from `pallet_roles`.
pub struct RolesStanding;
impl Standing<AccountId> for RolesStanding {
	fn restricted(who: &AccountId) -> bool {
		use pallet_roles::AccountState as S;
		match crate::Roles::state(who) {
			S::Active | S::Flagged => false,
			S::Suspended | S::Terminated => true,
		}
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
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = MfaDepositPerByte;
	type Classifier = SensitiveCalls;
	type Identity = VeidTiers;
	type Standing = RolesStanding;
	type ValueWindow = ValueWindow;
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
