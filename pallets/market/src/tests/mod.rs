//! The pallet's tests, by feature; the helpers every feature uses are here.

#![allow(clippy::unwrap_used)]

mod access;
mod bench_envelope;
mod bids;
mod blocking;
mod deadlines;
mod leases;
mod offerings;
mod orders;
mod reviews;

use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use pallet_escrow::{Payouts, Rate, Unit, UsageRecord};
use sp_core::Pair;
use sp_runtime::DispatchError;
use virtengine_veid_primitives::Tier;

use crate::{
	mock::*, Bids, Blocked, Category, CloseReason, Comment, DeadlineCount, Error, LeaseState,
	Leases, OpenLeases, OrderId, OrderState, Orders, Plan, Ratings, Reviews, Target,
};

fn rate(per_hour: u64, units: &[(Unit, u64)]) -> Rate<u64> {
	Rate { per_hour, per_unit: BoundedVec::truncate_from(units.to_vec()) }
}

fn plans(r: Rate<u64>) -> BoundedVec<Plan<u64>, frame_support::traits::ConstU32<4>> {
	BoundedVec::truncate_from(vec![Plan {
		name: BoundedVec::truncate_from(b"std".to_vec()),
		rate: r,
	}])
}

/// The standard price: 100 an hour (10 a block) and 7 per job.
fn price() -> Rate<u64> {
	rate(100, &[(Unit::Job, 7)])
}

fn offering(provider: u64, tier: Option<Tier>) -> u64 {
	let id = crate::NextOffering::<Test>::get();
	assert_ok!(Market::create_offering(
		RuntimeOrigin::signed(provider),
		Category::Compute,
		plans(price()),
		tier,
		sealed(provider, &[enc_secret(provider).public()]),
	));
	id
}

fn order(customer: u64, offering: u64, funds: u64) -> OrderId {
	let id = crate::NextOrder::<Test>::get();
	let provider = crate::Offerings::<Test>::get(offering).unwrap().provider;
	assert_ok!(Market::create_order(
		RuntimeOrigin::signed(customer),
		Target::Offering { id: offering, plan: 0 },
		Some(sealed(customer, &[enc_secret(provider).public()])),
		price(),
		funds,
	));
	id
}

/// An open order of Alice's for PROV's offering, with PROV's bid at the standard price.
fn open_with_bid(funds: u64) -> OrderId {
	let o = offering(PROV, None);
	let id = order(ALICE, o, funds);
	assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 100));
	id
}

fn matched(funds: u64) -> OrderId {
	let id = open_with_bid(funds);
	assert_ok!(Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, price(), None));
	id
}

fn active(funds: u64) -> OrderId {
	let id = matched(funds);
	assert_ok!(Market::start_lease(RuntimeOrigin::signed(PROV), id));
	id
}

fn state(id: OrderId) -> LeaseState {
	Leases::<Test>::get(id).unwrap().state
}

fn usage(id: OrderId, seq: u32, jobs: u64) -> Result<(), DispatchError> {
	let record = UsageRecord {
		lease: id,
		seq,
		quantities: BoundedVec::truncate_from(vec![(Unit::Job, jobs)]),
	};
	let sig = daemon(PROV).sign(&pallet_escrow::usage_message(&Escrow::genesis(), &record)).0;
	Escrow::submit_usage(RuntimeOrigin::signed(PROV), record, sig)
}

fn total(who: u64) -> u64 {
	Balances::total_balance(&who)
}
