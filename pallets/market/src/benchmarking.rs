//! Benchmarks of every call in its worst case (largest plans, envelopes of the largest size
//! checked, the most bids to clear), and of the deadline processing in `on_initialize`.
//!
//! The envelope is a committed fixture (`bench_envelope.scale`, written by the ignored test
//! `write_benchmark_envelope`): sealing needs randomness the runtime does not have.

use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get, Hooks,
	},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_escrow::{Rate, Unit};
use sp_runtime::traits::{One, Saturating};

use crate::{
	pallet::*, BenchmarkHelper, Category, Comment, LeaseState, Plan, Sealed, Target,
	BENCH_ENC_SECRET, MAX_DEADLINE_SCAN,
};

fn envelope() -> Sealed {
	BoundedVec::truncate_from(include_bytes!("bench_envelope.scale").to_vec())
}

fn rate<T: Config>() -> RateOf<T> {
	let p = BalanceOf::<T>::from(1_000u32);
	Rate {
		per_hour: p,
		per_unit: BoundedVec::truncate_from(Unit::ALL.iter().map(|u| (*u, p)).collect::<Vec<_>>()),
	}
}

fn plans<T: Config>() -> BoundedVec<Plan<BalanceOf<T>>, frame_support::traits::ConstU32<4>> {
	let plan = Plan { name: BoundedVec::truncate_from(vec![b'p'; 32]), rate: rate::<T>() };
	BoundedVec::truncate_from(vec![plan; 4])
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, i, 0);
	let ed = T::Currency::minimum_balance();
	T::Currency::set_balance(&who, ed.saturating_mul(1_000_000_000u32.into()));
	who
}

fn provider<T: Config>(i: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>("provider", i);
	let public = virtengine_envelope::kdf::public_key(&BENCH_ENC_SECRET);
	T::BenchmarkHelper::make_provider(&who, public, [7; 32]);
	who
}

/// An offering of provider 0 with a Premium requirement, and a Premium customer.
fn offering<T: Config>() -> Result<(T::AccountId, T::AccountId), BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let p = provider::<T>(0);
	Pallet::<T>::create_offering(
		RawOrigin::Signed(p.clone()).into(),
		Category::Gpu,
		plans::<T>(),
		Some(virtengine_veid_primitives::Tier::Premium),
		envelope(),
	)?;
	let c = funded::<T>("customer", 0);
	T::BenchmarkHelper::set_premium_tier(&c);
	Ok((p, c))
}

/// An open order of `c` for plan 3 of offering 0.
fn order<T: Config>(c: &T::AccountId) -> Result<u64, BenchmarkError> {
	let id = NextOrder::<T>::get();
	Pallet::<T>::create_order(
		RawOrigin::Signed(c.clone()).into(),
		Target::Offering { id: 0, plan: 3 },
		Some(envelope()),
		rate::<T>(),
		BalanceOf::<T>::from(1_000_000u32),
	)?;
	Ok(id)
}

/// A requirements order of `c` with `b` bids from providers 1..=b.
fn order_with_bids<T: Config>(c: &T::AccountId, b: u32) -> Result<u64, BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let id = NextOrder::<T>::get();
	Pallet::<T>::create_order(
		RawOrigin::Signed(c.clone()).into(),
		Target::Requirements {
			category: Category::Gpu,
			region: Default::default(),
			capabilities: 0,
		},
		None,
		rate::<T>(),
		BalanceOf::<T>::from(1_000_000u32),
	)?;
	let expires = frame_system::Pallet::<T>::block_number().saturating_add(100u32.into());
	for i in 1..=b {
		let p = provider::<T>(i);
		Pallet::<T>::bid(RawOrigin::Signed(p).into(), id, rate::<T>(), expires)?;
	}
	Ok(id)
}

/// An active lease of provider 0 and the customer.
fn active<T: Config>() -> Result<(T::AccountId, T::AccountId, u64), BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let (p, c) = offering::<T>()?;
	let id = order::<T>(&c)?;
	let expires = frame_system::Pallet::<T>::block_number().saturating_add(100u32.into());
	Pallet::<T>::bid(RawOrigin::Signed(p.clone()).into(), id, rate::<T>(), expires)?;
	Pallet::<T>::accept_bid(RawOrigin::Signed(c.clone()).into(), id, p.clone(), rate::<T>(), None)?;
	Pallet::<T>::start_lease(RawOrigin::Signed(p.clone()).into(), id)?;
	Ok((p, c, id))
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_offering() -> Result<(), BenchmarkError> {
		let p = provider::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(p), Category::Gpu, plans::<T>(), None, envelope());
		assert!(Offerings::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn update_offering() -> Result<(), BenchmarkError> {
		let (p, _) = offering::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), 0, plans::<T>(), None, envelope(), false);
		assert!(Offerings::<T>::get(0).is_some_and(|o| !o.active));
		Ok(())
	}

	#[benchmark]
	fn remove_offering() -> Result<(), BenchmarkError> {
		let (p, _) = offering::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), 0);
		assert!(!Offerings::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn create_order() -> Result<(), BenchmarkError> {
		let (_, c) = offering::<T>()?;
		#[extrinsic_call]
		_(
			RawOrigin::Signed(c),
			Target::Offering { id: 0, plan: 3 },
			Some(envelope()),
			rate::<T>(),
			BalanceOf::<T>::from(1_000_000u32),
		);
		assert!(Orders::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn cancel_order(b: Linear<0, { T::MaxBids::get() }>) -> Result<(), BenchmarkError> {
		let c = funded::<T>("customer", 0);
		let id = order_with_bids::<T>(&c, b)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(c), id);
		assert!(!Orders::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn bid() -> Result<(), BenchmarkError> {
		let (p, c) = offering::<T>()?;
		let id = order::<T>(&c)?;
		let expires = frame_system::Pallet::<T>::block_number().saturating_add(100u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(p.clone()), id, rate::<T>(), expires);
		assert!(Bids::<T>::contains_key(id, &p));
		Ok(())
	}

	#[benchmark]
	fn withdraw_bid() -> Result<(), BenchmarkError> {
		let c = funded::<T>("customer", 0);
		let id = order_with_bids::<T>(&c, 1)?;
		let p: T::AccountId = account("provider", 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(p.clone()), id);
		assert!(!Bids::<T>::contains_key(id, &p));
		Ok(())
	}

	#[benchmark]
	fn accept_bid(b: Linear<1, { T::MaxBids::get() }>) -> Result<(), BenchmarkError> {
		let c = funded::<T>("customer", 0);
		let id = order_with_bids::<T>(&c, b)?;
		let p: T::AccountId = account("provider", 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(c), id, p, rate::<T>(), Some(envelope()));
		assert!(Leases::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn start_lease() -> Result<(), BenchmarkError> {
		let (p, c) = offering::<T>()?;
		let id = order::<T>(&c)?;
		let expires = frame_system::Pallet::<T>::block_number().saturating_add(100u32.into());
		Pallet::<T>::bid(RawOrigin::Signed(p.clone()).into(), id, rate::<T>(), expires)?;
		Pallet::<T>::accept_bid(RawOrigin::Signed(c).into(), id, p.clone(), rate::<T>(), None)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| l.state == LeaseState::Active));
		Ok(())
	}

	#[benchmark]
	fn heartbeat() -> Result<(), BenchmarkError> {
		let (p, _, id) = active::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), id);
		Ok(())
	}

	#[benchmark]
	fn close_lease() -> Result<(), BenchmarkError> {
		let (_, c, id) = active::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(c), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| matches!(l.state, LeaseState::Closing(_))));
		Ok(())
	}

	#[benchmark]
	fn review() -> Result<(), BenchmarkError> {
		let (_, c, id) = active::<T>()?;
		Pallet::<T>::close_lease(RawOrigin::Signed(c.clone()).into(), id)?;
		Leases::<T>::mutate(id, |l| {
			if let Some(l) = l {
				l.state = LeaseState::Closed(crate::CloseReason::ByCustomer);
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(c.clone()), id, 5, Comment::truncate_from(vec![b'c'; 256]));
		assert!(Reviews::<T>::contains_key(id, &c));
		Ok(())
	}

	#[benchmark]
	fn block_customer() -> Result<(), BenchmarkError> {
		let p = provider::<T>(0);
		let c: T::AccountId = account("customer", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(p.clone()), c.clone());
		assert!(Blocked::<T>::contains_key(&p, &c));
		Ok(())
	}

	#[benchmark]
	fn unblock_customer() -> Result<(), BenchmarkError> {
		let p = provider::<T>(0);
		let c: T::AccountId = account("customer", 0, 0);
		Pallet::<T>::block_customer(RawOrigin::Signed(p.clone()).into(), c.clone())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p.clone()), c.clone());
		assert!(!Blocked::<T>::contains_key(&p, &c));
		Ok(())
	}

	#[benchmark]
	fn on_initialize_base() {
		let now: BlockNumberFor<T> = 10u32.into();
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
	}

	#[benchmark]
	fn set_access_details() -> Result<(), BenchmarkError> {
		// Replacing earlier details: a hold and a release.
		let (p, c, id) = active::<T>()?;
		let public = virtengine_envelope::kdf::public_key(&BENCH_ENC_SECRET);
		T::BenchmarkHelper::set_envelope_key(&c, public);
		Pallet::<T>::set_access_details(RawOrigin::Signed(p.clone()).into(), id, envelope())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), id, envelope());
		assert!(LeaseAccess::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn on_initialize_scan(n: Linear<1, { MAX_DEADLINE_SCAN }>) -> Result<(), BenchmarkError> {
		// One lease whose deadline is far off; the cursor `n` blocks behind.
		let _ = active::<T>()?;
		let now: BlockNumberFor<T> = 100u32.into();
		DeadlineCursor::<T>::put(now.saturating_sub(n.into()).saturating_add(One::one()));
		#[block]
		{
			Pallet::<T>::process_deadlines(now);
		}
		Ok(())
	}

	#[benchmark]
	fn process_deadline() -> Result<(), BenchmarkError> {
		// A closing lease due: final settlement and refund.
		let (_, c, id) = active::<T>()?;
		frame_system::Pallet::<T>::set_block_number(5u32.into());
		Pallet::<T>::close_lease(RawOrigin::Signed(c).into(), id)?;
		let due = 5u32.into();
		let due: BlockNumberFor<T> = T::ClosingTimeout::get().saturating_add(due);
		DeadlineCursor::<T>::put(due);
		frame_system::Pallet::<T>::set_block_number(due);
		#[block]
		{
			Pallet::<T>::process_deadlines(due);
		}
		assert!(Leases::<T>::get(id).is_some_and(|l| matches!(l.state, LeaseState::Closed(_))));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
