//! Benchmarks of every call, each in its worst case, and of `check_envelope` by recipients.

use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use sp_runtime::Saturating;
use virtengine_envelope::{
	kdf::public_key, Envelope, Recipient, SenderSignature, ALGORITHM_X25519_XSALSA20_POLY1305,
	SCHEME_SR25519, TAG_LEN, VERSION_1, WRAPPED_KEY_LEN,
};

use crate::{pallet::BalanceOf, *};

/// A distinct, valid X25519 public key per `n`. (Not in byte 0: clamping clears its low bits.)
fn public(n: u32) -> [u8; 32] {
	let mut secret = [7u8; 32];
	secret[1..5].copy_from_slice(&n.to_le_bytes());
	public_key(&secret)
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	let amount = Pallet::<T>::key_deposit()
		.saturating_mul(BalanceOf::<T>::from(T::MaxKeysPerAccount::get().saturating_add(2)))
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// Gives `who` an active key and `retired` retired ones.
fn with_keys<T: Config>(who: &T::AccountId, retired: u32) -> Result<(), BenchmarkError> {
	Pallet::<T>::do_register(who.clone(), public(0))?;
	for n in 1..=retired {
		Pallet::<T>::do_rotate(who.clone(), public(n))?;
	}
	Ok(())
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_key() {
		let who = funded::<T>("who", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), public(1));
		assert!(Pallet::<T>::active_key(&who).is_some());
	}

	#[benchmark]
	fn rotate_key() -> Result<(), BenchmarkError> {
		let who = funded::<T>("who", 0);
		let max = T::MaxKeysPerAccount::get();
		with_keys::<T>(&who, max.saturating_sub(2))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), public(max));
		assert_eq!(Pallet::<T>::active_key(&who).map(|(_, p)| p), Some(public(max)));
		Ok(())
	}

	#[benchmark]
	fn revoke_key() -> Result<(), BenchmarkError> {
		let who = funded::<T>("who", 0);
		with_keys::<T>(&who, T::MaxKeysPerAccount::get().saturating_sub(1))?;
		let (active, _) = Pallet::<T>::active_key(&who).ok_or(BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), active);
		assert!(Pallet::<T>::active_key(&who).is_none());
		Ok(())
	}

	#[benchmark]
	fn remove_key() -> Result<(), BenchmarkError> {
		let who = funded::<T>("who", 0);
		with_keys::<T>(&who, T::MaxKeysPerAccount::get().saturating_sub(1))?;
		// The oldest key sits first in the list: removing it shifts all others.
		let oldest = virtengine_envelope::key_id(&public(0));
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), oldest);
		assert!(Keys::<T>::get(oldest).is_none());
		Ok(())
	}

	#[benchmark]
	fn check_envelope(r: Linear<1, { T::MaxRecipients::get() }>) -> Result<(), BenchmarkError> {
		let mut recipients = Vec::new();
		for i in 0..r {
			let who = funded::<T>("recipient", i);
			let key = public(1_000 + i);
			Pallet::<T>::do_register(who, key)?;
			recipients.push(Recipient {
				key_id: virtengine_envelope::key_id(&key),
				wrapped_key: [0u8; WRAPPED_KEY_LEN].to_vec(),
			});
		}
		let envelope = Envelope {
			version: VERSION_1,
			algorithm: ALGORITHM_X25519_XSALSA20_POLY1305,
			ephemeral_public: public(u32::MAX),
			recipients,
			payload_nonce: [0u8; 24],
			ciphertext: [0u8; TAG_LEN].to_vec(),
			content_type: Vec::new(),
			created_at: 0,
			sender: SenderSignature {
				scheme: SCHEME_SR25519,
				public: [0u8; 32],
				signature: [0u8; 64],
			},
		};
		#[block]
		{
			Pallet::<T>::check_envelope(&envelope).map_err(|_| BenchmarkError::Weightless)?;
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
