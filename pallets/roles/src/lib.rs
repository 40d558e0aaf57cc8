#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

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
		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Granted roles by account (Customer, every account's, is never stored).
	///
	/// Blake2 because account ids are chosen by their owners.
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

	/// The roles held from genesis (the chain spec's `roles` section).
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
			/// The account that now holds the role.
			who: T::AccountId,
			/// The role granted.
			role: Role,
			/// The account that granted it (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// A role was revoked (or renounced).
		RoleRevoked {
			/// The account that no longer holds the role.
			who: T::AccountId,
			/// The role revoked.
			role: Role,
			/// The account that revoked it, `who` itself if renounced (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// An account's state changed.
		StateChanged {
			/// The account whose state changed.
			who: T::AccountId,
			/// Its state before.
			from: AccountState,
			/// Its state now.
			to: AccountState,
			/// The staff account that changed it (`None`: governance).
			by: Option<T::AccountId>,
		},
		/// A suspended account appealed.
		Appealed {
			/// The suspended account.
			who: T::AccountId,
			/// Hash of its statement (the text stays off chain).
			statement: [u8; 32],
		},
		/// An appeal was rejected: the account stays suspended.
		AppealRejected {
			/// The account whose appeal was rejected.
			who: T::AccountId,
		},
		/// Staff terminated a (now suspended) account: it is terminated from block `due` unless
		/// reinstated before.
		TerminationScheduled {
			/// The account to be terminated.
			who: T::AccountId,
			/// The block from which the account is terminated.
			due: BlockNumberFor<T>,
			/// The staff account that terminated it.
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller's roles do not allow nominating or revoking this role
		/// ([`Role::may_nominate`]).
		NotAuthorized,
		/// Customer is every account's; it is neither granted nor revoked.
		ImplicitRole,
		/// The account already holds the role.
		RoleAlreadyExists,
		/// The account does not hold the role.
		RoleNotFound,
		/// The caller's staff rank does not allow this state change (Moderator flags, clears and
		/// suspends; Administrator reinstates, terminates and rejects appeals).
		StateChangeNotAuthorized,
		/// The target holds a role at least as high as the caller's.
		Outranked,
		/// The account's state does not allow this transition.
		InvalidTransition,
		/// The account is terminated: final, except for governance's [`Pallet::reinstate`].
		AlreadyTerminated,
		/// Only a suspended account appeals, once per suspension.
		AppealNotAllowed,
		/// The account filed no appeal to reject.
		AppealNotFound,
		/// A caller in a state other than Active or Flagged may not act on others.
		CallerNotActive,
		/// The account's termination is scheduled already.
		TerminationPending,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `role` to `who`, as the nomination table allows ([`Role::may_nominate`]).
		///
		/// - Origin: [`Config::GovernanceOrigin`] (any role), or a signed account in good standing
		///   (Active or Flagged) holding a role that may nominate `role`.
		/// - Emits: [`Event::RoleGranted`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::ImplicitRole`], [`Error::NotAuthorized`],
		///   [`Error::RoleAlreadyExists`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant())]
		pub fn grant(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_grant(actor, who, role)
		}

		/// Revokes `role` from `who`, as the nomination table allows ([`Role::may_nominate`]):
		/// whoever may grant a role may revoke it.
		///
		/// - Origin: [`Config::GovernanceOrigin`] (any role), or a signed account in good standing
		///   (Active or Flagged) holding a role that may nominate `role`.
		/// - Emits: [`Event::RoleRevoked`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::ImplicitRole`], [`Error::NotAuthorized`],
		///   [`Error::RoleNotFound`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_revoke(actor, who, role)
		}

		/// Gives up one of the caller's own roles.
		///
		/// - Origin: signed, the role's holder.
		/// - Emits: [`Event::RoleRevoked`] (`by` the holder).
		/// - Errors: [`Error::ImplicitRole`], [`Error::RoleNotFound`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn renounce(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_renounce(who, role)
		}

		/// Flags an active account for review (it may still act): Active → Flagged.
		///
		/// - Origin: [`Config::GovernanceOrigin`], or a signed account in good standing with a
		///   staff rank of Moderator or higher that outranks `who`.
		/// - Emits: [`Event::StateChanged`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`], [`Error::InvalidTransition`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn flag(origin: OriginFor<T>, who: T::AccountId, reason: [u8; 32]) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_flag(actor, who, reason)
		}

		/// Ends a review with no violation: Flagged → Active.
		///
		/// - Origin: [`Config::GovernanceOrigin`], or a signed account in good standing with a
		///   staff rank of Moderator or higher that outranks `who`.
		/// - Emits: [`Event::StateChanged`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`], [`Error::InvalidTransition`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn clear(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_clear(actor, who)
		}

		/// Suspends an active or flagged account: Active or Flagged → Suspended. A suspended
		/// account may only appeal and make the calls that protect its funds
		/// ([`crate::CheckAccountState`]).
		///
		/// - Origin: [`Config::GovernanceOrigin`], or a signed account in good standing with a
		///   staff rank of Moderator or higher that outranks `who`.
		/// - Emits: [`Event::StateChanged`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`], [`Error::InvalidTransition`].
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
		/// still in its appeal window: Suspended → Active. Governance also reinstates a terminated
		/// account: Terminated → Active, the one way back.
		///
		/// - Origin: [`Config::GovernanceOrigin`] (from Suspended or Terminated), or a signed
		///   account in good standing with a staff rank of Administrator or higher that outranks
		///   `who` (from Suspended only).
		/// - Emits: [`Event::StateChanged`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`] (staff, once the termination is
		///   due), [`Error::InvalidTransition`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reinstate())]
		pub fn reinstate(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_reinstate(actor, who)
		}

		/// Terminates a flagged or suspended account.
		///
		/// Staff only schedule it: the account is suspended now (with a fresh record, so it may
		/// appeal) and terminated [`Config::TerminationDelay`] blocks later, unless reinstated
		/// before. Governance terminates at once: Flagged or Suspended → Terminated.
		///
		/// - Origin: [`Config::GovernanceOrigin`], or a signed account in good standing with a
		///   staff rank of Administrator or higher that outranks `who`.
		/// - Emits: by staff, [`Event::TerminationScheduled`] (and [`Event::StateChanged`] if the
		///   account was flagged); by governance, [`Event::StateChanged`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`], [`Error::InvalidTransition`],
		///   [`Error::TerminationPending`] (staff, a termination is scheduled already).
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

		/// Appeals the caller's suspension (once per suspension, not once its termination is
		/// due), with the hash of a statement kept off chain. The one call of this pallet a
		/// suspended account may make.
		///
		/// - Origin: signed, a suspended account.
		/// - Emits: [`Event::Appealed`].
		/// - Errors: [`Error::AppealNotAllowed`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::appeal())]
		pub fn appeal(origin: OriginFor<T>, statement: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_appeal(who, statement)
		}

		/// Rejects a suspended account's appeal: it stays suspended and cannot appeal again
		/// until suspended anew.
		///
		/// - Origin: [`Config::GovernanceOrigin`], or a signed account in good standing with a
		///   staff rank of Administrator or higher that outranks `who`.
		/// - Emits: [`Event::AppealRejected`].
		/// - Errors: [`Error::CallerNotActive`], [`Error::StateChangeNotAuthorized`],
		///   [`Error::Outranked`], [`Error::AlreadyTerminated`], [`Error::InvalidTransition`],
		///   [`Error::AppealNotFound`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn reject_appeal(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_reject_appeal(actor, who)
		}
	}
}
