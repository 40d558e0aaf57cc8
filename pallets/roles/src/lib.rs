//! # Roles pallet
//!
//! The seeds' role model (`docs/access-control.md`):
//!
//! - **Roles** GenesisAccount, Administrator, Moderator, Validator, ServiceProvider, SupportAgent;
//!   every account is a Customer without being granted anything. Genesis accounts come from the
//!   chain spec (or governance); who may nominate and revoke whom is [`Role::may_nominate`].
//! - **Account states** Active (the default, not stored), Suspended, Flagged, Terminated, with the
//!   seeds' transitions ([`Pallet::suspend`], [`Pallet::flag`], [`Pallet::clear`],
//!   [`Pallet::reinstate`], [`Pallet::terminate`]), an appeal per suspension
//!   ([`Pallet::appeal`], [`Pallet::reject_appeal`]). Staff act only on accounts they outrank.
//!   A termination by staff is two-step: the account is suspended for
//!   [`Config::TerminationDelay`] (its appeal window, during which staff may reinstate it) and
//!   terminated after. Only governance terminates at once, and only governance reverses a
//!   termination ([`Pallet::reinstate`] from Terminated): no single staff key is irreversible.
//! - **Origins** for other pallets: [`EnsureRole`] (a signed account holding a role, or one that
//!   outranks it).
//! - **[`CheckAccountState`]**, a transaction extension: a suspended account can dispatch only an
//!   appeal and the calls the runtime lists as protecting its funds ([`CallScope`]), a terminated
//!   one nothing at all. It looks through the runtime's wrappers (batches, derivative accounts,
//!   dispatches as another origin) and checks every inner call against the account it acts as.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
mod functions;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use extension::{ActsAs, CallScope, CheckAccountState, SUSPENDED, TERMINATED, TOO_DEEP};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	use super::{AccountState, CallScope, Role, RoleSet, StateRecord, WeightInfo};

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// Governance: may grant or revoke any role and act on any account, terminates at once and
		/// alone reverses a termination.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// How long a termination by staff waits, in blocks: the account is suspended meanwhile
		/// (it may appeal, close its leases and dispute usage) and staff may still reinstate it.
		#[pallet::constant]
		type TerminationDelay: Get<BlockNumberFor<Self>>;
		/// The runtime's wrapper calls and the calls that protect a suspended account's funds,
		/// for [`crate::CheckAccountState`].
		type CallScope: CallScope<Self::AccountId, <Self as frame_system::Config>::RuntimeCall>;
		/// How many wrappers deep [`crate::CheckAccountState`] looks; a call nested deeper is
		/// refused ([`crate::TOO_DEEP`]).
		#[pallet::constant]
		type MaxCallNesting: Get<u32>;
		/// Weights.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Granted roles by account.
	#[pallet::storage]
	pub type Roles<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RoleSet, ValueQuery>;

	/// Accounts that are not Active. (A suspended account whose termination is due reads as
	/// Terminated: [`Pallet::state`].)
	///
	/// Blake2 because account ids are chosen by their owners (as for [`Roles`]).
	#[pallet::storage]
	pub type States<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, StateRecord<T>>;

	/// Terminations by staff waiting out their appeal window: the block from which the
	/// (suspended) account is terminated. Written only by staff, removed on reinstatement.
	///
	/// Blake2 because account ids are chosen by their owners.
	#[pallet::storage]
	pub type TerminationsDue<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The genesis accounts.
		pub genesis_accounts: Vec<T::AccountId>,
		/// Further roles granted at genesis.
		pub roles: Vec<(T::AccountId, Role)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for who in &self.genesis_accounts {
				Roles::<T>::mutate(who, |set| *set = set.with(Role::GenesisAccount));
			}
			for (who, role) in &self.roles {
				Roles::<T>::mutate(who, |set| *set = set.with(*role));
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A role was granted.
		RoleGranted {
			/// To whom.
			who: T::AccountId,
			/// The role.
			role: Role,
			/// By whom (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// A role was revoked (or renounced).
		RoleRevoked {
			/// From whom.
			who: T::AccountId,
			/// The role.
			role: Role,
			/// By whom (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// An account's state changed.
		StateChanged {
			/// Whose.
			who: T::AccountId,
			/// From.
			from: AccountState,
			/// To.
			to: AccountState,
			/// By whom (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// A suspended account appealed.
		Appealed {
			/// Who.
			who: T::AccountId,
			/// Hash of its statement.
			statement: [u8; 32],
		},
		/// An appeal was rejected: the account stays suspended.
		AppealRejected {
			/// Whose.
			who: T::AccountId,
		},
		/// Staff terminated a (now suspended) account: it is terminated from block `due` unless
		/// reinstated before.
		TerminationScheduled {
			/// Whose.
			who: T::AccountId,
			/// From which block the account is terminated.
			due: BlockNumberFor<T>,
			/// By whom.
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller's roles do not allow nominating or revoking this role.
		MayNotNominate,
		/// Customer is every account's; it is neither granted nor revoked.
		ImplicitRole,
		/// The account already holds the role.
		AlreadyHeld,
		/// The account does not hold the role.
		NotHeld,
		/// The caller's role does not allow this state change.
		MayNotAct,
		/// The target holds a role at least as high as the caller's.
		Outranked,
		/// The account's state does not allow this transition.
		BadTransition,
		/// Terminated is final.
		Terminated,
		/// Only a suspended account appeals, once per suspension.
		CannotAppeal,
		/// There is no appeal to reject.
		NoAppeal,
		/// A caller in a state other than Active or Flagged may not act on others.
		CallerNotActive,
		/// The account's termination is scheduled already.
		TerminationPending,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `role` to `who`, as the nomination table allows.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant())]
		pub fn grant(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_grant(actor, who, role)
		}

		/// Revokes `role` from `who`, as the nomination table allows.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_revoke(actor, who, role)
		}

		/// Gives up one of the caller's own roles.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn renounce(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_renounce(who, role)
		}

		/// Flags an active account for review (it may still act). Moderator or higher.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn flag(origin: OriginFor<T>, who: T::AccountId, reason: [u8; 32]) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_flag(actor, who, reason)
		}

		/// Ends a review with no violation: Flagged → Active. Moderator or higher.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn clear(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_clear(actor, who)
		}

		/// Suspends an active or flagged account. Moderator or higher.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn suspend(
			origin: OriginFor<T>,
			who: T::AccountId,
			reason: [u8; 32],
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_suspend(actor, who, reason)
		}

		/// Reinstates a suspended account (the appeal's resolution), cancelling a termination
		/// still in its appeal window: Suspended → Active. Administrator or higher. Governance
		/// also reinstates a terminated account: Terminated → Active, the one way back.
		///
		/// Emits [`Event::StateChanged`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reinstate())]
		pub fn reinstate(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_reinstate(actor, who)
		}

		/// Terminates a flagged or suspended account. Administrator or higher.
		///
		/// Staff (any signed account, whatever its role) only schedule it: the account is
		/// suspended now and terminated [`Config::TerminationDelay`] blocks later, unless
		/// reinstated before; emits [`Event::TerminationScheduled`] (and
		/// [`Event::StateChanged`] if it was flagged). Governance terminates at once; emits
		/// [`Event::StateChanged`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::terminate())]
		pub fn terminate(
			origin: OriginFor<T>,
			who: T::AccountId,
			reason: [u8; 32],
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_terminate(actor, who, reason)
		}

		/// Appeals the caller's suspension (once per suspension), with the hash of a statement
		/// kept off chain. The one call a suspended account may make.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::appeal())]
		pub fn appeal(origin: OriginFor<T>, statement: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_appeal(who, statement)
		}

		/// Rejects a suspended account's appeal: it stays suspended and cannot appeal again
		/// until suspended anew. Administrator or higher.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn reject_appeal(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_reject_appeal(actor, who)
		}
	}
}
