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

/// The benchmarks' registered key: the Montgomery form of the ed25519 key of seed `[0x42; 32]`,
/// with its proofs for the account `account("who", 0, 0)` as the mock (`u64`) and the runtime
/// (32-byte ids) encode it. Fixed, because a benchmark cannot sign with ed25519 without a
/// keystore; `tests::benchmark_fixture_is_a_valid_proof` recomputes them.
pub(crate) mod fixture {
	/// The X25519 key.
	pub const PUBLIC: [u8; 32] =
		hex32("cc4f2cdb695dd766f34118eb67b98652fed1d8bc49c330b119bbfa8a64989378");
	/// Its ed25519 form.
	pub const ED25519: [u8; 32] =
		hex32("2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12");
	/// The proof for an 8-byte `account("who", 0, 0)`.
	pub const SIGNATURE_U64: [u8; 64] = hex64(
		"b3ec52a3d68f7f7f4b84895868e323e088d89f9849c6f2c607eb999e11e9ab02aee0db206c141f4d5063e872736a0ee46211b0ac89ae459c9186efc7d126cc06",
	);
	/// The proof for a 32-byte `account("who", 0, 0)`.
	pub const SIGNATURE_ACCOUNT_ID32: [u8; 64] = hex64(
		"45916d05cb022f41900b26188dc85cabf89285a0cd2d6abb8a0b208e182cc7509142f748fdb4727eda31e3e6e17fbb81eaa3b1d80d536b281614126b88e0120c",
	);

	// Evaluated at compile time only: a bad digit fails the build, never the runtime.
	#[allow(clippy::panic)]
	const fn nibble(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("not hex"),
		}
	}
	const fn hex32(s: &str) -> [u8; 32] {
		let b = s.as_bytes();
		let mut out = [0u8; 32];
		let mut i = 0;
		while i < 32 {
			out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
			i += 1;
		}
		out
	}
	const fn hex64(s: &str) -> [u8; 64] {
		let b = s.as_bytes();
		let mut out = [0u8; 64];
		let mut i = 0;
		while i < 64 {
			out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
			i += 1;
		}
		out
	}
}

/// The fixture's proof for `who`, if it is `account("who", 0, 0)` of an 8- or 32-byte type.
fn fixture_proof<T: Config>(who: &T::AccountId) -> Result<KeyProof, BenchmarkError> {
	use codec::Encode;
	let signature = match who.encoded_size() {
		8 => fixture::SIGNATURE_U64,
		32 => fixture::SIGNATURE_ACCOUNT_ID32,
		_ => return Err(BenchmarkError::Stop("no proof fixture for this account type")),
	};
	Ok(KeyProof { ed25519: fixture::ED25519, signature })
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

	/// With the proof of possession checked (a valid one).
	#[benchmark]
	fn register_key() -> Result<(), BenchmarkError> {
		let who = funded::<T>("who", 0);
		let proof = fixture_proof::<T>(&who)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), fixture::PUBLIC, proof);
		assert_eq!(Pallet::<T>::active_key(&who).map(|(_, p)| p), Some(fixture::PUBLIC));
		Ok(())
	}

	/// With the proof of possession checked (a valid one), and the account's list one short of
	/// full.
	#[benchmark]
	fn rotate_key() -> Result<(), BenchmarkError> {
		let who = funded::<T>("who", 0);
		let max = T::MaxKeysPerAccount::get();
		with_keys::<T>(&who, max.saturating_sub(2))?;
		let proof = fixture_proof::<T>(&who)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), fixture::PUBLIC, proof);
		assert_eq!(Pallet::<T>::active_key(&who).map(|(_, p)| p), Some(fixture::PUBLIC));
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
