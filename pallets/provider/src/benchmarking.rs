//! Benchmarks of every call, each in its worst case: the longest domain, the largest attributes,
//! a claim taking over another account's lapsed claim, a provider leaving with two deposits.

use alloc::vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

use crate::{pallet::*, BenchmarkHelper, Domain, Status};

/// A valid domain of the maximum length, distinct per `n`.
fn long_domain(n: u8) -> Domain {
	let mut name = vec![b'a'; 253];
	for i in (63..253).step_by(64) {
		name[i] = b'.';
	}
	name[0] = b'a' + n % 26;
	BoundedVec::truncate_from(name)
}

/// Attributes at their largest.
fn largest() -> crate::Attributes {
	let model: crate::ModelName = BoundedVec::truncate_from(vec![b'm'; 64]);
	crate::Attributes {
		region: BoundedVec::truncate_from(vec![b'r'; 32]),
		cpu_models: BoundedVec::truncate_from(vec![model.clone(); 8]),
		gpu_models: BoundedVec::truncate_from(vec![model; 8]),
		capabilities: crate::capability::ALL,
	}
}

fn funded<T: Config>() -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account("provider", 0, 0);
	let amount = Pallet::<T>::deposit_for()
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, amount);
	who
}

/// A registered provider with the largest record.
fn registered<T: Config>() -> Result<T::AccountId, BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>();
	T::BenchmarkHelper::set_standard_tier(&who);
	Pallet::<T>::claim_domain(RawOrigin::Signed(who.clone()).into(), long_domain(0))?;
	DomainClaims::<T>::mutate(&who, |c| {
		if let Some(c) = c {
			c.confirmed = true;
		}
	});
	Pallet::<T>::register(RawOrigin::Signed(who.clone()).into(), largest(), [1; 32], [2; 32])?;
	Ok(who)
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn claim_domain() -> Result<(), BenchmarkError> {
		// Taking over another account's lapsed claim (its deposit released, a new one held).
		let other: T::AccountId = account("claimant", 0, 0);
		T::Currency::set_balance(&other, T::Currency::balance(&funded::<T>()));
		Pallet::<T>::claim_domain(RawOrigin::Signed(other.clone()).into(), long_domain(1))?;
		let lapsed =
			frame_system::Pallet::<T>::block_number().saturating_add(T::ClaimDuration::get());
		frame_system::Pallet::<T>::set_block_number(lapsed);
		let who = funded::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), long_domain(1));
		assert!(DomainClaims::<T>::get(&who).is_some());
		assert!(DomainClaims::<T>::get(&other).is_none());
		Ok(())
	}

	#[benchmark]
	fn confirm_domain() -> Result<(), BenchmarkError> {
		let who = funded::<T>();
		Pallet::<T>::claim_domain(RawOrigin::Signed(who.clone()).into(), long_domain(1))?;
		let origin = <T::DomainVerifier as EnsureOrigin<T::RuntimeOrigin>>::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;
		let token = crate::domain_token(&who.encode(), &long_domain(1));
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), long_domain(1), token);
		assert!(DomainClaims::<T>::get(&who).is_some_and(|c| c.confirmed));
		Ok(())
	}

	#[benchmark]
	fn register() -> Result<(), BenchmarkError> {
		let who = funded::<T>();
		T::BenchmarkHelper::set_standard_tier(&who);
		Pallet::<T>::claim_domain(RawOrigin::Signed(who.clone()).into(), long_domain(0))?;
		DomainClaims::<T>::mutate(&who, |c| {
			if let Some(c) = c {
				c.confirmed = true;
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), largest(), [1; 32], [2; 32]);
		assert!(Providers::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn update() -> Result<(), BenchmarkError> {
		let who = registered::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), largest(), [3; 32], [4; 32]);
		assert_eq!(Providers::<T>::get(&who).map(|p| p.daemon_key), Some([4; 32]));
		Ok(())
	}

	#[benchmark]
	fn change_status() -> Result<(), BenchmarkError> {
		let who = registered::<T>()?;
		#[extrinsic_call]
		set_paused(RawOrigin::Signed(who.clone()), true);
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(Status::Paused));
		Ok(())
	}

	#[benchmark]
	fn deregister() -> Result<(), BenchmarkError> {
		let who = registered::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Providers::<T>::contains_key(&who));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
