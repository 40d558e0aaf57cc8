//! Tests, by feature: WebAuthn assertions from a real software authenticator ([`assertions`]),
//! the seeds' gating tables row by row through the real extension ([`policies`]), factors and
//! their changes ([`factors`]), authorizations ([`authorizations`]), account recovery
//! ([`recovery`]), the attacks a review found ([`attacks`]) and the extension's charge ([`cost`]).
//! The helpers here submit calls through `CheckMfa` and build proofs.

#![allow(clippy::unwrap_used)]

use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionValidityError},
	traits::fungible::InspectHold,
	BoundedVec,
};
use sp_core::{ed25519, Pair};
use sp_runtime::{
	traits::{DispatchTransaction, Dispatchable},
	DispatchError,
};
use virtengine_mfa_primitives::{
	otp::code_commitment,
	webauthn::{self, soft::SoftAuthenticator},
	Factor, FactorSet,
};
use virtengine_veid_primitives::Tier;

use crate::{
	mock::*, Action, Assertion, ChannelKind, CheckMfa, Error, Event, HoldReason, Proof, Rule,
	MFA_REQUIRED, UNCLASSIFIABLE,
};

/// The attacks a security review found (issue 14), each performed as a test.
mod assertions;
mod attacks;
mod authorizations;
mod cost;
mod factors;
mod policies;
mod recovery;

// ---- helpers ----

/// Runs `call` signed by `who` through the `CheckMfa` extension (validate and prepare, as block
/// import does) and dispatches it.
fn submit(
	who: u64,
	call: RuntimeCall,
) -> Result<Result<(), DispatchError>, TransactionValidityError> {
	let ext = CheckMfa::<Test>::new();
	let info = call.get_dispatch_info();
	let (_, origin) = ext.validate_and_prepare(RuntimeOrigin::signed(who), &call, &info, 0, 0)?;
	Ok(call.dispatch(origin).map(|_| ()).map_err(|e| e.error))
}

fn refused(code: u8) -> Result<Result<(), DispatchError>, TransactionValidityError> {
	Err(InvalidTransaction::Custom(code).into())
}

fn to_assertion(a: &webauthn::soft::SoftAssertion, credential_id: &[u8]) -> Assertion {
	Assertion {
		credential_id: credential_id.to_vec().try_into().unwrap(),
		authenticator_data: a.authenticator_data.clone().try_into().unwrap(),
		client_data_json: a.client_data_json.clone().try_into().unwrap(),
		signature: a.signature.clone().try_into().unwrap(),
	}
}

fn authenticator() -> SoftAuthenticator {
	SoftAuthenticator::from_secret(&[0x42; 32], b"alice-key", RP_ID).unwrap()
}

/// Registers a software credential for `who`.
fn enroll(who: u64, auth: &mut SoftAuthenticator) {
	let pk = auth.public_key();
	let challenge =
		webauthn::enroll_challenge(&Mfa::genesis(), &who.encode(), &auth.credential_id, &pk);
	let a = auth.assert(&challenge, ORIGIN);
	assert_ok!(Mfa::register_credential(
		RuntimeOrigin::signed(who),
		pk.to_vec().try_into().unwrap(),
		true,
		to_assertion(&a, &auth.credential_id)
	));
}

fn fido2(who: u64, auth: &mut SoftAuthenticator, call: &RuntimeCall) -> Proof {
	let challenge = Mfa::authorize_challenge(&who, call);
	Proof::Fido2(to_assertion(&auth.assert(&challenge, ORIGIN), &auth.credential_id))
}

fn proofs(p: Vec<Proof>) -> BoundedVec<Proof, frame_support::pallet_prelude::ConstU32<4>> {
	p.try_into().unwrap()
}

fn authorize(
	who: u64,
	call: &RuntimeCall,
	p: Vec<Proof>,
) -> frame_support::dispatch::DispatchResult {
	Mfa::authorize(RuntimeOrigin::signed(who), Box::new(call.clone()), proofs(p))
}

/// Sets up an email channel and issues a code; returns the proof.
fn code_proof(who: u64, code: u32) -> Proof {
	if crate::Channels::<Test>::get(who).is_empty() {
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(who), ChannelKind::Email, [7; 32]));
	}
	let salt = [code as u8; 32];
	assert_ok!(Mfa::issue_code(
		RuntimeOrigin::signed(ISSUER),
		who,
		code_commitment(&salt, &who.encode(), code),
		50
	));
	Proof::Code { code, salt }
}

fn transfer(dest: u64, value: u64) -> RuntimeCall {
	RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive { dest, value })
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

// ---- a fully equipped account ----

/// A fully equipped account: a credential, an email channel, a Premium identity.
struct Equipped {
	auth: SoftAuthenticator,
}

fn equipped(who: u64) -> Equipped {
	let mut auth = authenticator();
	enroll(who, &mut auth);
	assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(who), ChannelKind::Sms, [1; 32]));
	set_tier(who, Some(Tier::Premium));
	Equipped { auth }
}

impl Equipped {
	/// Proofs for `factors` (VEID needs none: the tier is read).
	fn proofs(&mut self, who: u64, call: &RuntimeCall, factors: FactorSet) -> Vec<Proof> {
		let mut p = Vec::new();
		if factors.has(Factor::Fido2) {
			p.push(fido2(who, &mut self.auth, call));
		}
		if factors.has(Factor::OneTimeCode) {
			p.push(code_proof(who, 424242));
		}
		p
	}
}

use Factor::{Fido2 as F2, OneTimeCode as Otp, Veid as V};
