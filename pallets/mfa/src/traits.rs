//! The traits this pallet asks of the runtime and of other pallets: call classification,
//! account standing and identity tiers.

use alloc::vec::Vec;
use virtengine_veid_primitives::Tier;

use crate::{Context, Unclassifiable};

/// Maps runtime calls to sensitive actions. Implemented by the runtime (it knows the other
/// pallets' calls); this pallet classifies its own.
pub trait Classify<AccountId, Balance, Call> {
	/// Appends the context of every sensitive action `call` performs (several for a batch).
	/// `Err(Unclassifiable)` if the call cannot be classified (nested too deeply), which refuses
	/// it.
	fn classify(
		who: &AccountId,
		call: &Call,
		out: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable>;

	/// How many calls `classify` visits for `call` (a batch: its inner calls too): the check
	/// is charged per call visited, since a batch's classification grows with its length.
	fn calls_visited(_call: &Call) -> u32 {
		1
	}

	/// At most how many storage items `classify` reads for `call` (a value read from state,
	/// whether an order is the account's first): charged on top of the check.
	fn state_reads(_call: &Call) -> u32 {
		0
	}

	/// A transfer of `value` to `dest` that `classify` sees as one `TransferTokens` action,
	/// for the plain check's benchmark. `None`: the runtime has no such call.
	#[cfg(feature = "runtime-benchmarks")]
	fn transfer(_dest: AccountId, _value: Balance) -> Option<Call> {
		None
	}
}

impl<AccountId, Balance, Call> Classify<AccountId, Balance, Call> for () {
	fn classify(
		_: &AccountId,
		_: &Call,
		_: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable> {
		Ok(())
	}
}

/// Account standing, from the roles pallet.
pub trait Standing<AccountId> {
	/// Whether the account is suspended or terminated: its funds and factors may not be handed
	/// to anyone by recovery.
	fn restricted(who: &AccountId) -> bool;
}

impl<AccountId> Standing<AccountId> for () {
	fn restricted(_: &AccountId) -> bool {
		false
	}
}

/// The source of identity tiers (the VEID pallet).
pub trait IdentityTier<AccountId> {
	/// The account's verified, unexpired tier.
	fn tier(who: &AccountId) -> Option<Tier>;
}
