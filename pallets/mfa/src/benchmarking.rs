//! Benchmarks of every call and of the extension's check, each in its worst case: full credential
//! and device lists, an authorization carrying all four kinds of proof (a P-256 verification
//! among them), the longest lists the check reads.

use alloc::{boxed::Box, vec, vec::Vec};
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::{traits::Saturating, KeyTypeId};
use virtengine_mfa_primitives::{
	otp::code_commitment,
	webauthn::{self, soft::SoftAuthenticator},
	Factor, FactorSet,
};

use crate::{pallet::*, Action, Assertion, ChannelKind, Proof, RelyingPartyConfig, Rule};

const BENCH_KEYS: KeyTypeId = KeyTypeId(*b"bmfa");
const RP_ID: &str = "bench.virtengine";
const ORIGIN: &str = "https://bench.virtengine";

fn relying_party<T: Config>() {
	RelyingParty::<T>::put(RelyingPartyConfig {
		id: RP_ID.as_bytes().to_vec().try_into().expect("short"),
		origin: ORIGIN.as_bytes().to_vec().try_into().expect("short"),
	});
}

fn funded<T: Config>(name: &'static str) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, 0, 0);
	T::Currency::set_balance(
		&who,
		T::Currency::minimum_balance().saturating_mul(1_000_000u32.into()),
	);
	who
}

/// A software authenticator with a distinct key per `n` (a 32-byte id: a typical passkey's).
fn soft(n: u8) -> SoftAuthenticator {
	let mut secret = [0x11u8; 32];
	secret[31] = n.wrapping_add(1);
	let mut id = [0xc0u8; 32];
	id[0] = n;
	SoftAuthenticator::from_secret(&secret, &id, RP_ID).expect("valid scalar")
}

fn assertion(a: &webauthn::soft::SoftAssertion, id: &[u8]) -> Result<Assertion, BenchmarkError> {
	Ok(Assertion {
		credential_id: id.to_vec().try_into().map_err(|_| "id")?,
		authenticator_data: a.authenticator_data.clone().try_into().map_err(|_| "data")?,
		client_data_json: a.client_data_json.clone().try_into().map_err(|_| "json")?,
		signature: a.signature.clone().try_into().map_err(|_| "sig")?,
	})
}

/// Fills `who`'s credential list to `n` entries with software credentials; returns the last one.
fn credentials<T: Config>(who: &T::AccountId, n: u32) -> SoftAuthenticator {
	let mut list = Vec::new();
	let mut last = soft(0);
	for i in 0..n {
		last = soft(i as u8);
		list.push(crate::Credential {
			id: last.credential_id.clone().try_into().expect("32 bytes"),
			public_key: last.public_key(),
			counter: 0,
			require_uv: true,
		});
	}
	Credentials::<T>::insert(who, BoundedVec::truncate_from(list));
	last
}

/// Fills `who`'s device list to `n` keys from the keystore; returns the last one.
fn devices<T: Config>(who: &T::AccountId, n: u32) -> [u8; 32] {
	let mut keys = Vec::new();
	for _ in 0..n {
		keys.push(sp_io::crypto::ed25519_generate(BENCH_KEYS, None).0);
	}
	let last = keys.last().copied().unwrap_or_default();
	Devices::<T>::insert(who, BoundedVec::truncate_from(keys));
	last
}

fn sign_device(key: &[u8; 32], message: &[u8; 32]) -> Result<[u8; 64], BenchmarkError> {
	let public = sp_core::ed25519::Public::from_raw(*key);
	Ok(sp_io::crypto::ed25519_sign(BENCH_KEYS, &public, message).ok_or("no device key")?.0)
}

/// An SMS channel for `who`.
fn sms_channel<T: Config>(who: &T::AccountId) {
	Channels::<T>::insert(
		who,
		BoundedVec::truncate_from(vec![crate::Channel {
			kind: ChannelKind::Sms,
			destination: [1; 32],
		}]),
	);
}

/// The origin governance calls are benchmarked with.
fn admin_origin<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	<T::AdminOrigin as EnsureOrigin<T::RuntimeOrigin>>::try_successful_origin()
		.map_err(|_| BenchmarkError::Weightless)
}

/// Every action with a requirement: the longest list the check reads.
fn all_requirements<T: Config>(who: &T::AccountId) {
	let own: Vec<_> = Action::ALL.iter().map(|a| (*a, FactorSet::of(&[Factor::Fido2]))).collect();
	UserRequirements::<T>::insert(who, BoundedVec::truncate_from(own));
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_credential() -> Result<(), BenchmarkError> {
		relying_party::<T>();
		let who = funded::<T>("user");
		credentials::<T>(&who, T::MaxCredentials::get().saturating_sub(1));
		let mut new = soft(200);
		let pk = new.public_key();
		let challenge = webauthn::enroll_challenge(
			&Pallet::<T>::genesis(),
			&who.encode(),
			&new.credential_id,
			&pk,
		);
		let a = assertion(&new.assert(&challenge, ORIGIN), &new.credential_id)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), pk.to_vec().try_into().map_err(|_| "pk")?, true, a);
		assert_eq!(Credentials::<T>::get(&who).len() as u32, T::MaxCredentials::get());
		Ok(())
	}

	/// The last of a full credential list.
	#[benchmark]
	fn remove_credential() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		let last = credentials::<T>(&who, T::MaxCredentials::get());
		let id: BoundedVec<u8, _> = last.credential_id.try_into().map_err(|_| "id")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id);
		assert_eq!(Credentials::<T>::get(&who).len() as u32, T::MaxCredentials::get() - 1);
		Ok(())
	}

	#[benchmark]
	fn set_channel() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		sms_channel::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ChannelKind::Email, [2; 32]);
		assert_eq!(Channels::<T>::get(&who).len(), 2);
		Ok(())
	}

	/// One of two channels (both kinds set), its deposit held and released in part.
	#[benchmark]
	fn remove_channel() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		sms_channel::<T>(&who);
		Channels::<T>::mutate(&who, |channels| {
			let _ = channels
				.try_push(crate::Channel { kind: ChannelKind::Email, destination: [2; 32] });
		});
		Pallet::<T>::update_deposit(&who).map_err(|_| "deposit")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ChannelKind::Email);
		assert_eq!(Channels::<T>::get(&who).len(), 1);
		Ok(())
	}

	#[benchmark]
	fn add_device() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		devices::<T>(&who, T::MaxDevices::get().saturating_sub(1));
		let key = sp_io::crypto::ed25519_generate(BENCH_KEYS, None).0;
		let signature = sign_device(&key, &Pallet::<T>::device_enroll_challenge(&who, &key))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), key, signature);
		assert_eq!(Devices::<T>::get(&who).len() as u32, T::MaxDevices::get());
		Ok(())
	}

	/// The last of a full device list, its deposit held and released in part.
	#[benchmark]
	fn remove_device() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		let last = devices::<T>(&who, T::MaxDevices::get());
		Pallet::<T>::update_deposit(&who).map_err(|_| "deposit")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), last);
		assert_eq!(Devices::<T>::get(&who).len() as u32, T::MaxDevices::get() - 1);
		Ok(())
	}

	#[benchmark]
	fn bind_totp() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		let verifier: T::AccountId = account("verifier", 0, 0);
		Attesters::<T>::insert(&verifier, ());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), verifier, [3; 32]);
		assert!(Totp::<T>::contains_key(&who));
		Ok(())
	}

	/// The binding and an outstanding attestation removed, the deposit released.
	#[benchmark]
	fn unbind_totp() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		let verifier: T::AccountId = account("verifier", 0, 0);
		Totp::<T>::insert(&who, crate::TotpBinding { verifier, sealed_seed: [3; 32] });
		let expires = frame_system::Pallet::<T>::block_number().saturating_add(10u32.into());
		TotpAttestations::<T>::insert(&who, ([8; 32], expires));
		Pallet::<T>::update_deposit(&who).map_err(|_| "deposit")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Totp::<T>::contains_key(&who) && !TotpAttestations::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn set_requirement() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		all_requirements::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Action::LeaseClose, FactorSet::of(&[Factor::Totp]));
		assert_eq!(UserRequirements::<T>::get(&who).len(), Action::ALL.len());
		Ok(())
	}

	/// All four proofs: a P-256 assertion (last of a full credential list), a device signature
	/// (last of a full device list), a one-time code and a TOTP attestation.
	#[benchmark]
	fn authorize() -> Result<(), BenchmarkError> {
		relying_party::<T>();
		let who = funded::<T>("user");
		let mut auth = credentials::<T>(&who, T::MaxCredentials::get());
		let device = devices::<T>(&who, T::MaxDevices::get());
		let verifier: T::AccountId = account("verifier", 0, 0);
		Attesters::<T>::insert(&verifier, ());
		Totp::<T>::insert(
			&who,
			crate::TotpBinding { verifier: verifier.clone(), sealed_seed: [3; 32] },
		);
		sms_channel::<T>(&who);
		all_requirements::<T>(&who);
		// Changing a requirement: FIDO2 and TOTP (both enrolled).
		let call: <T as Config>::RuntimeCall =
			Call::<T>::set_requirement { action: Action::LeaseClose, factors: FactorSet::EMPTY }
				.into();
		let challenge = Pallet::<T>::authorize_challenge(&who, &call);
		let salt = [9u8; 32];
		let now = frame_system::Pallet::<T>::block_number();
		Codes::<T>::insert(
			&who,
			crate::IssuedCode {
				commitment: code_commitment(&salt, &who.encode(), 123456),
				expires: now.saturating_add(10u32.into()),
				attempts_left: 3,
			},
		);
		TotpAttestations::<T>::insert(&who, (challenge, now.saturating_add(10u32.into())));
		let fido = assertion(&auth.assert(&challenge, ORIGIN), &auth.credential_id)?;
		let proofs: BoundedVec<Proof, _> = vec![
			Proof::Fido2(fido),
			Proof::Device { key: device, signature: sign_device(&device, &challenge)? },
			Proof::Code { code: 123456, salt },
			Proof::Totp,
		]
		.try_into()
		.map_err(|_| "proofs")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Box::new(call), proofs);
		assert!(Pending::<T>::get(&who).is_some());
		Ok(())
	}

	/// Recovery with the lost account's three default factors and a device proof (every kind
	/// that applies), the credential last of a full list.
	#[benchmark]
	fn initiate_recovery() -> Result<(), BenchmarkError> {
		relying_party::<T>();
		let lost = funded::<T>("lost");
		let rescuer = funded::<T>("rescuer");
		let mut auth = credentials::<T>(&lost, T::MaxCredentials::get());
		let device = devices::<T>(&lost, T::MaxDevices::get());
		sms_channel::<T>(&lost);
		// VEID is part of the default recovery policy; the benchmark measures the proofs, so the
		// policy here asks for the factors it can prove without an identity pallet.
		let mut policy = Rule::AccountRecovery.default_policy();
		policy.factors = FactorSet::of(&[Factor::Fido2, Factor::OneTimeCode]);
		Policies::<T>::insert(Rule::AccountRecovery, policy);
		let challenge = Pallet::<T>::recovery_challenge(&lost, &rescuer);
		let salt = [9u8; 32];
		let now = frame_system::Pallet::<T>::block_number();
		Codes::<T>::insert(
			&lost,
			crate::IssuedCode {
				commitment: code_commitment(&salt, &lost.encode(), 123456),
				expires: now.saturating_add(10u32.into()),
				attempts_left: 3,
			},
		);
		let fido = assertion(&auth.assert(&challenge, ORIGIN), &auth.credential_id)?;
		let proofs: BoundedVec<Proof, _> = vec![
			Proof::Fido2(fido),
			Proof::Code { code: 123456, salt },
			Proof::Device { key: device, signature: sign_device(&device, &challenge)? },
		]
		.try_into()
		.map_err(|_| "proofs")?;
		#[extrinsic_call]
		_(RawOrigin::Signed(rescuer), lost.clone(), proofs);
		assert!(Recoveries::<T>::contains_key(&lost));
		Ok(())
	}

	/// The owner cancels a recovery under way (its only path that writes).
	#[benchmark]
	fn cancel_recovery() -> Result<(), BenchmarkError> {
		let lost = funded::<T>("lost");
		let rescuer: T::AccountId = account("rescuer", 0, 0);
		let executable_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::RecoveryDelay::get());
		Recoveries::<T>::insert(&lost, crate::Recovery { rescuer, executable_at });
		#[extrinsic_call]
		_(RawOrigin::Signed(lost.clone()));
		assert!(!Recoveries::<T>::contains_key(&lost));
		Ok(())
	}

	/// Every factor list of the lost account at its longest, cleared; the funds moved.
	#[benchmark]
	fn claim_recovery() -> Result<(), BenchmarkError> {
		let lost = funded::<T>("lost");
		let rescuer = funded::<T>("rescuer");
		credentials::<T>(&lost, T::MaxCredentials::get());
		devices::<T>(&lost, T::MaxDevices::get());
		all_requirements::<T>(&lost);
		let known: Vec<T::AccountId> =
			(0..T::MaxKnownRecipients::get()).map(|i| account("known", i, 0)).collect();
		KnownRecipients::<T>::insert(&lost, BoundedVec::truncate_from(known));
		Pallet::<T>::update_deposit(&lost).map_err(|_| "deposit")?;
		let now = frame_system::Pallet::<T>::block_number();
		Recoveries::<T>::insert(
			&lost,
			crate::Recovery { rescuer: rescuer.clone(), executable_at: now },
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(rescuer), lost.clone());
		assert!(Credentials::<T>::get(&lost).is_empty());
		Ok(())
	}

	#[benchmark]
	fn issue_code() -> Result<(), BenchmarkError> {
		let issuer = funded::<T>("issuer");
		Attesters::<T>::insert(&issuer, ());
		let who: T::AccountId = account("user", 0, 0);
		sms_channel::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(issuer), who.clone(), [7; 32], T::MaxCodeTtl::get());
		assert!(Codes::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn attest_totp() -> Result<(), BenchmarkError> {
		let verifier = funded::<T>("verifier");
		Attesters::<T>::insert(&verifier, ());
		let who: T::AccountId = account("user", 0, 0);
		Totp::<T>::insert(
			&who,
			crate::TotpBinding { verifier: verifier.clone(), sealed_seed: [3; 32] },
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(verifier), who.clone(), [8; 32], T::MaxCodeTtl::get());
		assert!(TotpAttestations::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn set_policy() -> Result<(), BenchmarkError> {
		let origin = admin_origin::<T>()?;
		let policy = Rule::KeyRotation.default_policy();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Rule::KeyRotation, policy);
		assert_eq!(Policies::<T>::get(Rule::KeyRotation), Some(policy));
		Ok(())
	}

	#[benchmark]
	fn set_thresholds() -> Result<(), BenchmarkError> {
		let origin = admin_origin::<T>()?;
		let max = <BalanceOf<T> as sp_runtime::traits::Bounded>::max_value();
		let thresholds =
			crate::Thresholds { large_withdrawal: max, large_order: max, large_transfer: max };
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, thresholds);
		assert_eq!(ValueThresholds::<T>::get(), Some(thresholds));
		Ok(())
	}

	/// The longest RP ID and origin.
	#[benchmark]
	fn set_relying_party() -> Result<(), BenchmarkError> {
		let origin = admin_origin::<T>()?;
		let config = RelyingPartyConfig {
			id: BoundedVec::truncate_from(vec![b'r'; 128]),
			origin: BoundedVec::truncate_from(vec![b'o'; 128]),
		};
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, config.clone());
		assert_eq!(RelyingParty::<T>::get(), Some(config));
		Ok(())
	}

	#[benchmark]
	fn add_attester() -> Result<(), BenchmarkError> {
		let origin = admin_origin::<T>()?;
		let who: T::AccountId = account("attester", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(Attesters::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn remove_attester() -> Result<(), BenchmarkError> {
		let origin = admin_origin::<T>()?;
		let who: T::AccountId = account("attester", 0, 0);
		Attesters::<T>::insert(&who, ());
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(!Attesters::<T>::contains_key(&who));
		Ok(())
	}

	/// The extension's check of a sensitive call with every list it reads at its longest and
	/// the authorization found last (no pending call, a session among a full list).
	#[benchmark]
	fn check_mfa() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		credentials::<T>(&who, T::MaxCredentials::get());
		devices::<T>(&who, T::MaxDevices::get());
		all_requirements::<T>(&who);
		let known: Vec<T::AccountId> =
			(0..T::MaxKnownRecipients::get()).map(|i| account("known", i, 0)).collect();
		KnownRecipients::<T>::insert(&who, BoundedVec::truncate_from(known));
		let now = frame_system::Pallet::<T>::block_number();
		let sessions: Vec<_> = Action::ALL
			.iter()
			.map(|a| crate::SessionGrant {
				action: *a,
				factors: FactorSet::of(&[Factor::Fido2]),
				expires: now.saturating_add(100u32.into()),
			})
			.collect();
		Sessions::<T>::insert(&who, BoundedVec::truncate_from(sessions));
		Pending::<T>::insert(&who, crate::CallAuthorization { call_hash: [0; 32], expires: now });
		let call: <T as Config>::RuntimeCall =
			Call::<T>::set_channel { kind: ChannelKind::Email, destination: [5; 32] }.into();
		let result;
		#[block]
		{
			result = Pallet::<T>::check(&who, &call);
		}
		// set_channel is a factor change (critical): the pending authorization, looked for
		// first, is of another call; then refused.
		assert_eq!(result, Err(crate::MFA_REQUIRED));
		Ok(())
	}

	/// The plain check, the common path: a transfer to the last of a full list of known
	/// recipients by an account with no factors and no requirements of its own, under value
	/// thresholds (none exceeded), with value already in its window.
	#[benchmark]
	fn check_mfa_plain() -> Result<(), BenchmarkError> {
		let who = funded::<T>("user");
		let known: Vec<T::AccountId> =
			(0..T::MaxKnownRecipients::get()).map(|i| account("known", i, 0)).collect();
		let to = known.last().cloned().ok_or(BenchmarkError::Weightless)?;
		KnownRecipients::<T>::insert(&who, BoundedVec::truncate_from(known));
		let max = <BalanceOf<T> as sp_runtime::traits::Bounded>::max_value();
		ValueThresholds::<T>::put(crate::Thresholds {
			large_withdrawal: max,
			large_order: max,
			large_transfer: max,
		});
		let mut moved = crate::ValueTotals::zero();
		moved.add(crate::ValueClass::Transfer, 1u32.into());
		Pallet::<T>::record_value(&who, moved);
		let call = <T::Classifier as crate::Classify<_, _, _>>::transfer(to, 1u32.into())
			.ok_or(BenchmarkError::Weightless)?;
		let result;
		#[block]
		{
			result = Pallet::<T>::check(&who, &call);
		}
		assert!(matches!(result, Ok(crate::Covered::NotSensitive { plain: true, .. })));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
