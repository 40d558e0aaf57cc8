//! Benchmarks of every call in its worst case: the most pending records, a record with every
//! unit, a settlement that pays every pending record and the fixed rate; and of the
//! funds-exhausted path (the lease closing), which the calls that can take it add to their
//! weight.
//!
//! The usage record's signature is a constant (ed25519 signatures are deterministic; the test
//! `benchmark_signature_is_the_daemons` recomputes it): the benchmark sets the genesis hash the
//! record is bound to, so the same signature holds on the mock and in the runtime.

use alloc::vec::Vec;
use codec::Decode;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{One, Saturating, Zero};

use crate::{pallet::*, BenchmarkHelper, Pending, Rate, Unit, UsageRecord, UsageStatus};

/// The genesis hash the benchmarks set.
pub const BENCH_GENESIS: [u8; 32] = [0x11; 32];
/// The daemon's ed25519 seed (for the test that recomputes the signature).
pub const BENCH_DAEMON_SEED: [u8; 32] = [0x22; 32];
/// Its public key.
pub const BENCH_DAEMON_PUBLIC: [u8; 32] =
	hex_literal(b"a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0");
/// Its signature of [`bench_record`] under [`BENCH_GENESIS`].
pub const BENCH_SIGNATURE: [u8; 64] = hex_literal(
	b"7e0aa85320b741257eeced63bb45a9a52a5d3cc384672eddaeb1353e152e289914c0fe221b1d03427a513f98713abb4a2772fbd4602a66f39c4833dbf1700108",
);

const fn hex_literal<const N: usize>(hex: &[u8]) -> [u8; N] {
	let mut out = [0u8; N];
	let mut i = 0;
	while i < N {
		out[i] = (nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]);
		i += 1;
	}
	out
}

const fn nibble(c: u8) -> u8 {
	match c {
		b'0'..=b'9' => c - b'0',
		b'a'..=b'f' => c - b'a' + 10,
		_ => 0,
	}
}

/// The record the benchmark submits: every unit, number 1,000, for escrow 0.
pub fn bench_record() -> UsageRecord {
	UsageRecord {
		lease: 0,
		seq: 1_000,
		quantities: BoundedVec::truncate_from(
			Unit::ALL.iter().map(|u| (*u, 3)).collect::<Vec<_>>(),
		),
	}
}

/// Escrow 0 from a payer to a payee (whose daemon key is the benchmark's) with every unit
/// priced, started at block 1, with `pending` records waiting (submitted at block 1).
fn escrow<T: Config>(pending: u32) -> Result<(T::AccountId, T::AccountId), BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let genesis = T::Hash::decode(&mut &BENCH_GENESIS[..]).map_err(|_| "hash")?;
	frame_system::BlockHash::<T>::insert(BlockNumberFor::<T>::zero(), genesis);
	frame_system::Pallet::<T>::set_block_number(One::one());
	let payer: T::AccountId = account("payer", 0, 0);
	let payee: T::AccountId = account("payee", 0, 0);
	let ed = T::Currency::minimum_balance();
	let amount = ed.saturating_mul(1_000_000u32.into());
	for who in [&payer, &payee, &T::FeeDestination::get()] {
		T::Currency::set_balance(who, amount.saturating_mul(4u32.into()));
	}
	T::BenchmarkHelper::set_daemon_key(&payee, BENCH_DAEMON_PUBLIC);
	Pallet::<T>::open(0, &payer, amount)?;
	let rate = Rate {
		per_hour: ed,
		per_unit: BoundedVec::truncate_from(Unit::ALL.iter().map(|u| (*u, ed)).collect::<Vec<_>>()),
	};
	Pallet::<T>::assign(0, &payee, rate)?;
	Pallet::<T>::start(0, One::one())?;
	Escrows::<T>::mutate(0, |e| {
		if let Some(e) = e {
			for seq in 1..=pending {
				let _ = e.pending.try_push(Pending {
					seq,
					amount: ed,
					at: One::one(),
					status: UsageStatus::InWindow,
				});
			}
			e.last_seq = pending;
		}
	});
	Ok((payer, payee))
}

/// A block after every pending record's window.
fn after_window<T: Config>() {
	let n = T::DisputeWindow::get().saturating_add(T::BlocksPerHour::get().into());
	frame_system::Pallet::<T>::set_block_number(n.saturating_add(One::one()));
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn top_up() -> Result<(), BenchmarkError> {
		let (payer, _) = escrow::<T>(0)?;
		let amount = T::Currency::minimum_balance();
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), 0, amount);
		Ok(())
	}

	#[benchmark]
	fn submit_usage() -> Result<(), BenchmarkError> {
		let (_, payee) = escrow::<T>(T::MaxPending::get().saturating_sub(1))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(payee), bench_record(), BENCH_SIGNATURE);
		assert_eq!(Escrows::<T>::get(0).map(|e| e.last_seq), Some(1_000));
		Ok(())
	}

	#[benchmark]
	fn dispute() -> Result<(), BenchmarkError> {
		let (payer, _) = escrow::<T>(T::MaxPending::get())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), 0, T::MaxPending::get());
		Ok(())
	}

	#[benchmark]
	fn resolve() -> Result<(), BenchmarkError> {
		let max = T::MaxPending::get();
		let (payer, _) = escrow::<T>(max)?;
		Pallet::<T>::dispute(RawOrigin::Signed(payer).into(), 0, max)?;
		after_window::<T>();
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, max, true);
		assert_eq!(Escrows::<T>::get(0).map(|e| e.pending.len()), Some(0));
		Ok(())
	}

	#[benchmark]
	fn settle() -> Result<(), BenchmarkError> {
		let (_, payee) = escrow::<T>(T::MaxPending::get())?;
		after_window::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(payee.clone()), 0);
		assert_eq!(Escrows::<T>::get(0).map(|e| e.pending.len()), Some(0));
		assert!(!Payouts::<T>::get(&payee).is_zero());
		Ok(())
	}

	#[benchmark]
	fn withdraw() -> Result<(), BenchmarkError> {
		let (_, payee) = escrow::<T>(1)?;
		after_window::<T>();
		Pallet::<T>::settle_now(0)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(payee.clone()));
		assert!(Payouts::<T>::get(&payee).is_zero());
		Ok(())
	}

	#[benchmark]
	fn spend_fees() -> Result<(), BenchmarkError> {
		escrow::<T>(0)?;
		let treasury = T::FeeDestination::get();
		let amount = T::Currency::minimum_balance().saturating_mul(10u32.into());
		T::Currency::hold(&HoldReason::Escrow.into(), &treasury, amount)?;
		Payouts::<T>::insert(&treasury, amount);
		let origin =
			T::TreasuryOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// To an account that does not exist yet.
		let dest: T::AccountId = account("dest", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, dest.clone(), amount);
		assert_eq!(T::Currency::balance(&dest), amount);
		Ok(())
	}

	#[benchmark]
	fn exhausted() -> Result<(), BenchmarkError> {
		// A running lease whose funds ran out: the lease closes (the runtime's market moves it
		// to closing and stops the escrow's accrual).
		let (payer, payee) = escrow::<T>(0)?;
		T::BenchmarkHelper::lease_running(0, &payer, &payee);
		let until = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::exhausted(0, until);
		}
		assert!(Escrows::<T>::get(0).is_some_and(|e| e.accrue_until.is_some()));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
