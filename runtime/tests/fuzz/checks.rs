//! What must hold after every extrinsic and every block.
//!
//! - **Issuance** moves only as the balances pallet's events say: `Issued`, `Minted`,
//!   `MintedCredit` raise it, `Burned` (fees, tip included, are burned this way: this runtime
//!   has no treasury yet), `BurnedHeld`, `BurnedDebt`, `Rescinded` lower it,
//!   `TotalIssuanceForced` sets it, and dust (`DustLost`, an account reaped below the existential
//!   deposit) is burned silently. Raising or forcing it needs root (the sudo key signed); burning
//!   more than the fees (`TransactionFeePaid`) needs root or a `Balances::burn` in the call. Root's
//!   `force_set_balance` moves it through the legacy imbalances: an extrinsic with a `BalanceSet`
//!   is checked by the balances sum alone.
//! - **Balances**: the free and reserved balances of all accounts add up to the total issuance,
//!   and nobody holds more than they have reserved.
//! - **Escrow**: `pallet_escrow::Pallet::check_invariant` (the hold of every account equals its
//!   open escrows plus its payouts).
//! - **Market**: one deadline per lease (the body of `pallet_market`'s `try_state`, which is only
//!   compiled with `try-runtime`).
//! - **Message queue**: its `do_try_state`, the one upstream invariant compiled without
//!   `try-runtime`; balances' hold count (from its `do_try_state`, which is not).

use frame_support::traits::{fungible::InspectHold, VariantCount};
use virtengine_runtime::{Balance, Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason};

/// How the events of one extrinsic (or of a block's hooks) move the issuance.
#[derive(Default, Debug)]
pub struct Flow {
	pub minted: Balance,
	pub burned: Balance,
	pub rescinded: Balance,
	pub fees: Balance,
	pub dust: Balance,
	pub forced: i128,
	pub balance_set: bool,
}

impl Flow {
	pub fn of<'a>(events: impl Iterator<Item = &'a RuntimeEvent>) -> Self {
		use pallet_balances::Event as B;
		let mut f = Flow::default();
		for e in events {
			match e {
				RuntimeEvent::Balances(b) => match b {
					B::Minted { amount, .. }
					| B::Issued { amount }
					| B::MintedCredit { amount } => f.minted += amount,
					B::Burned { amount, .. }
					| B::BurnedHeld { amount, .. }
					| B::BurnedDebt { amount } => f.burned += amount,
					B::Rescinded { amount } => f.rescinded += amount,
					B::DustLost { amount, .. } => f.dust += amount,
					B::TotalIssuanceForced { old, new } => f.forced += *new as i128 - *old as i128,
					B::BalanceSet { .. } => f.balance_set = true,
					_ => {},
				},
				RuntimeEvent::TransactionPayment(
					pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
				) => f.fees += actual_fee,
				_ => {},
			}
		}
		f
	}

	/// Checks the issuance moved from `before` to `after` as these events say. `root`: the
	/// signer could dispatch as root (the sudo key); `burns`: the call contains a
	/// `Balances::burn`.
	pub fn check(
		&self,
		before: Balance,
		after: Balance,
		root: bool,
		burns: bool,
	) -> Result<(), String> {
		if self.balance_set {
			return if root { Ok(()) } else { Err("a balance was set without root".into()) };
		}
		if (self.minted > 0 || self.forced != 0) && !root {
			return Err(format!("issuance raised without root: {self:?}"));
		}
		// Fees (tip included) are burned with a `Burned` event; any other burn needs a reason.
		if (self.burned > self.fees || self.rescinded > 0) && !root && !burns {
			return Err(format!(
				"funds burned beyond the fees by a call that burns nothing: {self:?}"
			));
		}
		// Dust is burned silently (its credit is dropped).
		let expected =
			before as i128 + self.minted as i128 - self.burned as i128 - self.rescinded as i128
				+ self.forced
				- self.dust as i128;
		if after as i128 != expected {
			return Err(format!(
				"total issuance {after} != {expected} expected from {before} and the events {self:?}"
			));
		}
		Ok(())
	}
}

/// Calls `f` on `call` and every call it wraps (utility and sudo wrappers).
pub fn walk(call: &RuntimeCall, f: &mut impl FnMut(&RuntimeCall)) {
	f(call);
	use pallet_utility::Call as U;
	match call {
		RuntimeCall::Utility(
			U::batch { calls } | U::batch_all { calls } | U::force_batch { calls },
		) => calls.iter().for_each(|c| walk(c, f)),
		RuntimeCall::Utility(
			U::as_derivative { call, .. }
			| U::with_weight { call, .. }
			| U::dispatch_as { call, .. }
			| U::dispatch_as_fallible { call, .. },
		) => walk(call, f),
		RuntimeCall::Utility(U::if_else { main, fallback }) => {
			walk(main, f);
			walk(fallback, f);
		},
		RuntimeCall::Sudo(
			pallet_sudo::Call::sudo { call }
			| pallet_sudo::Call::sudo_unchecked_weight { call, .. }
			| pallet_sudo::Call::sudo_as { call, .. },
		) => walk(call, f),
		_ => {},
	}
}

/// Whether `call` contains a `Balances::burn`.
pub fn burns(call: &RuntimeCall) -> bool {
	let mut found = false;
	walk(call, &mut |c| {
		found |= matches!(c, RuntimeCall::Balances(pallet_balances::Call::burn { .. }))
	});
	found
}

/// The state invariants, checked after every block. `forced`: how far root has moved the total
/// issuance away from the accounts with `force_adjust_total_issuance` (its purpose is to
/// correct such a difference, so after it the two differ by exactly that much).
pub fn state(forced: i128) -> Result<(), String> {
	// Balances: the sum of all accounts is the issuance; holds within the reserved balance.
	let mut total: Balance = 0;
	for (who, info) in frame_system::Account::<Runtime>::iter() {
		total = total
			.checked_add(info.data.free)
			.and_then(|t| t.checked_add(info.data.reserved))
			.ok_or("balances overflow")?;
		let holds = pallet_balances::Holds::<Runtime>::get(&who);
		if holds.len() > <RuntimeHoldReason as VariantCount>::VARIANT_COUNT as usize {
			return Err(format!("{who}: {} holds", holds.len()));
		}
		let held: Balance = holds.iter().map(|h| h.amount).sum();
		if held > info.data.reserved {
			return Err(format!("{who}: holds {held} exceed reserved {}", info.data.reserved));
		}
		let escrow_hold = pallet_balances::Pallet::<Runtime>::balance_on_hold(
			&pallet_escrow::HoldReason::Escrow.into(),
			&who,
		);
		if escrow_hold > held {
			return Err(format!("{who}: escrow hold {escrow_hold} beyond all holds {held}"));
		}
	}
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	if total as i128 + forced != issuance as i128 {
		return Err(format!(
			"accounts hold {total}, total issuance is {issuance} (root forced it by {forced})"
		));
	}
	pallet_escrow::Pallet::<Runtime>::check_invariant().map_err(|e| format!("escrow: {e}"))?;
	// The upstream pallet invariant that is compiled without `try-runtime`.
	pallet_message_queue::Pallet::<Runtime>::do_try_state()
		.map_err(|e| format!("message queue: {e:?}"))?;
	let leases = pallet_market::Leases::<Runtime>::iter_keys().count() as u32;
	let deadlines = pallet_market::DeadlineCount::<Runtime>::get();
	if deadlines != leases {
		return Err(format!("market: {deadlines} deadlines for {leases} leases"));
	}
	Ok(())
}
