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
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use extension::{ActsAs, CallScope, CheckAccountState, SUSPENDED, TERMINATED, TOO_DEEP};
pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// The roles of the seeds' role table. Customer is every account's and is never stored.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Role {
	/// Initial chain authority: nominates roles, emergency actions.
	GenesisAccount,
	/// Platform operations: manages account states and configuration.
	Administrator,
	/// Moderation: reviews uploads, handles disputes, suspends users.
	Moderator,
	/// Consensus participant.
	Validator,
	/// Infrastructure operator: lists offerings, bids, reports usage.
	ServiceProvider,
	/// Customer support.
	SupportAgent,
	/// An end user: every account.
	Customer,
}

impl Role {
	/// Every role that can be granted.
	pub const GRANTABLE: [Role; 6] = [
		Role::GenesisAccount,
		Role::Administrator,
		Role::Moderator,
		Role::Validator,
		Role::ServiceProvider,
		Role::SupportAgent,
	];

	/// The bit of this role in a [`RoleSet`] (Customer has none).
	fn bit(self) -> u8 {
		match self {
			Role::Customer => 0,
			r => 1 << (r as u8),
		}
	}

	/// Rank in the staff hierarchy, for acting on other accounts: GenesisAccount 3,
	/// Administrator 2, Moderator 1, others 0.
	pub fn rank(self) -> u8 {
		match self {
			Role::GenesisAccount => 3,
			Role::Administrator => 2,
			Role::Moderator => 1,
			_ => 0,
		}
	}

	/// The nomination table: whether a holder of `self` may grant (and revoke) `role`.
	/// GenesisAccount nominates every staff and service role except another GenesisAccount
	/// (that is governance's); Administrator nominates Moderators, ServiceProviders and
	/// SupportAgents; no other role nominates anyone.
	pub fn may_nominate(self, role: Role) -> bool {
		match (self, role) {
			(_, Role::GenesisAccount) | (_, Role::Customer) => false,
			(Role::GenesisAccount, _) => true,
			(Role::Administrator, r) => {
				matches!(r, Role::Moderator | Role::ServiceProvider | Role::SupportAgent)
			},
			_ => false,
		}
	}
}

/// A set of granted roles.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct RoleSet(pub u8);

impl RoleSet {
	/// The set of `roles`.
	pub fn of(roles: &[Role]) -> RoleSet {
		roles.iter().fold(RoleSet::default(), |set, r| set.with(*r))
	}
	/// Whether the set holds `role` (Customer: always).
	pub fn has(&self, role: Role) -> bool {
		role == Role::Customer || self.0 & role.bit() != 0
	}
	/// The highest staff rank in the set.
	pub fn rank(&self) -> u8 {
		Role::GRANTABLE.iter().filter(|r| self.has(**r)).map(|r| r.rank()).max().unwrap_or(0)
	}
	fn with(self, role: Role) -> RoleSet {
		RoleSet(self.0 | role.bit())
	}
	fn without(self, role: Role) -> RoleSet {
		RoleSet(self.0 & !role.bit())
	}
	/// Whether a holder of this set may nominate `role`.
	pub fn may_nominate(&self, role: Role) -> bool {
		Role::GRANTABLE.iter().any(|r| self.has(*r) && r.may_nominate(role))
	}
}

/// An account's state (Active when nothing is stored).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum AccountState {
	/// In good standing.
	Active,
	/// Under review for a violation; it may still act.
	Flagged,
	/// May dispatch only an appeal and the calls that protect its funds.
	Suspended,
	/// May dispatch nothing; only governance reverses it.
	Terminated,
}

impl AccountState {
	/// How restricted the state is: the more restricted of two states wins where an account acts
	/// for another (a derivative account for its parent).
	fn severity(self) -> u8 {
		match self {
			AccountState::Active | AccountState::Flagged => 0,
			AccountState::Suspended => 1,
			AccountState::Terminated => 2,
		}
	}

	/// The more restricted of `self` and `other`.
	pub fn worse(self, other: AccountState) -> AccountState {
		if other.severity() > self.severity() {
			other
		} else {
			self
		}
	}
}

#[frame_support::pallet]
pub mod pallet {
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::{traits::CheckedAdd, ArithmeticError};

	use super::{AccountState, CallScope, Role, RoleSet, WeightInfo};

	/// A stored state other than Active, with why and since when.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	#[scale_info(skip_type_params(T))]
	pub struct StateRecord<T: Config> {
		/// The state.
		pub state: AccountState,
		/// Since which block.
		pub since: BlockNumberFor<T>,
		/// Who put the account in it (`None`: governance).
		pub by: Option<T::AccountId>,
		/// Hash of the stated reason (the text stays off chain).
		pub reason: [u8; 32],
		/// Hash of the account's appeal against a suspension, if it filed one.
		pub appeal: Option<[u8; 32]>,
	}

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

	/// Who acts: governance, or a signed account with its roles.
	enum Actor<AccountId> {
		Governance,
		Account(AccountId, RoleSet),
	}

	impl<T: Config> Pallet<T> {
		fn actor(origin: OriginFor<T>) -> Result<Actor<T::AccountId>, DispatchError> {
			if T::GovernanceOrigin::try_origin(origin.clone()).is_ok() {
				return Ok(Actor::Governance);
			}
			let who = ensure_signed(origin)?;
			ensure!(
				matches!(Self::state(&who), AccountState::Active | AccountState::Flagged),
				Error::<T>::CallerNotActive
			);
			let roles = Roles::<T>::get(&who);
			Ok(Actor::Account(who, roles))
		}

		fn by(actor: &Actor<T::AccountId>) -> Option<T::AccountId> {
			match actor {
				Actor::Governance => None,
				Actor::Account(who, _) => Some(who.clone()),
			}
		}

		/// An account's state (Active when nothing is stored). A suspended account whose
		/// termination by staff is due is Terminated.
		pub fn state(who: &T::AccountId) -> AccountState {
			match States::<T>::get(who).map(|r| r.state) {
				None => AccountState::Active,
				Some(AccountState::Suspended) => match TerminationsDue::<T>::get(who) {
					Some(due) if frame_system::Pallet::<T>::block_number() >= due => {
						AccountState::Terminated
					},
					_ => AccountState::Suspended,
				},
				Some(state) => state,
			}
		}

		/// Whether `who` holds `role` (every account is a Customer).
		pub fn has_role(who: &T::AccountId, role: Role) -> bool {
			Roles::<T>::get(who).has(role)
		}

		/// Checks that `actor` may move `target` with a staff action needing `min_rank`, and
		/// returns the target's current state.
		fn may_act(
			actor: &Actor<T::AccountId>,
			target: &T::AccountId,
			min_rank: u8,
		) -> Result<AccountState, DispatchError> {
			if let Actor::Account(_, roles) = actor {
				ensure!(roles.rank() >= min_rank, Error::<T>::MayNotAct);
				ensure!(roles.rank() > Roles::<T>::get(target).rank(), Error::<T>::Outranked);
			}
			let state = Self::state(target);
			ensure!(state != AccountState::Terminated, Error::<T>::Terminated);
			Ok(state)
		}

		/// A staff state change: `who` must be in one of `from_states`; it moves to `to`.
		fn transition(
			origin: OriginFor<T>,
			who: T::AccountId,
			min_rank: u8,
			from_states: &[AccountState],
			to: AccountState,
			reason: [u8; 32],
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			let from = Self::may_act(&actor, &who, min_rank)?;
			ensure!(from_states.contains(&from), Error::<T>::BadTransition);
			Self::set_state(&actor, who, from, to, reason);
			Ok(())
		}

		fn set_state(
			actor: &Actor<T::AccountId>,
			target: T::AccountId,
			from: AccountState,
			to: AccountState,
			reason: [u8; 32],
		) {
			let by = Self::by(actor);
			if to == AccountState::Active {
				States::<T>::remove(&target);
			} else {
				States::<T>::insert(
					&target,
					StateRecord::<T> {
						state: to,
						since: frame_system::Pallet::<T>::block_number(),
						by: by.clone(),
						reason,
						appeal: None,
					},
				);
			}
			// A suspended account whose termination was scheduled only has its record renewed.
			if from != to {
				Self::deposit_event(Event::StateChanged { who: target, from, to, by });
			}
		}
	}

	/// Ranks needed for state changes: Moderator (1) flags, clears and suspends; Administrator
	/// (2) reinstates, terminates and rejects appeals.
	const MODERATOR: u8 = 1;
	const ADMINISTRATOR: u8 = 2;

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `role` to `who`, as the nomination table allows.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant())]
		pub fn grant(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
			if let Actor::Account(_, roles) = &actor {
				ensure!(roles.may_nominate(role), Error::<T>::MayNotNominate);
			}
			let set = Roles::<T>::get(&who);
			ensure!(!set.has(role), Error::<T>::AlreadyHeld);
			Roles::<T>::insert(&who, set.with(role));
			Self::deposit_event(Event::RoleGranted { who, role, by: Self::by(&actor) });
			Ok(())
		}

		/// Revokes `role` from `who`, as the nomination table allows.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let actor = Self::actor(origin)?;
			ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
			if let Actor::Account(_, roles) = &actor {
				ensure!(roles.may_nominate(role), Error::<T>::MayNotNominate);
			}
			let set = Roles::<T>::get(&who);
			ensure!(set.has(role), Error::<T>::NotHeld);
			let rest = set.without(role);
			if rest == RoleSet::default() {
				Roles::<T>::remove(&who);
			} else {
				Roles::<T>::insert(&who, rest);
			}
			Self::deposit_event(Event::RoleRevoked { who, role, by: Self::by(&actor) });
			Ok(())
		}

		/// Gives up one of the caller's own roles.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn renounce(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
			let set = Roles::<T>::get(&who);
			ensure!(set.has(role), Error::<T>::NotHeld);
			Roles::<T>::insert(&who, set.without(role));
			Self::deposit_event(Event::RoleRevoked { who: who.clone(), role, by: Some(who) });
			Ok(())
		}

		/// Flags an active account for review (it may still act). Moderator or higher.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn flag(origin: OriginFor<T>, who: T::AccountId, reason: [u8; 32]) -> DispatchResult {
			use AccountState::*;
			Self::transition(origin, who, MODERATOR, &[Active], Flagged, reason)
		}

		/// Ends a review with no violation: Flagged → Active. Moderator or higher.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn clear(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			use AccountState::*;
			Self::transition(origin, who, MODERATOR, &[Flagged], Active, [0; 32])
		}

		/// Suspends an active or flagged account. Moderator or higher.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn suspend(
			origin: OriginFor<T>,
			who: T::AccountId,
			reason: [u8; 32],
		) -> DispatchResult {
			use AccountState::*;
			Self::transition(origin, who, MODERATOR, &[Active, Flagged], Suspended, reason)
		}

		/// Reinstates a suspended account (the appeal's resolution), cancelling a termination
		/// still in its appeal window: Suspended → Active. Administrator or higher. Governance
		/// also reinstates a terminated account: Terminated → Active, the one way back.
		///
		/// Emits [`Event::StateChanged`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reinstate())]
		pub fn reinstate(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			use AccountState::*;
			let actor = Self::actor(origin)?;
			let from = match actor {
				Actor::Governance => Self::state(&who),
				Actor::Account(..) => Self::may_act(&actor, &who, ADMINISTRATOR)?,
			};
			ensure!(matches!(from, Suspended | Terminated), Error::<T>::BadTransition);
			TerminationsDue::<T>::remove(&who);
			Self::set_state(&actor, who, from, Active, [0; 32]);
			Ok(())
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
			use AccountState::*;
			let actor = Self::actor(origin)?;
			let from = Self::may_act(&actor, &who, ADMINISTRATOR)?;
			ensure!(matches!(from, Flagged | Suspended), Error::<T>::BadTransition);
			let Actor::Account(by, _) = &actor else {
				TerminationsDue::<T>::remove(&who);
				Self::set_state(&actor, who, from, Terminated, reason);
				return Ok(());
			};
			ensure!(!TerminationsDue::<T>::contains_key(&who), Error::<T>::TerminationPending);
			let due = frame_system::Pallet::<T>::block_number()
				.checked_add(&T::TerminationDelay::get())
				.ok_or(ArithmeticError::Overflow)?;
			let by = by.clone();
			// A fresh record: the reason is the termination's, and the account may appeal it.
			Self::set_state(&actor, who.clone(), from, Suspended, reason);
			TerminationsDue::<T>::insert(&who, due);
			Self::deposit_event(Event::TerminationScheduled { who, due, by });
			Ok(())
		}

		/// Appeals the caller's suspension (once per suspension), with the hash of a statement
		/// kept off chain. The one call a suspended account may make.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::appeal())]
		pub fn appeal(origin: OriginFor<T>, statement: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			// Not once a termination is due (the record still says Suspended).
			ensure!(Self::state(&who) == AccountState::Suspended, Error::<T>::CannotAppeal);
			States::<T>::try_mutate(&who, |record| -> DispatchResult {
				let record = record.as_mut().ok_or(Error::<T>::CannotAppeal)?;
				ensure!(
					record.state == AccountState::Suspended && record.appeal.is_none(),
					Error::<T>::CannotAppeal
				);
				record.appeal = Some(statement);
				Ok(())
			})?;
			Self::deposit_event(Event::Appealed { who, statement });
			Ok(())
		}

		/// Rejects a suspended account's appeal: it stays suspended and cannot appeal again
		/// until suspended anew. Administrator or higher.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::change_state())]
		pub fn reject_appeal(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			let state = Self::may_act(&actor, &who, ADMINISTRATOR)?;
			ensure!(state == AccountState::Suspended, Error::<T>::BadTransition);
			let record = States::<T>::get(&who).ok_or(Error::<T>::NoAppeal)?;
			ensure!(record.appeal.is_some(), Error::<T>::NoAppeal);
			Self::deposit_event(Event::AppealRejected { who });
			Ok(())
		}
	}
}

/// An origin check for other pallets: a signed, active (or flagged) account holding `R::get()`,
/// or holding a role that outranks it in the staff hierarchy. Yields the account.
pub struct EnsureRole<T, R>(core::marker::PhantomData<(T, R)>);

impl<T: Config, R: frame_support::traits::Get<Role>>
	frame_support::traits::EnsureOrigin<T::RuntimeOrigin> for EnsureRole<T, R>
{
	type Success = T::AccountId;

	fn try_origin(o: T::RuntimeOrigin) -> Result<T::AccountId, T::RuntimeOrigin> {
		let who = match o.clone().into() {
			Ok(frame_system::RawOrigin::Signed(who)) => who,
			_ => return Err(o),
		};
		let role = R::get();
		let roles = Roles::<T>::get(&who);
		let standing =
			matches!(Pallet::<T>::state(&who), AccountState::Active | AccountState::Flagged);
		let holds = roles.has(role) || (role.rank() > 0 && roles.rank() > role.rank());
		if standing && holds {
			Ok(who)
		} else {
			Err(o)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<T::RuntimeOrigin, ()> {
		Err(())
	}
}
