//! Envelope recipient keys (`pallet_encryption`).

use frame_support::{parameter_types, traits::ConstU32};

use crate::{Balance, Balances, Runtime, RuntimeHoldReason, MICRO_VE, MILLI_VE};

parameter_types! {
	/// A stored key costs a hundredth of a VE plus ten micro-VE per byte it occupies (about
	/// 0.0123 VE in all), returned when the key is removed.
	pub const KeyDepositBase: Balance = 10 * MILLI_VE;
	pub const KeyDepositPerByte: Balance = 10 * MICRO_VE;
}

impl pallet_encryption::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = KeyDepositPerByte;
	type DepositBase = KeyDepositBase;
	// The active key and a few retired ones whose old envelopes may still need opening.
	type MaxKeysPerAccount = ConstU32<8>;
	// The identity committee is at most this large; other uses need fewer recipients.
	type MaxRecipients = ConstU32<32>;
	// Identity scopes (document and selfie images) are the largest payloads.
	type MaxCiphertextLen = ConstU32<{ 4 * 1024 * 1024 }>;
	type MaxContentTypeLen = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_encryption::WeightInfo<Runtime>;
}
