//! What off-chain signers sign, defined once for the pallets that check the signatures and the
//! clients that make them (neither side may drift from the other).

use alloc::vec::Vec;
use sp_runtime::{codec::Encode, traits::BlakeTwo256, traits::Hash};

/// Domain of [`possession_statement`].
pub const POSSESSION_DOMAIN: &[u8; 37] = b"virtengine:envelope-key:possession:v1";

/// Domain of [`usage_message`].
pub const USAGE_DOMAIN: &[u8; 19] = b"virtengine/usage/v1";

/// What the ed25519 form of an envelope key signs to prove that `who` holds the key `public`
/// (`pallet_encryption::possession`): BLAKE2-256 of the domain, the account and the key.
pub fn possession_statement<AccountId: Encode>(who: &AccountId, public: &[u8; 32]) -> [u8; 32] {
	BlakeTwo256::hash_of(&(POSSESSION_DOMAIN, who, public)).0
}

/// The bytes a provider daemon signs for a usage record (`pallet_escrow`): the domain, the
/// chain's genesis hash and the record's SCALE encoding.
pub fn usage_message<Record: Encode>(genesis: &[u8; 32], record: &Record) -> Vec<u8> {
	let mut message = USAGE_DOMAIN.to_vec();
	message.extend_from_slice(genesis);
	record.encode_to(&mut message);
	message
}

/// Domain of [`gateway_message`].
pub const GATEWAY_DOMAIN: &[u8; 21] = b"virtengine/gateway/v1";

/// What a lease's customer signs (sr25519, with its account key) to read the lease through its
/// provider's gateway: the domain, the chain's genesis hash, and the SCALE encoding of the
/// request's method, path, time (ms since the Unix epoch) and random nonce. The gateway refuses
/// a time far from its own and a nonce it has seen, so a request cannot be replayed.
pub fn gateway_message(
	genesis: &[u8; 32],
	method: &str,
	path: &str,
	timestamp_ms: u64,
	nonce: &[u8; 16],
) -> Vec<u8> {
	let mut message = GATEWAY_DOMAIN.to_vec();
	message.extend_from_slice(genesis);
	(method, path, timestamp_ms, nonce).encode_to(&mut message);
	message
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn messages_bind_their_domain_and_chain() {
		let a = usage_message(&[1; 32], &(7u64, 1u32));
		assert!(a.starts_with(USAGE_DOMAIN));
		assert_ne!(a, usage_message(&[2; 32], &(7u64, 1u32)), "bound to the genesis");
		let g = gateway_message(&[1; 32], "GET", "/v1/leases/7", 5, &[0; 16]);
		assert!(g.starts_with(GATEWAY_DOMAIN));
		assert_ne!(g, gateway_message(&[1; 32], "GET", "/v1/leases/8", 5, &[0; 16]));
		assert_ne!(g, gateway_message(&[1; 32], "GET", "/v1/leases/7", 5, &[1; 16]));
		assert_ne!(
			possession_statement(&[1u8; 32], &[9; 32]),
			possession_statement(&[2u8; 32], &[9; 32])
		);
	}
}
