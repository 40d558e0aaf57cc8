#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

pub mod refusal;
pub mod signing;

extern crate alloc;
pub use refusal::{refusal, Refusal, REFUSALS};

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature, OpaqueExtrinsic,
};

/// A signature of an extrinsic: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on the chain: the public key behind [`Signature`], 32 bytes.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance of the native token, VE, in its smallest unit (see [`units`]).
pub type Balance = u128;

/// A transaction counter of an account.
pub type Nonce = u32;

/// A block number.
pub type BlockNumber = u32;

/// A block or state hash.
pub type Hash = sp_core::H256;

/// The block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// A block as the node sees it: extrinsics stay opaque outside the runtime.
pub type OpaqueBlock = generic::Block<Header, OpaqueExtrinsic>;

/// The native token and its units. VE has 12 decimals.
pub mod units {
	use super::Balance;

	/// The number of decimals of VE.
	pub const DECIMALS: u8 = 12;
	/// The token symbol.
	pub const SYMBOL: &str = "VE";
	/// One VE.
	pub const VE: Balance = 1_000_000_000_000;
	/// A thousandth of a VE.
	pub const MILLI_VE: Balance = VE / 1_000;
	/// A millionth of a VE.
	pub const MICRO_VE: Balance = MILLI_VE / 1_000;
	/// The smallest balance an account may hold (the existential deposit).
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_VE;
}

/// Block timing shared by the runtime (slot and velocity checks) and the node (dev-mode timestamps).
pub mod time {
	use super::BlockNumber;

	/// The target time between two blocks, in milliseconds. With async backing a parachain block
	/// is built every relay-chain slot.
	pub const MILLISECS_PER_BLOCK: u64 = 6_000;
	/// Aura's slot duration: one block per slot.
	pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;
	/// The relay chain's slot duration, in milliseconds.
	pub const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6_000;
	/// Blocks per minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day.
	pub const DAYS: BlockNumber = HOURS * 24;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn units_are_consistent() {
		assert_eq!(units::VE, 10u128.pow(units::DECIMALS as u32));
		assert_eq!(units::MICRO_VE * 1_000_000, units::VE);
		assert!(units::EXISTENTIAL_DEPOSIT > 0);
	}

	#[test]
	fn time_constants_agree() {
		assert_eq!(time::MINUTES, 10);
		assert_eq!(time::DAYS, 14_400);
		assert_eq!(time::SLOT_DURATION, time::RELAY_CHAIN_SLOT_DURATION_MILLIS as u64);
	}
}
