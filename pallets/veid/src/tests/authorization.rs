//! The authorization of the members' calls: signatures, pool priority and deduplication, and
//! the refusal codes the pool answers with.

use super::*;

#[test]
fn member_signatures_are_really_checked() {
	new_test_ext().execute_with(|| {
		open_request();
		let vote = v(84, DIGEST, MODELS);
		let commitment = vote_commitment(0, &member(1), &vote, &salt(1));
		// Signed by member 2's key in member 1's name.
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment,
				signature: sign(2, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		// Signed for another chain (another genesis hash).
		let payload = commit_payload(&sp_core::H256::repeat_byte(7), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment,
				signature: sign(1, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		// A commitment changed after signing.
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment: [9; 32],
				signature: sign(1, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		// A reveal signed by someone else.
		assert_noop!(reveal_as(1, 2, vote, salt(1)), sp_runtime::DispatchError::Other("bad proof"));
	});
}

#[test]
fn member_transactions_are_prioritised_deduplicated_and_live_until_the_deadline() {
	new_test_ext().execute_with(|| {
		open_request();
		let commitment = vote_commitment(0, &member(1), &v(84, DIGEST, MODELS), &salt(1));
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		let call = Call::<Test>::commit {
			request: 0,
			member: member(1),
			commitment,
			signature: sign(1, &payload),
		};
		let (valid, _) =
			call.authorize(TransactionSource::External).expect("authorized").expect("valid");
		assert_eq!(valid.priority, u64::MAX / 2);
		assert_eq!(valid.longevity, 2, "uploaded at 1, a 2-block commit phase, now 1");
		assert!(valid.propagate);
		// Two submissions of member 1's commit provide the same tag: the pool keeps one.
		let again = Call::<Test>::commit {
			request: 0,
			member: member(1),
			commitment: [3; 32],
			signature: sign(1, &commit_payload(&genesis(), 0, &member(1), &[3; 32])),
		};
		let (other, _) =
			again.authorize(TransactionSource::External).expect("authorized").expect("valid");
		assert_eq!(valid.provides, other.provides);
		let (m2, _) = {
			let c = vote_commitment(0, &member(2), &v(84, DIGEST, MODELS), &salt(2));
			Call::<Test>::commit {
				request: 0,
				member: member(2),
				commitment: c,
				signature: sign(2, &commit_payload(&genesis(), 0, &member(2), &c)),
			}
			.authorize(TransactionSource::External)
			.expect("authorized")
			.expect("valid")
		};
		assert_ne!(valid.provides, m2.provides);
	});
}

/// Each refusal of a member's call has its own code in the runtime's table, under the pallet
/// error's name, and every veid code in the table is one of them.
#[test]
fn refusal_codes_are_the_runtime_tables() {
	use crate::Refused;
	use virtengine_primitives::refusal::{refusal, REFUSALS};

	fn screaming(camel: &str) -> String {
		let mut out = String::new();
		for (i, c) in camel.chars().enumerate() {
			if c.is_ascii_uppercase() && i > 0 {
				out.push('_');
			}
			out.push(c.to_ascii_uppercase());
		}
		out
	}

	for refused in Refused::ALL {
		let entry = refusal(refused.code()).expect("the code is in the table");
		assert_eq!(entry.pallet, "veid");
		assert_eq!(entry.name, screaming(&format!("{refused:?}")));
		assert_eq!(Refused::from_code(refused.code()), Some(refused));
		// The dispatch error of the same name.
		let error: sp_runtime::DispatchError = Error::<Test>::from(refused).into();
		let sp_runtime::DispatchError::Module(module) = error else { panic!("{error:?}") };
		assert_eq!(module.message.map(String::from), Some(format!("{refused:?}")));
	}
	let veid = REFUSALS.iter().filter(|r| r.pallet == "veid").count();
	assert_eq!(veid, Refused::ALL.len());
}

/// The pool's refusal of a member's call names the check that failed: a commit to a request
/// that is not open is `REQUEST_NOT_OPEN` (30), not a bare error index.
#[test]
fn a_commit_to_no_open_request_is_refused_with_its_code() {
	new_test_ext().execute_with(|| {
		let call = Call::<Test>::commit {
			request: 999,
			member: member(0),
			commitment: [0; 32],
			signature: sign(0, b"unused"),
		};
		assert_eq!(
			call.authorize(TransactionSource::External).expect("an authorized call"),
			Err(InvalidTransaction::Custom(virtengine_primitives::refusal::veid::REQUEST_NOT_OPEN)
				.into())
		);
	});
}
