//! BOOTSTRAP ONLY: replaced by the benchmark CLI's output before commit.
#![allow(unused_variables)]
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_veid::WeightInfo for WeightInfo<T> {
	fn register_client() -> Weight {
		Weight::MAX
	}
	fn remove_client() -> Weight {
		Weight::MAX
	}
	fn upload_scopes(b: u32) -> Weight {
		Weight::MAX
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::MAX
	}
	fn set_model_set() -> Weight {
		Weight::MAX
	}
	fn commit() -> Weight {
		Weight::MAX
	}
	fn reveal(c: u32) -> Weight {
		Weight::MAX
	}
	fn publish_committee_key(c: u32) -> Weight {
		Weight::MAX
	}
	fn authorize_commit() -> Weight {
		Weight::MAX
	}
	fn authorize_reveal() -> Weight {
		Weight::MAX
	}
	fn authorize_publish_committee_key() -> Weight {
		Weight::MAX
	}
}
