//! [`CheckMfa`]: a signed transaction whose call is sensitive (by call and by value, under the
//! account's policies) is refused unless an unexpired authorization covers it: the single-use
//! authorization of this exact call (used up when the transaction is applied) or, for
//! non-critical actions, an open session for the action.

use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{IsType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{DispatchInfoOf, DispatchOriginOf, PostDispatchInfoOf, TransactionExtension},
	transaction_validity::{InvalidTransaction, TransactionValidityError, ValidTransaction},
	Weight,
};

use crate::{BalanceOf, Config, Covered, Pallet};

/// The transaction extension gating sensitive calls.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckMfa<T>(PhantomData<T>);

impl<T> CheckMfa<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for CheckMfa<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckMfa")
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckMfa<T>
{
	const IDENTIFIER: &'static str = "CheckMfa";
	type Implicit = ();
	/// The signer and how the call was covered: a single-use authorization to use up, or the
	/// value an unauthorized call moves, to add to the signer's window.
	type Val = Option<(T::AccountId, Covered<BalanceOf<T>>)>;
	/// The weight charged beyond what the check needed, refunded after dispatch.
	type Pre = Weight;

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		Pallet::<T>::check_weight(IsType::from_ref(call))
	}

	fn validate(
		&self,
		origin: DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> sp_runtime::traits::ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		let Some(who) = origin.as_signer() else {
			return Ok((ValidTransaction::default(), None, origin));
		};
		let call: &<T as Config>::RuntimeCall = IsType::from_ref(call);
		match Pallet::<T>::check(who, call) {
			Ok(covered) => Ok((ValidTransaction::default(), Some((who.clone(), covered)), origin)),
			Err(code) => Err(InvalidTransaction::Custom(code).into()),
		}
	}

	fn prepare(
		self,
		val: Self::Val,
		_origin: &DispatchOriginOf<<T as frame_system::Config>::RuntimeCall>,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
	) -> Result<Self::Pre, TransactionValidityError> {
		let call: &<T as Config>::RuntimeCall = IsType::from_ref(call);
		let charged = Pallet::<T>::check_weight(call);
		let used = match val {
			Some((who, Covered::Authorization(hash))) => {
				Pallet::<T>::consume(&who, hash);
				charged
			},
			Some((who, Covered::NotSensitive { value, plain })) => {
				let windowed = !value.windowed().is_zero();
				Pallet::<T>::record_value(&who, value);
				if plain {
					Pallet::<T>::check_weight_plain(call, windowed)
				} else {
					charged
				}
			},
			Some((_, Covered::Session)) => charged,
			// Not signed: nothing was checked.
			None => Weight::zero(),
		};
		Ok(charged.saturating_sub(used))
	}

	fn post_dispatch_details(
		unspent: Self::Pre,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_post_info: &PostDispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_result: &sp_runtime::DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		Ok(unspent)
	}
}
