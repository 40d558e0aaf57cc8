//! One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and the salted commitment the chain keeps
//! of an SMS or email code.

use hmac::{Hmac, Mac};

/// The hash function of an HOTP/TOTP secret (RFC 6238 allows SHA-1, SHA-256, SHA-512).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Algorithm {
	/// HMAC-SHA-1: what authenticator apps use by default.
	Sha1,
	/// HMAC-SHA-256.
	Sha256,
	/// HMAC-SHA-512.
	Sha512,
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8], out: &mut [u8; 64]) -> usize {
	// HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
	let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else { return 0 };
	mac.update(message);
	let tag = mac.finalize().into_bytes();
	out[..tag.len()].copy_from_slice(&tag);
	tag.len()
}

/// HOTP (RFC 4226 §5.3): the `digits`-digit code of `secret` at `counter`. `digits` is clamped
/// to 6..=9 (RFC 4226 requires at least 6; 10 digits would exceed the 31-bit value).
pub fn hotp(algorithm: Algorithm, secret: &[u8], counter: u64, digits: u32) -> u32 {
	let mut tag = [0u8; 64];
	let msg = counter.to_be_bytes();
	let len = match algorithm {
		Algorithm::Sha1 => hmac::<Hmac<sha1::Sha1>>(secret, &msg, &mut tag),
		Algorithm::Sha256 => hmac::<Hmac<sha2::Sha256>>(secret, &msg, &mut tag),
		Algorithm::Sha512 => hmac::<Hmac<sha2::Sha512>>(secret, &msg, &mut tag),
	};
	// Dynamic truncation: the low nibble of the last byte picks four bytes.
	let offset = usize::from(tag[len.saturating_sub(1)] & 0x0f);
	let binary =
		u32::from_be_bytes([tag[offset], tag[offset + 1], tag[offset + 2], tag[offset + 3]])
			& 0x7fff_ffff;
	binary % 10u32.pow(digits.clamp(6, 9))
}

/// TOTP (RFC 6238 §4): HOTP at `T = (unix_time - t0) / step`. A `step` of 0 is treated as 1.
pub fn totp(
	algorithm: Algorithm,
	secret: &[u8],
	unix_time: u64,
	t0: u64,
	step: u64,
	digits: u32,
) -> u32 {
	hotp(algorithm, secret, unix_time.saturating_sub(t0) / step.max(1), digits)
}

/// Digits of an SMS or email one-time code.
pub const CODE_DIGITS: u32 = 6;

/// The commitment the chain keeps of an issued one-time code: BLAKE2b-256 over a domain, a 32-byte
/// secret salt, the account and the code. The salt reaches the user apart from the code (the
/// issuer's response to the client, the code by SMS or email), so the commitment on the ledger
/// cannot be brute-forced over the 10^6 codes, and a code is worth nothing for another account.
pub fn code_commitment(salt: &[u8; 32], account: &[u8], code: u32) -> [u8; 32] {
	let mut data = alloc::vec::Vec::with_capacity(24 + 32 + account.len() + 4);
	data.extend_from_slice(b"virtengine/mfa/code/v1");
	data.extend_from_slice(salt);
	data.extend_from_slice(account);
	data.extend_from_slice(&code.to_le_bytes());
	sp_crypto_hashing::blake2_256(&data)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// RFC 4226 Appendix D: secret "12345678901234567890", counters 0..=9.
	#[test]
	fn rfc4226_vectors() {
		let secret = b"12345678901234567890";
		let expected =
			[755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
		for (counter, code) in expected.iter().enumerate() {
			assert_eq!(
				hotp(Algorithm::Sha1, secret, counter as u64, 6),
				*code,
				"counter {counter}"
			);
		}
	}

	/// RFC 6238 Appendix B: 8-digit codes for SHA-1, SHA-256 and SHA-512 at six times.
	#[test]
	fn rfc6238_vectors() {
		let sha1 = b"12345678901234567890";
		let sha256 = b"12345678901234567890123456789012";
		let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234";
		let rows: [(u64, u32, u32, u32); 6] = [
			(59, 94287082, 46119246, 90693936),
			(1111111109, 7081804, 68084774, 25091201),
			(1111111111, 14050471, 67062674, 99943326),
			(1234567890, 89005924, 91819424, 93441116),
			(2000000000, 69279037, 90698825, 38618901),
			(20000000000, 65353130, 77737706, 47863826),
		];
		for (time, c1, c256, c512) in rows {
			assert_eq!(totp(Algorithm::Sha1, sha1, time, 0, 30, 8), c1, "SHA-1 at {time}");
			assert_eq!(totp(Algorithm::Sha256, sha256, time, 0, 30, 8), c256, "SHA-256 at {time}");
			assert_eq!(totp(Algorithm::Sha512, sha512, time, 0, 30, 8), c512, "SHA-512 at {time}");
		}
	}

	#[test]
	fn code_commitment_binds_salt_account_and_code() {
		let salt = [7u8; 32];
		let c = code_commitment(&salt, &[1; 32], 123456);
		assert_ne!(c, code_commitment(&[8; 32], &[1; 32], 123456));
		assert_ne!(c, code_commitment(&salt, &[2; 32], 123456));
		assert_ne!(c, code_commitment(&salt, &[1; 32], 123457));
		// Golden value computed independently (Python: hashlib.blake2b(domain + salt + account +
		// code as 4 little-endian bytes, digest_size=32)); issuers in any language must agree.
		assert_eq!(
			hex::encode(c),
			"4d72188a7dc949212274dfc6726dadc007a7bb7903428e1f6cfc6ddd01af890a"
		);
	}
}
