//! [`CheckAccountState`]: a suspended account dispatches nothing but its appeal; a terminated one
//! nothing at all. Checked in the transaction pool and again when a block applies the
//! transaction, so a suspension takes effect for transactions already queued.

use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Get, IsSubType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension},
	transaction_validity::InvalidTransaction,
	Weight,
};

use crate::{AccountState, Call, Config, Pallet};

/// `InvalidTransaction::Custom` code: the signer is suspended and the call is not an appeal.
pub const SUSPENDED: u8 = 10;
/// `InvalidTransaction::Custom` code: the signer is terminated.
pub const TERMINATED: u8 = 11;

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

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for CheckAccountState<T>
where
	T::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "CheckAccountState";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, _: &T::RuntimeCall) -> Weight {
		// One read of the signer's state.
		T::DbWeight::get().reads(1)
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
		if let Some(who) = origin.as_signer() {
			match Pallet::<T>::state(who) {
				AccountState::Active | AccountState::Flagged => {},
				AccountState::Suspended => {
					if !matches!(call.is_sub_type(), Some(Call::appeal { .. })) {
						return Err(InvalidTransaction::Custom(SUSPENDED).into());
					}
				},
				AccountState::Terminated => {
					return Err(InvalidTransaction::Custom(TERMINATED).into())
				},
			}
		}
		Ok((Default::default(), (), origin))
	}
	impl_tx_ext_default!(T::RuntimeCall; prepare);
}
