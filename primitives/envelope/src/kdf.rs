//! libsodium's `crypto_box_beforenm`: X25519, refused when the shared secret is all zeros (a
//! small-order public key), then HSalsa20 to a uniformly random XSalsa20-Poly1305 key.
//!
//! RustCrypto's `crypto_box` performs the same derivation but accepts an all-zero shared secret,
//! so the envelope derives the key itself, as libsodium does, and checks contributory behaviour
//! for free on the way.

use salsa20::cipher::{
	consts::U10,
	generic_array::{typenum::U16, GenericArray},
};
use zeroize::Zeroizing;

use crate::Error;

/// The X25519 public key of a secret key. Goes through the Edwards base-point table (with the
/// `std` feature), several times faster than a Montgomery ladder on the base point.
pub fn public_key(secret: &[u8; 32]) -> [u8; 32] {
	x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret)).to_bytes()
}

/// The shared XSalsa20-Poly1305 key of `secret` and `public` (`crypto_box_beforenm`).
pub fn box_key(secret: &[u8; 32], public: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, Error> {
	let shared = Zeroizing::new(x25519_dalek::x25519(*secret, *public));
	if *shared == [0u8; 32] {
		return Err(Error::SmallOrderKey);
	}
	let key = salsa20::hsalsa::<U10>(
		GenericArray::from_slice(&shared[..]),
		&GenericArray::<u8, U16>::default(),
	);
	let mut out = Zeroizing::new([0u8; 32]);
	out.copy_from_slice(&key);
	Ok(out)
}
