//! libsodium's `crypto_secretbox_detached` and `crypto_secretbox_open_detached`:
//! XSalsa20-Poly1305, the payload cipher of an envelope.
//!
//! The construction is RustCrypto's: HSalsa20 derives a subkey from the key and the first 16
//! nonce bytes; Salsa20/20 under that subkey and the last 8 nonce bytes produces a keystream
//! whose first 32 bytes key Poly1305 and whose next bytes encrypt the message; the tag is
//! Poly1305 of the ciphertext. RustCrypto's `salsa20` has no SIMD backend, so on x86_64 with the
//! `std` feature the bulk of the keystream (eight blocks at a time) comes from an AVX2 kernel
//! when the CPU has AVX2, detected at run time. The portable path is the `salsa20` crate; tests
//! check both against each other, against `xsalsa20poly1305` and against libsodium's vectors.

use poly1305::{universal_hash::KeyInit, Poly1305};
use salsa20::{
	cipher::{
		consts::U10,
		generic_array::{typenum::U16, GenericArray},
		KeyIvInit, StreamCipher, StreamCipherSeek,
	},
	Salsa20,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, NONCE_LEN, TAG_LEN};

/// Length of a secretbox key.
pub const KEY_LEN: usize = 32;

/// Salsa20 block length.
const BLOCK: usize = 64;

/// The Salsa20 cipher for `key` and `nonce` (HSalsa20 subkey, last 8 nonce bytes) and the
/// Poly1305 key (the first 32 keystream bytes), with the keystream positioned at byte 32.
fn init(
	key: &[u8; KEY_LEN],
	nonce: &[u8; NONCE_LEN],
) -> (Zeroizing<[u8; 32]>, Salsa20, Zeroizing<[u8; 32]>) {
	let mut subkey = Zeroizing::new([0u8; 32]);
	subkey.copy_from_slice(&salsa20::hsalsa::<U10>(
		GenericArray::from_slice(key),
		GenericArray::<u8, U16>::from_slice(&nonce[..16]),
	));
	let mut cipher =
		Salsa20::new(GenericArray::from_slice(&subkey[..]), GenericArray::from_slice(&nonce[16..]));
	let mut mac_key = Zeroizing::new([0u8; 32]);
	cipher.apply_keystream(&mut mac_key[..]);
	(subkey, cipher, mac_key)
}

/// XORs the keystream into `data`, which starts at keystream byte 32 (just after the MAC key).
fn apply_keystream(
	subkey: &[u8; 32],
	nonce: &[u8; NONCE_LEN],
	cipher: &mut Salsa20,
	data: &mut [u8],
) {
	// The rest of block 0.
	let head = data.len().min(BLOCK - 32);
	let (first, rest) = data.split_at_mut(head);
	cipher.apply_keystream(first);
	let done = simd::apply_blocks(subkey, nonce, 1, rest);
	if done < rest.len() {
		cipher.seek((BLOCK + done) as u64);
		cipher.apply_keystream(&mut rest[done..]);
	}
}

/// Encrypts `buffer` in place and returns the Poly1305 tag (`crypto_secretbox_detached`).
pub fn seal_detached(
	key: &[u8; KEY_LEN],
	nonce: &[u8; NONCE_LEN],
	buffer: &mut [u8],
) -> [u8; TAG_LEN] {
	let (subkey, mut cipher, mac_key) = init(key, nonce);
	apply_keystream(&subkey, nonce, &mut cipher, buffer);
	Poly1305::new(GenericArray::from_slice(&mac_key[..])).compute_unpadded(buffer).into()
}

/// Checks the tag and decrypts `buffer` in place (`crypto_secretbox_open_detached`). On a wrong
/// key or changed bytes the buffer is left as it was and the error is [`Error::Tampered`].
pub fn open_detached(
	key: &[u8; KEY_LEN],
	nonce: &[u8; NONCE_LEN],
	buffer: &mut [u8],
	tag: &[u8; TAG_LEN],
) -> Result<(), Error> {
	let (subkey, mut cipher, mac_key) = init(key, nonce);
	let expected: [u8; TAG_LEN] =
		Poly1305::new(GenericArray::from_slice(&mac_key[..])).compute_unpadded(buffer).into();
	if !bool::from(expected.ct_eq(tag)) {
		return Err(Error::Tampered);
	}
	apply_keystream(&subkey, nonce, &mut cipher, buffer);
	Ok(())
}

/// Whether the AVX2 kernel is in use on this machine (for the benchmark's report).
pub fn accelerated() -> bool {
	simd::available()
}

// The only `unsafe` in the workspace: calling a `#[target_feature(enable = "avx2")]` function
// (after run-time detection) and one unaligned vector store into a local array. Tested against
// the portable cipher at every chunk boundary and across the 2^32-block counter carry.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[allow(unsafe_code)]
mod simd {
	//! Salsa20/20, eight blocks in parallel: lane `l` of vector `i` is word `i` of block `l`.

	use core::arch::x86_64::*;

	use crate::NONCE_LEN;

	/// Bytes produced per kernel call.
	const CHUNK: usize = 8 * 64;

	pub fn available() -> bool {
		std::is_x86_feature_detected!("avx2")
	}

	/// XORs whole 8-block chunks of keystream, from block `counter` on, into `data`, and returns
	/// how many bytes it handled (a multiple of 512; 0 without AVX2).
	pub fn apply_blocks(
		subkey: &[u8; 32],
		nonce: &[u8; NONCE_LEN],
		mut counter: u64,
		data: &mut [u8],
	) -> usize {
		if data.len() < CHUNK || !available() {
			return 0;
		}
		let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
		let mut input = [0u32; 16];
		input[0] = 0x6170_7865;
		input[5] = 0x3320_646e;
		input[10] = 0x7962_2d32;
		input[15] = 0x6b20_6574;
		for i in 0..4 {
			input[1 + i] = word(&subkey[4 * i..]);
			input[11 + i] = word(&subkey[16 + 4 * i..]);
		}
		input[6] = word(&nonce[16..]);
		input[7] = word(&nonce[20..]);
		let mut done = 0;
		for chunk in data.chunks_exact_mut(CHUNK) {
			let chunk: &mut [u8; CHUNK] =
				chunk.try_into().expect("chunks_exact yields CHUNK bytes");
			// SAFETY: `available()` confirmed the CPU supports AVX2.
			unsafe { xor_chunk(&input, counter, chunk) };
			counter = counter.wrapping_add(8);
			done += CHUNK;
		}
		done
	}

	macro_rules! rotl_add_xor {
		($x:ident, $target:literal, $a:literal, $b:literal, $r:literal) => {{
			let sum = _mm256_add_epi32($x[$a], $x[$b]);
			let rot = _mm256_or_si256(
				_mm256_slli_epi32::<$r>(sum),
				_mm256_srli_epi32::<{ 32 - $r }>(sum),
			);
			$x[$target] = _mm256_xor_si256($x[$target], rot);
		}};
	}

	/// The Salsa20 quarter round on words (y0, y1, y2, y3).
	macro_rules! quarter {
		($x:ident, $y0:literal, $y1:literal, $y2:literal, $y3:literal) => {
			rotl_add_xor!($x, $y1, $y0, $y3, 7);
			rotl_add_xor!($x, $y2, $y1, $y0, 9);
			rotl_add_xor!($x, $y3, $y2, $y1, 13);
			rotl_add_xor!($x, $y0, $y3, $y2, 18);
		};
	}

	#[target_feature(enable = "avx2")]
	fn xor_chunk(input: &[u32; 16], counter: u64, chunk: &mut [u8; CHUNK]) {
		let mut lo = [0i32; 8];
		let mut hi = [0i32; 8];
		for lane in 0..8 {
			let c = counter.wrapping_add(lane as u64);
			lo[lane] = c as u32 as i32;
			hi[lane] = (c >> 32) as u32 as i32;
		}
		let mut start = [_mm256_setzero_si256(); 16];
		for (i, v) in start.iter_mut().enumerate() {
			*v = _mm256_set1_epi32(input[i] as i32);
		}
		start[8] = _mm256_setr_epi32(lo[0], lo[1], lo[2], lo[3], lo[4], lo[5], lo[6], lo[7]);
		start[9] = _mm256_setr_epi32(hi[0], hi[1], hi[2], hi[3], hi[4], hi[5], hi[6], hi[7]);

		let mut x = start;
		for _ in 0..10 {
			// Column round.
			quarter!(x, 0, 4, 8, 12);
			quarter!(x, 5, 9, 13, 1);
			quarter!(x, 10, 14, 2, 6);
			quarter!(x, 15, 3, 7, 11);
			// Row round.
			quarter!(x, 0, 1, 2, 3);
			quarter!(x, 5, 6, 7, 4);
			quarter!(x, 10, 11, 8, 9);
			quarter!(x, 15, 12, 13, 14);
		}
		let mut words = [[0u32; 8]; 16];
		for i in 0..16 {
			let v = _mm256_add_epi32(x[i], start[i]);
			// SAFETY: `words[i]` is 32 bytes, the store is unaligned.
			unsafe { _mm256_storeu_si256(words[i].as_mut_ptr().cast(), v) };
		}
		for (lane, block) in chunk.chunks_exact_mut(64).enumerate() {
			for (i, bytes) in block.chunks_exact_mut(4).enumerate() {
				let k = words[i][lane].to_le_bytes();
				for (b, k) in bytes.iter_mut().zip(k) {
					*b ^= k;
				}
			}
		}
	}
}

#[cfg(not(all(feature = "std", target_arch = "x86_64")))]
mod simd {
	use crate::NONCE_LEN;

	pub fn available() -> bool {
		false
	}

	pub fn apply_blocks(_: &[u8; 32], _: &[u8; NONCE_LEN], _: u64, _: &mut [u8]) -> usize {
		0
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;
	use xsalsa20poly1305::{aead::AeadInPlace, XSalsa20Poly1305};

	fn reference_seal(key: &[u8; 32], nonce: &[u8; 24], data: &[u8]) -> (Vec<u8>, [u8; 16]) {
		let mut buf = data.to_vec();
		let tag = XSalsa20Poly1305::new(GenericArray::from_slice(key))
			.encrypt_in_place_detached(GenericArray::from_slice(nonce), b"", &mut buf)
			.expect("in range");
		(buf, tag.into())
	}

	#[test]
	fn matches_xsalsa20poly1305_around_chunk_boundaries() {
		// Lengths around the 32-byte head, the 512-byte kernel chunk and several chunks.
		for len in [0, 1, 31, 32, 33, 95, 96, 97, 543, 544, 545, 1055, 1056, 1057, 4096 + 7] {
			let key = [len as u8 ^ 0x42; 32];
			let nonce = [len as u8 ^ 0x17; 24];
			let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
			let (expected, expected_tag) = reference_seal(&key, &nonce, &data);
			let mut buf = data.clone();
			let tag = seal_detached(&key, &nonce, &mut buf);
			assert_eq!(buf, expected, "ciphertext, length {len}");
			assert_eq!(tag, expected_tag, "tag, length {len}");
			open_detached(&key, &nonce, &mut buf, &tag).expect("opens");
			assert_eq!(buf, data, "round trip, length {len}");
		}
	}

	#[test]
	fn the_block_counter_carries_into_the_high_word() {
		// The kernel's lanes straddle 2^32 blocks: compare with the portable cipher there.
		let (subkey, nonce) = ([7u8; 32], [9u8; 24]);
		let start = (1u64 << 32) - 3;
		let mut fast = vec![0u8; 1024];
		let done = simd::apply_blocks(&subkey, &nonce, start, &mut fast);
		if done == 0 {
			return; // No AVX2 on this machine: the portable path is the only one.
		}
		let mut slow = vec![0u8; done];
		let mut cipher = Salsa20::new(
			GenericArray::from_slice(&subkey[..]),
			GenericArray::from_slice(&nonce[16..]),
		);
		cipher.seek(start * 64);
		cipher.apply_keystream(&mut slow);
		assert_eq!(&fast[..done], &slow[..]);
	}

	#[test]
	fn a_changed_byte_or_tag_is_refused_and_the_buffer_is_untouched() {
		let (key, nonce) = ([1u8; 32], [2u8; 24]);
		let mut buf = vec![0x5a; 2000];
		let tag = seal_detached(&key, &nonce, &mut buf);
		let sealed = buf.clone();
		buf[1500] ^= 1;
		assert_eq!(open_detached(&key, &nonce, &mut buf, &tag), Err(Error::Tampered));
		buf[1500] ^= 1;
		assert_eq!(buf, sealed);
		let mut bad_tag = tag;
		bad_tag[0] ^= 0x80;
		assert_eq!(open_detached(&key, &nonce, &mut buf, &bad_tag), Err(Error::Tampered));
		assert_eq!(open_detached(&[3u8; 32], &nonce, &mut buf, &tag), Err(Error::Tampered));
		assert_eq!(buf, sealed);
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]
		#[test]
		fn equals_the_reference(key in any::<[u8; 32]>(), nonce in any::<[u8; 24]>(),
			data in proptest::collection::vec(any::<u8>(), 0..3000)) {
			let (expected, expected_tag) = reference_seal(&key, &nonce, &data);
			let mut buf = data.clone();
			let tag = seal_detached(&key, &nonce, &mut buf);
			prop_assert_eq!(&buf, &expected);
			prop_assert_eq!(tag, expected_tag);
			open_detached(&key, &nonce, &mut buf, &tag).expect("opens");
			prop_assert_eq!(buf, data);
		}
	}
}
