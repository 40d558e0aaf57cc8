//! Tests by feature; the helpers shared by them are here.

#![allow(clippy::unwrap_used)]

use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_runtime::DispatchError;

use crate::{
	covered_blocks, fixed_charge, mock::*, Error, Escrows, Event, HoldReason, Payouts, Rate, Unit,
	UsageRecord, UsageStatus,
};

fn rate(per_hour: u64, units: &[(Unit, u64)]) -> Rate<u64> {
	Rate { per_hour, per_unit: BoundedVec::truncate_from(units.to_vec()) }
}

fn record(lease: u64, seq: u32, q: &[(Unit, u64)]) -> UsageRecord {
	UsageRecord { lease, seq, quantities: BoundedVec::truncate_from(q.to_vec()) }
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

fn free(who: u64) -> u64 {
	Balances::balance(&who)
}

/// An escrow of `amount` from the customer to the provider at `r`, started at block 1.
fn lease(id: u64, amount: u64, r: Rate<u64>) {
	assert_ok!(Escrow::open(id, &CUSTOMER, amount));
	assert_ok!(Escrow::assign(id, &PROVIDER, r));
	assert_ok!(Escrow::start(id, 1));
}

fn submit(signer: u64, r: &UsageRecord) -> Result<(), DispatchError> {
	Escrow::submit_usage(RuntimeOrigin::signed(PROVIDER), r.clone(), signed(signer, r))
}

fn settle(id: u64) {
	assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id));
}

fn invariant() {
	Escrow::check_invariant().unwrap();
}

mod disputes;
mod funds;
mod randomized;
mod runway;
mod settlement;
mod usage;
