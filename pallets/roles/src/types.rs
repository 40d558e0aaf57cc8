//! The pallet's types: roles and role sets, account states and their stored records, the actor of
//! a call, and the [`EnsureRole`] origin.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

use crate::Config;

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
	pub(crate) fn with(self, role: Role) -> RoleSet {
		RoleSet(self.0 | role.bit())
	}
	pub(crate) fn without(self, role: Role) -> RoleSet {
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

/// Who acts: governance, or a signed account with its roles.
pub(crate) enum Actor<AccountId> {
	/// [`Config::GovernanceOrigin`].
	Governance,
	/// A signed account in good standing (Active or Flagged), with its roles.
	Account(AccountId, RoleSet),
}

/// An origin check for other pallets: a signed, active (or flagged) account holding `R::get()`,
/// or holding a role that outranks it in the staff hierarchy. Yields the account.
pub struct EnsureRole<T, R>(core::marker::PhantomData<(T, R)>);
