//! Attacks on the runtime's MFA classification found in review (issue 14), each carried out by
//! a thief holding only an account's key, and the requirement that now stops it. Run on the
//! development preset's genesis (VE thresholds: transfers 5,000, orders 1,000, withdrawals
//! 10,000).

use frame_support::weights::Weight;
use pallet_mfa::{Factor::*, FactorSet};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{Dispatchable, TransactionExtension},
	AccountId32, MultiAddress,
};
use virtengine_runtime::{Balances, Runtime, RuntimeCall, RuntimeOrigin, VE};

mod common;
use common::preset_state;

/// What `call` by `who` requires: (factors, critical).
fn requirement(who: &AccountId32, call: &RuntimeCall) -> (FactorSet, bool) {
	let c = pallet_mfa::Pallet::<Runtime>::requirement_of(who, call).expect("classifiable");
	(c.requirement.factors, c.requirement.critical)
}

fn alice() -> AccountId32 {
	Sr25519Keyring::Alice.to_account_id()
}

fn bob() -> AccountId32 {
	Sr25519Keyring::Bob.to_account_id()
}

fn batch(calls: Vec<RuntimeCall>) -> RuntimeCall {
	RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
}

fn order(funds: u128) -> RuntimeCall {
	RuntimeCall::Market(pallet_market::Call::create_order {
		target: pallet_market::Target::Requirements {
			category: pallet_market::Category::Compute,
			region: Default::default(),
			capabilities: 0,
		},
		config: None,
		max_price: pallet_escrow::Rate { per_hour: VE, per_unit: Default::default() },
		funds,
	})
}

fn transfer_all(to: &AccountId32) -> RuntimeCall {
	RuntimeCall::Balances(pallet_balances::Call::transfer_all {
		dest: MultiAddress::Id(to.clone()),
		keep_alive: false,
	})
}

fn fund(who: &AccountId32, amount: u128) {
	use frame_support::traits::fungible::Mutate;
	Balances::set_balance(who, amount);
}

const LARGE: (FactorSet, bool) = (FactorSet::of(&[Veid, Fido2]), false);

#[test]
fn orders_split_in_a_batch_escape_the_large_order_rule() {
	preset_state("development").execute_with(|| {
		pallet_market::Counts::<Runtime>::insert(alice(), (1, 0));
		// One 600 VE order is small…
		assert_eq!(requirement(&alice(), &order(600 * VE)), (FactorSet::EMPTY, false));
		// …two in one batch are 1,200 VE: a large order.
		let split = batch(vec![order(600 * VE), order(600 * VE)]);
		assert_eq!(requirement(&alice(), &split).0, FactorSet::of(&[Veid, Fido2]));
	});
}

#[test]
fn accept_bid_commits_held_funds_without_mfa() {
	preset_state("development").execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		// Alice's order holds 5,000 VE (made with MFA, say).
		let id = pallet_market::NextOrder::<Runtime>::get();
		order(5_000 * VE).dispatch(RuntimeOrigin::signed(alice())).expect("order");
		// Accepting a (thief-controlled) provider's bid commits them: a large commitment.
		let accept = RuntimeCall::Market(pallet_market::Call::accept_bid {
			order: id,
			provider: bob(),
			price: pallet_escrow::Rate { per_hour: VE, per_unit: Default::default() },
			config: None,
		});
		assert_eq!(requirement(&alice(), &accept), LARGE);
		// So does topping up an escrow.
		let top_up = RuntimeCall::Escrow(pallet_escrow::Call::top_up { id, amount: 1_001 * VE });
		assert_eq!(requirement(&alice(), &top_up), LARGE);
	});
}

#[test]
fn withdraw_after_settle_in_one_batch_is_valued_before_the_settlement() {
	preset_state("development").execute_with(|| {
		// Nothing to withdraw yet: withdrawing alone needs nothing.
		let withdraw = RuntimeCall::Escrow(pallet_escrow::Call::withdraw {});
		assert_eq!(requirement(&alice(), &withdraw), (FactorSet::EMPTY, false));
		// After a settlement in the same batch the payout may be anything: above the threshold.
		let settle = RuntimeCall::Escrow(pallet_escrow::Call::settle { id: 0 });
		assert_eq!(
			requirement(&alice(), &batch(vec![settle, withdraw])),
			(FactorSet::of(&[Veid, Fido2]), true)
		);
	});
}

#[test]
fn transfer_all_after_cancel_order_is_valued_before_the_cancel() {
	preset_state("development").execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		let thief_target = AccountId32::new([0x66; 32]);
		let victim = AccountId32::new([0x55; 32]);
		fund(&victim, 50_010 * VE);
		pallet_market::Counts::<Runtime>::insert(&victim, (1, 0));
		let id = pallet_market::NextOrder::<Runtime>::get();
		order(50_000 * VE).dispatch(RuntimeOrigin::signed(victim.clone())).expect("order");
		// Alone, transfer_all moves the few VE left free: only the new address counts.
		assert_eq!(
			requirement(&victim, &transfer_all(&thief_target)),
			(FactorSet::of(&[Fido2]), false)
		);
		// After cancelling the order it moves 50,000 VE.
		let cancel = RuntimeCall::Market(pallet_market::Call::cancel_order { id });
		let both = batch(vec![cancel, transfer_all(&thief_target)]);
		assert_eq!(requirement(&victim, &both).0, FactorSet::of(&[Veid, Fido2]));
	});
}

#[test]
fn as_derivative_transfer_all_is_valued_with_the_outer_accounts_balance() {
	preset_state("development").execute_with(|| {
		let outer = AccountId32::new([0x44; 32]);
		fund(&outer, 10 * VE);
		let derivative = pallet_utility::derivative_account_id(outer.clone(), 0);
		fund(&derivative, 100_000 * VE);
		let call = RuntimeCall::Utility(pallet_utility::Call::as_derivative {
			index: 0,
			call: Box::new(transfer_all(&bob())),
		});
		// The derivative's 100,000 VE move: a large transfer (to an address new to the signer).
		assert_eq!(requirement(&outer, &call).0, FactorSet::of(&[Veid, Fido2]));
	});
}

#[test]
fn administrator_flags_and_terminates_in_one_batch_without_mfa() {
	preset_state("development").execute_with(|| {
		let victim = AccountId32::new([0x33; 32]);
		let flag =
			RuntimeCall::Roles(pallet_roles::Call::flag { who: victim.clone(), reason: [1; 32] });
		let terminate =
			RuntimeCall::Roles(pallet_roles::Call::terminate { who: victim, reason: [1; 32] });
		assert_eq!(
			requirement(&alice(), &batch(vec![flag, terminate])),
			(FactorSet::of(&[Veid, Fido2]), true)
		);
	});
}

#[test]
fn provider_and_envelope_key_changes_are_not_key_rotations() {
	preset_state("development").execute_with(|| {
		let update = RuntimeCall::Provider(pallet_provider::Call::update {
			attributes: pallet_provider::Attributes {
				region: Default::default(),
				cpu_models: Default::default(),
				gpu_models: Default::default(),
				capabilities: 0,
			},
			encryption_key: [1; 32],
			daemon_key: [2; 32],
		});
		let rotation = (FactorSet::of(&[Veid, Fido2]), true);
		assert_eq!(requirement(&alice(), &update), rotation);
		let revoke = RuntimeCall::Encryption(pallet_encryption::Call::revoke_key {
			key_id: [3; virtengine_envelope::KEY_ID_LEN],
		});
		assert_eq!(requirement(&alice(), &revoke), rotation);
	});
}

#[test]
fn a_large_batch_is_checked_for_the_price_of_one_call() {
	preset_state("development").execute_with(|| {
		let one = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(bob()),
			value: VE,
		});
		let check = pallet_mfa::CheckMfa::<Runtime>::new();
		let single: Weight = check.weight(&one);
		let hundred = batch(vec![one; 100]);
		let charged = check.weight(&hundred);
		// Classification visits every call: the check is charged for each.
		assert!(
			charged.ref_time() >= 100 * single.ref_time() / 2,
			"{charged:?} for 100 calls, {single:?} for one"
		);
	});
}

#[test]
fn xcm_transact_from_a_sovereign_account_skips_account_state_and_mfa() {
	use xcm_executor::traits::CallDispatcher;
	type Dispatcher =
		<virtengine_runtime::configs::xcm_config::XcmConfig as xcm_executor::Config>::CallDispatcher;
	preset_state("development").execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		// A sibling chain's sovereign account here (any account XCM's origin converter yields).
		let sovereign = AccountId32::new([0x22; 32]);
		fund(&sovereign, 20_000 * VE);
		let send = |value| {
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: MultiAddress::Id(bob()),
				value,
			})
		};
		// A transfer to an address new to the account needs FIDO2, by XCM as by transaction.
		assert!(<Dispatcher as CallDispatcher<RuntimeCall>>::dispatch(
			send(10 * VE),
			RuntimeOrigin::signed(sovereign.clone())
		)
		.is_err());
		// Once the recipient is known, a small transfer passes…
		pallet_mfa::KnownRecipients::<Runtime>::insert(
			&sovereign,
			frame_support::BoundedVec::truncate_from(vec![bob()]),
		);
		assert!(<Dispatcher as CallDispatcher<RuntimeCall>>::dispatch(
			send(10 * VE),
			RuntimeOrigin::signed(sovereign.clone())
		)
		.is_ok());
		// …until staff suspend the account: then nothing but an appeal.
		RuntimeCall::Roles(pallet_roles::Call::suspend { who: sovereign.clone(), reason: [9; 32] })
			.dispatch(RuntimeOrigin::root())
			.expect("governance suspends");
		let before = Balances::free_balance(&sovereign);
		assert!(<Dispatcher as CallDispatcher<RuntimeCall>>::dispatch(
			send(10 * VE),
			RuntimeOrigin::signed(sovereign.clone())
		)
		.is_err());
		assert_eq!(Balances::free_balance(&sovereign), before);
	});
}
