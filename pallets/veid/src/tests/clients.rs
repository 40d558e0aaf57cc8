//! Capture clients (approved by the admin origin) and the two signatures over the upload
//! digest: the client's and the user's, each refused with its own error.

use super::*;

#[test]
fn only_the_admin_manages_capture_clients() {
	new_test_ext().execute_with(|| {
		let key = ClientKey::Ed25519(client_pair().public().0);
		assert_noop!(
			Veid::register_client(RuntimeOrigin::signed(alice().0), CLIENT, key),
			sp_runtime::DispatchError::BadOrigin
		);
		register_client();
		assert_noop!(
			Veid::register_client(RuntimeOrigin::root(), CLIENT, key),
			Error::<Test>::ClientAlreadyExists
		);
		assert_ok!(Veid::remove_client(RuntimeOrigin::root(), CLIENT));
		assert_noop!(
			Veid::remove_client(RuntimeOrigin::root(), CLIENT),
			Error::<Test>::ClientNotFound
		);
	});
}

#[test]
fn an_sr25519_capture_client_is_verified_too() {
	new_test_ext().execute_with(|| {
		let client = sr25519::Pair::from_seed(&[9; 32]);
		assert_ok!(Veid::register_client(
			RuntimeOrigin::root(),
			CLIENT,
			ClientKey::Sr25519(client.public().0)
		));
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &|d| client.sign(d).0)));
	});
}

#[test]
fn unapproved_clients_and_forged_signatures_are_refused_with_their_own_errors() {
	new_test_ext().execute_with(|| {
		let a = alice();
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::ClientNotFound);
		register_client();
		// Signed by a key that is not the client's.
		let impostor = ed25519::Pair::from_seed(&[13; 32]);
		assert_noop!(
			submit(&a.0, signed_upload(&a, &|d| impostor.sign(d).0)),
			Error::<Test>::InvalidClientSignature
		);
		// The user's signature by another account.
		let mut u = signed_upload(&a, &by_client);
		u.user_signature = signed_upload(&bob(), &by_client).user_signature;
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidUserSignature);
		// Bob submitting Alice's signed upload: the digest binds the account.
		assert_noop!(
			submit(&bob().0, signed_upload(&a, &by_client)),
			Error::<Test>::InvalidClientSignature
		);
		// Any field changed after signing.
		let mut u = signed_upload(&a, &by_client);
		u.salt[0] ^= 1;
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidClientSignature);
		let mut u = signed_upload(&a, &by_client);
		let last = u.envelope.len() - 1;
		u.envelope[last] ^= 1;
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidClientSignature);
	});
}

#[test]
fn a_user_signature_a_wallet_would_show_as_an_extrinsic_is_refused() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		// The user signed the bare 32-byte digest: a wallet cannot tell it from a transaction
		// payload. Only the `<Bytes>`-wrapped digest (polkadot.js `signRaw`) is accepted.
		let mut u = signed_upload(&a, &by_client);
		let digest = upload_digest(
			&genesis(),
			&a.0,
			&u.scopes,
			&u.salt,
			&u.name,
			&u.birth,
			&sp_io::hashing::blake2_256(&u.envelope),
		);
		u.user_signature = MultiSignature::Sr25519(a.1.sign(&digest));
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidUserSignature);
	});
}

#[test]
fn an_upload_signed_for_another_chain_is_refused() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let mut u = signed_upload(&a, &by_client);
		let digest = upload_digest(
			&sp_core::H256::repeat_byte(7),
			&a.0,
			&u.scopes,
			&u.salt,
			&u.name,
			&u.birth,
			&sp_io::hashing::blake2_256(&u.envelope),
		);
		u.client_signature = by_client(&digest);
		u.user_signature = MultiSignature::Sr25519(a.1.sign(&user_message(&digest)));
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidClientSignature);
	});
}
