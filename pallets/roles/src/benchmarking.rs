//! Benchmarks of every call in its worst case (the actor and the target both read, the target's
//! state written).

use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

use crate::*;

fn with_roles<T: Config>(name: &'static str, roles: &[Role]) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	Roles::<T>::insert(&who, RoleSet::of(roles));
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn grant() {
		let genesis = with_roles::<T>("genesis", &[Role::GenesisAccount]);
		let target = with_roles::<T>("target", &[Role::SupportAgent]);
		#[extrinsic_call]
		_(RawOrigin::Signed(genesis), target.clone(), Role::Administrator);
		assert!(Pallet::<T>::has_role(&target, Role::Administrator));
	}

	#[benchmark]
	fn revoke() {
		let genesis = with_roles::<T>("genesis", &[Role::GenesisAccount]);
		let target = with_roles::<T>("target", &[Role::Administrator, Role::SupportAgent]);
		#[extrinsic_call]
		_(RawOrigin::Signed(genesis), target.clone(), Role::Administrator);
		assert!(!Pallet::<T>::has_role(&target, Role::Administrator));
	}

	/// A state change: an administrator suspends a flagged moderator.
	#[benchmark]
	fn change_state() -> Result<(), BenchmarkError> {
		let admin = with_roles::<T>("admin", &[Role::Administrator]);
		let target = with_roles::<T>("target", &[Role::Moderator]);
		Pallet::<T>::flag(RawOrigin::Signed(admin.clone()).into(), target.clone(), [1; 32])
			.map_err(|_| BenchmarkError::Stop("flag"))?;
		#[extrinsic_call]
		suspend(RawOrigin::Signed(admin), target.clone(), [2; 32]);
		assert_eq!(Pallet::<T>::state(&target), AccountState::Suspended);
		Ok(())
	}

	/// The worst case of `terminate`: an administrator terminates a flagged moderator, which
	/// suspends it and schedules its termination (two writes).
	#[benchmark]
	fn terminate() -> Result<(), BenchmarkError> {
		let admin = with_roles::<T>("admin", &[Role::Administrator]);
		let target = with_roles::<T>("target", &[Role::Moderator]);
		Pallet::<T>::flag(RawOrigin::Signed(admin.clone()).into(), target.clone(), [1; 32])
			.map_err(|_| BenchmarkError::Stop("flag"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), target.clone(), [2; 32]);
		assert_eq!(Pallet::<T>::state(&target), AccountState::Suspended);
		assert!(TerminationsDue::<T>::contains_key(&target));
		Ok(())
	}

	/// The worst case of `reinstate`: an administrator cancels a scheduled termination (the
	/// state and the schedule both read and removed).
	#[benchmark]
	fn reinstate() -> Result<(), BenchmarkError> {
		let admin = with_roles::<T>("admin", &[Role::Administrator]);
		let target = with_roles::<T>("target", &[Role::Moderator]);
		Pallet::<T>::suspend(RawOrigin::Signed(admin.clone()).into(), target.clone(), [1; 32])
			.map_err(|_| BenchmarkError::Stop("suspend"))?;
		Pallet::<T>::terminate(RawOrigin::Signed(admin.clone()).into(), target.clone(), [2; 32])
			.map_err(|_| BenchmarkError::Stop("terminate"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), target.clone());
		assert_eq!(Pallet::<T>::state(&target), AccountState::Active);
		assert!(!TerminationsDue::<T>::contains_key(&target));
		Ok(())
	}

	#[benchmark]
	fn appeal() -> Result<(), BenchmarkError> {
		let admin = with_roles::<T>("admin", &[Role::Administrator]);
		let target: T::AccountId = account("target", 0, 0);
		Pallet::<T>::suspend(RawOrigin::Signed(admin).into(), target.clone(), [1; 32])
			.map_err(|_| BenchmarkError::Stop("suspend"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(target.clone()), [3; 32]);
		assert!(States::<T>::get(&target).and_then(|r| r.appeal).is_some());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
