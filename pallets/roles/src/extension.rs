//! [`CheckAccountState`]: a suspended account dispatches only its appeal and the calls that
//! protect its funds; a terminated one nothing at all. Checked in the transaction pool and again
//! when a block applies the transaction, so a suspension takes effect for transactions already
//! queued.
//!
//! The check looks through the runtime's wrappers ([`CallScope::inner_calls`]): each inner call
//! is checked against the account it acts as (a derivative account, the account of a
//! `dispatch_as`), and an account acting for another one is as restricted as the more
//! restricted of the two (a derivative of a suspended account is confined as its parent is; a
//! derivative of a terminated account may not act). Wrappers nested deeper than
//! [`Config::MaxCallNesting`] are refused rather than left unchecked.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Get, IsSubType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{DispatchInfoOf, PostDispatchInfoOf, TransactionExtension},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	Weight,
};

use crate::{AccountState, Call, Config, Pallet};

/// The `InvalidTransaction::Custom` codes of this extension, from the runtime's table
/// (`virtengine_primitives::refusal`): the account a call acts as is suspended and the call is
/// neither an appeal nor one that protects its funds ([`SUSPENDED`]), it is terminated
/// ([`TERMINATED`]), or wrappers are nested deeper than `MaxCallNesting` ([`TOO_DEEP`]).
pub use virtengine_primitives::refusal::roles::{SUSPENDED, TERMINATED, TOO_DEEP};

/// Whom a wrapper's inner call acts as.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ActsAs<AccountId> {
	/// The wrapper's own caller (a batch, `with_weight`).
	Caller,
	/// Another account: a derivative of the caller (`as_derivative`), or the signed origin a
	/// call is dispatched as (`dispatch_as`, `sudo_as`).
	Account(AccountId),
	/// An origin that is no account (root, another chain's origin): its own checks apply, and
	/// it inherits the caller's restrictions.
	NoAccount,
}

/// What the runtime tells [`CheckAccountState`] about its calls.
pub trait CallScope<AccountId, Call> {
	/// The calls `call` dispatches in its stead, each with whom it acts as; `None` if `call` is
	/// no wrapper. `caller` is the account the wrapper itself acts as (`None`: no account, or
	/// unknown when only counting).
	fn inner_calls<'a>(
		caller: Option<&AccountId>,
		call: &'a Call,
	) -> Option<Vec<(ActsAs<AccountId>, &'a Call)>>;

	/// Whether a suspended account may still make `call` because it protects the account's
	/// funds (closing its leases, disputing usage). An explicit list of calls, never a whole
	/// pallet.
	fn protects_funds(call: &Call) -> bool;
}

/// No wrappers, and a suspended account may only appeal.
impl<AccountId, Call> CallScope<AccountId, Call> for () {
	fn inner_calls<'a>(
		_: Option<&AccountId>,
		_: &'a Call,
	) -> Option<Vec<(ActsAs<AccountId>, &'a Call)>> {
		None
	}
	fn protects_funds(_: &Call) -> bool {
		false
	}
}

/// The transaction extension confining suspended and terminated accounts.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckAccountState<T>(PhantomData<T>);

impl<T> CheckAccountState<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for CheckAccountState<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckAccountState")
	}
}

impl<T: Config> CheckAccountState<T>
where
	T::RuntimeCall: IsSubType<Call<T>>,
{
	/// Checks `call`, made by `caller` (`None`: no account) whose effective state is `state`,
	/// `depth` wrappers deep.
	fn check(
		caller: Option<&T::AccountId>,
		state: AccountState,
		call: &T::RuntimeCall,
		depth: u32,
	) -> Result<(), InvalidTransaction> {
		if state == AccountState::Terminated {
			return Err(InvalidTransaction::Custom(TERMINATED));
		}
		if let Some(inner) = T::CallScope::inner_calls(caller, call) {
			if depth >= T::MaxCallNesting::get() {
				return Err(InvalidTransaction::Custom(TOO_DEEP));
			}
			for (acts_as, inner_call) in &inner {
				match acts_as {
					ActsAs::Caller => Self::check(caller, state, inner_call, depth + 1)?,
					ActsAs::Account(who) => {
						let own = Pallet::<T>::state(who);
						Self::check(Some(who), own.worse(state), inner_call, depth + 1)?
					},
					ActsAs::NoAccount => Self::check(None, state, inner_call, depth + 1)?,
				}
			}
			return Ok(());
		}
		if state == AccountState::Suspended
			&& !matches!(call.is_sub_type(), Some(Call::appeal { .. }))
			&& !T::CallScope::protects_funds(call)
		{
			return Err(InvalidTransaction::Custom(SUSPENDED));
		}
		Ok(())
	}

	/// The extension's check of `call` dispatched by the signed account `who`, for dispatch
	/// paths that do not pass transaction extensions (an XCM `Transact` as a local account goes
	/// through the XCM executor's `CallDispatcher`, which should call this).
	pub fn check_call(who: &T::AccountId, call: &T::RuntimeCall) -> Result<(), InvalidTransaction> {
		Self::check(Some(who), Pallet::<T>::state(who), call, 0)
	}

	/// How many accounts' states checking `call` may read: one for the signer, one for each
	/// inner call acting as another account (counted up to the nesting bound).
	fn accounts_read(call: &T::RuntimeCall, depth: u32) -> u64 {
		let Some(inner) = T::CallScope::inner_calls(None, call) else { return 0 };
		if depth >= T::MaxCallNesting::get() {
			return 0;
		}
		inner.iter().fold(0u64, |n, (acts_as, inner_call)| {
			let own = u64::from(*acts_as != ActsAs::Caller);
			n.saturating_add(own).saturating_add(Self::accounts_read(inner_call, depth + 1))
		})
	}
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for CheckAccountState<T>
where
	T::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "CheckAccountState";
	type Implicit = ();
	/// The weight charged beyond what the check read (refunded after dispatch).
	type Val = Weight;
	type Pre = Weight;

	fn weight(&self, call: &T::RuntimeCall) -> Weight {
		// Per account: its state and, if suspended, its scheduled termination.
		let accounts = Self::accounts_read(call, 0).saturating_add(1);
		T::DbWeight::get().reads(accounts.saturating_mul(2))
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &T::RuntimeCall,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> sp_runtime::traits::ValidateResult<Self::Val, T::RuntimeCall> {
		let Some(who) = origin.as_signer() else {
			return Ok((Default::default(), self.weight(call), origin));
		};
		let state = Pallet::<T>::state(who);
		Self::check(Some(who), state, call, 0)?;
		// The common case, a call acting for its signer alone, who is not suspended: one read
		// (the state), not the termination's.
		let unspent = if state != AccountState::Suspended && Self::accounts_read(call, 0) == 0 {
			T::DbWeight::get().reads(1)
		} else {
			Weight::zero()
		};
		Ok((Default::default(), unspent, origin))
	}

	fn prepare(
		self,
		unspent: Self::Val,
		_origin: &<T as frame_system::Config>::RuntimeOrigin,
		_call: &T::RuntimeCall,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
	) -> Result<Self::Pre, TransactionValidityError> {
		Ok(unspent)
	}

	fn post_dispatch_details(
		unspent: Self::Pre,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_post_info: &PostDispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_result: &sp_runtime::DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		Ok(unspent)
	}
}
