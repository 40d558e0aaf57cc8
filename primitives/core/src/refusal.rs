//! The runtime's transaction refusal codes: every `InvalidTransaction::Custom(code)` a VirtEngine
//! pallet returns, one table for the whole runtime so that a code names one refusal only.
//!
//! Each pallet owns a range ([`RANGES`]); its codes are the named constants of its module here
//! ([`roles`], [`mfa`], [`veid`]), which the pallets use. Clients explain a refusal with
//! [`refusal`]. The crate's README shows the table; a test keeps the two equal.
//!
//! A code, once released, keeps its meaning: a retired refusal leaves a gap.

/// A refusal: a code, the pallet that returns it, and what the user should do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Refusal {
	/// The `InvalidTransaction::Custom` code.
	pub code: u8,
	/// The pallet that refuses with it (its crate name without `pallet-`).
	pub pallet: &'static str,
	/// The code's constant name in this module.
	pub name: &'static str,
	/// Why the transaction was refused and what the user should do, in one sentence.
	pub meaning: &'static str,
}

/// The codes a pallet may use: `first..=last`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Range {
	/// The pallet (as in [`Refusal::pallet`]).
	pub pallet: &'static str,
	/// Its first code.
	pub first: u8,
	/// Its last code.
	pub last: u8,
}

/// The pallets' ranges. 0–9 are not used (a bare 0 reads like an unset value); 60–255 are free
/// for the pallets that will need refusal codes.
pub const RANGES: &[Range] = &[
	Range { pallet: "roles", first: 10, last: 19 },
	Range { pallet: "mfa", first: 20, last: 29 },
	Range { pallet: "veid", first: 30, last: 59 },
];

/// `pallet-roles`: account states (`CheckAccountState`).
pub mod roles {
	/// The account a call acts as is suspended, and the call is neither an appeal nor one that
	/// protects its funds.
	pub const SUSPENDED: u8 = 10;
	/// The account a call acts as is terminated.
	pub const TERMINATED: u8 = 11;
	/// Wrappers (batches, derivatives, `dispatch_as`) nested deeper than `MaxCallNesting`.
	pub const TOO_DEEP: u8 = 12;
}

/// `pallet-mfa`: the MFA gate (`CheckMfa`).
pub mod mfa {
	/// The call is sensitive and no authorization or open session covers it.
	pub const MFA_REQUIRED: u8 = 20;
	/// The call could not be classified (its wrappers are nested too deeply).
	pub const UNCLASSIFIABLE: u8 = 21;
}

/// `pallet-veid`: the authorization of the identity committee members' commits, reveals and
/// committee keys. Each is the pallet error of the same name (in CamelCase) that the call
/// would fail with when dispatched.
pub mod veid {
	/// No open request has this id.
	pub const REQUEST_NOT_OPEN: u8 = 30;
	/// The member is not in the request's committee.
	pub const NOT_COMMITTEE_MEMBER: u8 = 31;
	/// The member already committed to this request.
	pub const ALREADY_COMMITTED: u8 = 32;
	/// The request's commit phase is over.
	pub const COMMIT_PHASE_OVER: u8 = 33;
	/// A score above 100.
	pub const INVALID_SCORE: u8 = 34;
	/// The vote names another model set than the active one (or none is active).
	pub const WRONG_MODEL_SET: u8 = 35;
	/// The member has not committed to this request.
	pub const COMMIT_NOT_FOUND: u8 = 36;
	/// The member already revealed.
	pub const ALREADY_REVEALED: u8 = 37;
	/// Reveals open once every member committed or the commit phase is over.
	pub const REVEAL_TOO_EARLY: u8 = 38;
	/// The revealed vote does not match the commitment.
	pub const COMMIT_MISMATCH: u8 = 39;
	/// Committee keys are published for the current or the next session only.
	pub const WRONG_SESSION: u8 = 40;
	/// The member is not a validator with a VEID key in that session.
	pub const NOT_SESSION_MEMBER: u8 = 41;
	/// The member already published its committee key for that session.
	pub const KEY_ALREADY_PUBLISHED: u8 = 42;
	/// Another member already published this committee key for the session.
	pub const KEY_IN_USE: u8 = 43;
	/// The committee key is a small-order point.
	pub const WEAK_KEY: u8 = 44;
	/// The proof of possession of the committee key does not verify.
	pub const INVALID_KEY_PROOF: u8 = 45;
}

macro_rules! refusals {
	($($pallet:ident :: $name:ident => $meaning:literal,)*) => {
		/// Every refusal code, in code order.
		pub const REFUSALS: &[Refusal] = &[$(Refusal {
			code: $pallet::$name,
			pallet: stringify!($pallet),
			name: stringify!($name),
			meaning: $meaning,
		},)*];
	};
}

refusals! {
	roles::SUSPENDED => "The account (or the account the call acts as) is suspended: it may only appeal and close or dispute its leases until the suspension is lifted.",
	roles::TERMINATED => "The account (or the account the call acts as) is terminated and can make no transaction: use another account.",
	roles::TOO_DEEP => "The call nests batches, derivatives or dispatch_as deeper than the runtime checks: submit the inner calls less deeply nested.",
	mfa::MFA_REQUIRED => "The call is sensitive: authorize it with your MFA factors first (virtengine mfa authorize), then submit the same call again.",
	mfa::UNCLASSIFIABLE => "The call nests batches too deeply for the MFA check to classify it: submit the inner calls less deeply nested.",
	veid::REQUEST_NOT_OPEN => "The verification request is no longer open (decided or timed out): drop the vote.",
	veid::NOT_COMMITTEE_MEMBER => "The member is not in the request's committee: only the committee the upload was sealed to votes on it.",
	veid::ALREADY_COMMITTED => "The member already committed to this request: nothing more to do until the reveal.",
	veid::COMMIT_PHASE_OVER => "The request's commit phase is over: it is too late to vote on it.",
	veid::INVALID_SCORE => "The vote's score is above 100: check the node's scoring pipeline.",
	veid::WRONG_MODEL_SET => "The vote names another model set than the active one: update the node's models to the active set.",
	veid::COMMIT_NOT_FOUND => "The member has not committed to this request: commit before revealing.",
	veid::ALREADY_REVEALED => "The member already revealed its vote: nothing more to do.",
	veid::REVEAL_TOO_EARLY => "Reveals open once every member committed or the commit phase is over: submit the reveal again then.",
	veid::COMMIT_MISMATCH => "The revealed vote or salt is not what was committed: reveal exactly the committed vote.",
	veid::WRONG_SESSION => "Committee keys are published for the current or the next session only: publish for one of those.",
	veid::NOT_SESSION_MEMBER => "The account is not a validator with a VEID session key in that session: register the session keys first.",
	veid::KEY_ALREADY_PUBLISHED => "The member already published its committee key for that session: nothing more to do.",
	veid::KEY_IN_USE => "Another member already published this committee key: generate a fresh key.",
	veid::WEAK_KEY => "The committee key is a small-order point: generate a fresh key.",
	veid::INVALID_KEY_PROOF => "The proof of possession of the committee key does not verify: sign the proof with the key's ed25519 form.",
}

/// The refusal with this code, if the runtime uses it.
pub fn refusal(code: u8) -> Option<&'static Refusal> {
	REFUSALS.iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn codes_are_unique() {
		for (i, a) in REFUSALS.iter().enumerate() {
			for b in &REFUSALS[i + 1..] {
				assert_ne!(a.code, b.code, "{} and {} share a code", a.name, b.name);
			}
		}
	}

	#[test]
	fn every_code_is_in_its_pallets_range() {
		for r in REFUSALS {
			let inside = RANGES.iter().any(|range| {
				range.pallet == r.pallet && (range.first..=range.last).contains(&r.code)
			});
			assert!(inside, "{} ({}) is outside the range of {}", r.name, r.code, r.pallet);
		}
	}

	#[test]
	fn ranges_do_not_overlap() {
		for (i, a) in RANGES.iter().enumerate() {
			assert!(a.first <= a.last);
			for b in &RANGES[i + 1..] {
				assert!(a.last < b.first || b.last < a.first, "{} and {}", a.pallet, b.pallet);
			}
		}
	}

	#[test]
	fn lookup_finds_every_code_and_nothing_else() {
		for r in REFUSALS {
			assert_eq!(refusal(r.code), Some(r));
			assert!(!r.name.is_empty() && !r.meaning.is_empty(), "{r:?}");
			assert!(r.meaning.ends_with('.'), "one sentence: {r:?}");
		}
		assert_eq!(refusal(roles::SUSPENDED).map(|r| r.name), Some("SUSPENDED"));
		assert_eq!(refusal(veid::INVALID_KEY_PROOF).map(|r| r.pallet), Some("veid"));
		assert_eq!(refusal(0), None);
		assert_eq!(refusal(255), None);
	}

	#[test]
	fn the_table_is_in_code_order() {
		assert!(REFUSALS.windows(2).all(|w| w[0].code < w[1].code));
	}

	/// The README's table is the documentation clients and operators read: each refusal is a
	/// row there, and the README has no row for a code the runtime does not use.
	#[test]
	fn the_readme_table_matches() {
		let readme = include_str!("../README.md");
		for r in REFUSALS {
			let row = format!("| {} | {} | `{}` | {} |", r.code, r.pallet, r.name, r.meaning);
			assert!(readme.lines().any(|line| line == row), "README lacks the row\n{row}");
		}
		let rows = readme
			.lines()
			.filter(|line| {
				let first = line.trim_start_matches('|').split('|').next().unwrap_or("");
				line.starts_with("| ") && first.trim().parse::<u8>().is_ok()
			})
			.count();
		assert_eq!(rows, REFUSALS.len(), "the README's refusal table has rows the code lacks");
		for range in RANGES {
			let row = format!("| {} | {}–{} |", range.pallet, range.first, range.last);
			assert!(readme.lines().any(|line| line == row), "README lacks the range\n{row}");
		}
	}
}
