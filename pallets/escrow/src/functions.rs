//! The pallet's logic: the bodies of the thin dispatchables in `lib.rs`, the functions the market
//! pallet calls (open, assign, start, stop, finish, settle), and settlement itself.

use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::ed25519;
use sp_runtime::{
	traits::{CheckedSub, SaturatedConversion, UniqueSaturatedInto, Zero},
	Saturating,
};

use crate::{
	pallet::{BalanceOf, Config, Error, EscrowOf, Escrows, Event, Pallet, Payouts, RateOf},
	DaemonKey, Escrow, EscrowId, HoldReason, LeaseHooks, Pending, Rate, Settlement, UsageRecord,
	UsageStatus,
};

/// The bytes a provider daemon signs for a usage record: a domain separator, the chain's genesis
/// hash and the SCALE encoding of the record.
pub fn usage_message(genesis: &[u8; 32], record: &UsageRecord) -> alloc::vec::Vec<u8> {
	virtengine_primitives::signing::usage_message(genesis, record)
}

/// The number of blocks whose fixed charge `floor(per_hour × n / blocks_per_hour)` stays within
/// `affordable`: the largest such `n`. `None` when every `n` is (a zero rate).
pub fn covered_blocks(per_hour: u128, blocks_per_hour: u128, affordable: u128) -> Option<u128> {
	if per_hour == 0 {
		return None;
	}
	// floor(p·n/B) ≤ X  ⟺  p·n < (X+1)·B  ⟺  n ≤ ((X+1)·B − 1) / p
	let bound = affordable.saturating_add(1).saturating_mul(blocks_per_hour.max(1));
	Some(bound.saturating_sub(1) / per_hour)
}

/// The fixed charge of `blocks` blocks at `per_hour`, rounded down.
pub fn fixed_charge(per_hour: u128, blocks: u128, blocks_per_hour: u128) -> u128 {
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		per_hour,
		blocks,
		blocks_per_hour.max(1),
		sp_runtime::Rounding::Down,
	)
	.unwrap_or(u128::MAX)
}

/// What the market pallet calls, and what anyone may read.
impl<T: Config> Pallet<T> {
	/// Opens escrow `id`, holding `amount` on `payer` (an order was created).
	pub fn open(id: EscrowId, payer: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!Escrows::<T>::contains_key(id), Error::<T>::EscrowAlreadyExists);
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		T::Currency::hold(&HoldReason::Escrow.into(), payer, amount)?;
		Escrows::<T>::insert(
			id,
			Escrow {
				payer: payer.clone(),
				payee: None,
				rate: Rate { per_hour: Zero::zero(), per_unit: Default::default() },
				held: amount,
				accrue_from: None,
				accrue_until: None,
				fixed_settled: Zero::zero(),
				paid: Zero::zero(),
				fee: Zero::zero(),
				last_seq: 0,
				pending: Default::default(),
				finished: false,
			},
		);
		Self::deposit_event(Event::Funded { id, payer: payer.clone(), amount });
		Ok(())
	}

	/// Names the payee and the price (a bid was accepted).
	pub fn assign(id: EscrowId, payee: &T::AccountId, rate: RateOf<T>) -> DispatchResult {
		ensure!(rate.is_valid(), Error::<T>::InvalidRate);
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			ensure!(!e.finished, Error::<T>::AlreadyFinished);
			e.payee = Some(payee.clone());
			e.rate = rate;
			Ok(())
		})
	}

	/// The fixed rate accrues from block `at` (the lease started).
	pub fn start(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			ensure!(e.payee.is_some(), Error::<T>::NotStarted);
			e.accrue_from = Some(at);
			Ok(())
		})
	}

	/// The fixed rate stops accruing at block `at`, or earlier where the funds end.
	pub fn stop(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			Self::stop_record(e, at);
			Ok(())
		})
	}

	/// The lease ended: settles, refunds what is neither owed nor pending, and removes the
	/// escrow once no usage record waits.
	pub fn finish(id: EscrowId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut e = Escrows::<T>::get(id).ok_or(Error::<T>::EscrowNotFound)?;
		Self::stop_record(&mut e, now);
		Self::settle_record(id, &mut e, now)?;
		e.finished = true;
		Self::refund_free(id, e)
	}

	/// The last block the escrow's funds cover at the fixed rate, while it accrues; `None` if
	/// it does not accrue or the rate has no fixed part.
	pub fn runway_end(id: EscrowId) -> Option<BlockNumberFor<T>> {
		Escrows::<T>::get(id).and_then(|e| Self::runway_of(&e))
	}

	/// Settles `id` now, telling [`Config::Leases`] if its funds ran out (the body of the
	/// `settle` call, and what `resolve` ends with).
	pub fn settle_now(id: EscrowId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut e = Escrows::<T>::get(id).ok_or(Error::<T>::EscrowNotFound)?;
		let s = Self::settle_record(id, &mut e, now)?;
		if e.finished {
			Self::refund_free(id, e)?;
		} else {
			Escrows::<T>::insert(id, e);
		}
		// After the write: the lease closing reads the escrow again.
		if let Some(until) = s.exhausted {
			Self::exhausted(id, until);
		}
		Ok(())
	}

	/// The chain's genesis hash, as usage records are bound to it.
	pub fn genesis() -> [u8; 32] {
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let mut out = [0u8; 32];
		let bytes = hash.as_ref();
		let n = bytes.len().min(32);
		out[..n].copy_from_slice(&bytes[..n]);
		out
	}

	/// Checks the invariant: on every account, the balance held for escrow equals the funds
	/// of the escrows it pays plus its payouts.
	pub fn check_invariant() -> Result<(), &'static str> {
		let mut expected = alloc::collections::BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		for (_, e) in Escrows::<T>::iter() {
			let v = expected.entry(e.payer.clone()).or_insert_with(Zero::zero);
			*v = v.saturating_add(e.held);
			if e.finished && e.pending.is_empty() {
				return Err("a finished escrow without pending usage was not removed");
			}
		}
		for (who, amount) in Payouts::<T>::iter() {
			let v = expected.entry(who).or_insert_with(Zero::zero);
			*v = v.saturating_add(amount);
		}
		for (who, amount) in &expected {
			if T::Currency::balance_on_hold(&HoldReason::Escrow.into(), who) != *amount {
				return Err("escrow hold differs from open escrows plus payouts");
			}
		}
		Ok(())
	}
}

/// The bodies of the dispatchables.
impl<T: Config> Pallet<T> {
	pub(crate) fn do_top_up(
		who: T::AccountId,
		id: EscrowId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			ensure!(e.payer == who, Error::<T>::NotAuthorized);
			ensure!(!e.finished, Error::<T>::AlreadyFinished);
			T::Currency::hold(&HoldReason::Escrow.into(), &who, amount)?;
			e.held = e.held.saturating_add(amount);
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Funded { id, payer: who, amount });
		Ok(())
	}

	pub(crate) fn do_submit_usage(record: UsageRecord, signature: [u8; 64]) -> DispatchResult {
		let id = record.lease;
		let now = frame_system::Pallet::<T>::block_number();
		let exhausted = Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			ensure!(!e.finished, Error::<T>::AlreadyFinished);
			let payee = e.payee.clone().ok_or(Error::<T>::NotStarted)?;
			ensure!(e.accrue_from.is_some(), Error::<T>::NotStarted);
			ensure!(record.seq > e.last_seq, Error::<T>::Replayed);
			let key = T::DaemonKeys::daemon_key(&payee).ok_or(Error::<T>::InvalidSignature)?;
			let message = usage_message(&Self::genesis(), &record);
			ensure!(
				sp_io::crypto::ed25519_verify(
					&ed25519::Signature::from_raw(signature),
					&message,
					&ed25519::Public::from_raw(key),
				),
				Error::<T>::InvalidSignature
			);
			let amount = Self::cost(&e.rate, &record)?;
			// Matured records are paid and leave the list; a long lease reporting at any
			// sane interval never fills it (issue 16: nobody else may ever settle).
			let settled = Self::settle_record(id, e, now)?;
			e.pending
				.try_push(Pending {
					seq: record.seq,
					amount,
					at: now,
					status: UsageStatus::InWindow,
				})
				.map_err(|_| Error::<T>::TooManyPending)?;
			e.last_seq = record.seq;
			Self::deposit_event(Event::UsageRecorded { id, seq: record.seq, amount });
			let by_usage = (e.accrue_until.is_none() && e.held <= e.pending_total()).then_some(now);
			Ok::<_, DispatchError>(match (settled.exhausted, by_usage) {
				(Some(a), Some(b)) => Some(a.min(b)),
				(a, b) => a.or(b),
			})
		})?;
		T::Leases::on_usage(id, now);
		if let Some(until) = exhausted {
			Self::exhausted(id, until);
		}
		Ok(())
	}

	pub(crate) fn do_dispute(who: T::AccountId, id: EscrowId, seq: u32) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			ensure!(e.payer == who, Error::<T>::NotAuthorized);
			let p =
				e.pending.iter_mut().find(|p| p.seq == seq).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(p.status != UsageStatus::Disputed, Error::<T>::AlreadyDisputed);
			ensure!(
				p.status == UsageStatus::InWindow
					&& now < p.at.saturating_add(T::DisputeWindow::get()),
				Error::<T>::WindowPassed
			);
			p.status = UsageStatus::Disputed;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Disputed { id, seq });
		Ok(())
	}

	pub(crate) fn do_resolve(id: EscrowId, seq: u32, pay: bool) -> DispatchResult {
		Escrows::<T>::try_mutate(id, |e| {
			let e = e.as_mut().ok_or(Error::<T>::EscrowNotFound)?;
			let i =
				e.pending.iter().position(|p| p.seq == seq).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(e.pending[i].status == UsageStatus::Disputed, Error::<T>::NotDisputed);
			if pay {
				e.pending[i].status = UsageStatus::Approved;
			} else {
				e.pending.remove(i);
			}
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Resolved { id, seq, paid: pay });
		Self::settle_now(id)?;
		Ok(())
	}

	pub(crate) fn do_withdraw(who: T::AccountId) -> DispatchResult {
		let amount = Payouts::<T>::take(&who);
		ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
		T::Currency::release(&HoldReason::Escrow.into(), &who, amount, Precision::Exact)?;
		Self::deposit_event(Event::Withdrawn { who, amount });
		Ok(())
	}

	pub(crate) fn do_spend_fees(dest: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let treasury = T::FeeDestination::get();
		let left = Payouts::<T>::get(&treasury)
			.checked_sub(&amount)
			.ok_or(Error::<T>::InsufficientFees)?;
		T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&treasury,
			&dest,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)?;
		if left.is_zero() {
			Payouts::<T>::remove(&treasury);
		} else {
			Payouts::<T>::insert(&treasury, left);
		}
		Self::deposit_event(Event::FeesSpent { dest, amount });
		Ok(())
	}
}

/// Settlement and its helpers.
impl<T: Config> Pallet<T> {
	/// What a usage record costs at `rate`.
	fn cost(rate: &RateOf<T>, record: &UsageRecord) -> Result<BalanceOf<T>, DispatchError> {
		ensure!(!record.quantities.is_empty(), Error::<T>::InvalidRecord);
		let q = &record.quantities;
		ensure!(
			q.iter().enumerate().all(|(i, (u, _))| q.iter().skip(i + 1).all(|(v, _)| v != u)),
			Error::<T>::InvalidRecord
		);
		let mut total: u128 = 0;
		for (unit, quantity) in q.iter() {
			let price: u128 =
				rate.unit_price(*unit).ok_or(Error::<T>::UnpricedUnit)?.unique_saturated_into();
			total = price
				.checked_mul(u128::from(*quantity))
				.and_then(|c| total.checked_add(c))
				.ok_or(Error::<T>::Overflow)?;
		}
		let amount: BalanceOf<T> = total.saturated_into();
		let back: u128 = amount.unique_saturated_into();
		ensure!(back == total, Error::<T>::Overflow);
		Ok(amount)
	}

	/// Moves `amount` held on `from` onto `to`'s payouts (still held).
	fn pay(from: &T::AccountId, to: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			from,
			to,
			amount,
			Precision::Exact,
			Restriction::OnHold,
			Fortitude::Polite,
		)?;
		Payouts::<T>::mutate(to, |p| *p = p.saturating_add(amount));
		Ok(())
	}

	/// The funds of escrow `id` cover its lease until block `until` at most: tells the lease
	/// (which closes). Weighed by [`crate::WeightInfo::exhausted`], added to every call that can
	/// get here.
	pub(crate) fn exhausted(id: EscrowId, until: BlockNumberFor<T>) {
		Self::deposit_event(Event::FundsExhausted { id, until });
		T::Leases::on_exhausted(id, until);
	}

	/// [`Pallet::runway_end`] of a loaded record.
	fn runway_of(e: &EscrowOf<T>) -> Option<BlockNumberFor<T>> {
		let from = e.accrue_from?;
		if e.accrue_until.is_some() {
			return None;
		}
		let affordable = e.held.saturating_sub(e.pending_total()).saturating_add(e.fixed_settled);
		let blocks = covered_blocks(
			e.rate.per_hour.unique_saturated_into(),
			T::BlocksPerHour::get().into(),
			affordable.unique_saturated_into(),
		)?;
		Some(from.saturating_add(blocks.saturated_into()))
	}

	/// [`Pallet::stop`] on a loaded record.
	fn stop_record(e: &mut EscrowOf<T>, at: BlockNumberFor<T>) {
		if e.accrue_until.is_none() {
			let end = Self::runway_of(e);
			e.accrue_until = Some(end.map_or(at, |end| at.min(end)));
		}
	}

	/// Settles the loaded record `e` of escrow `id` as of block `now`: moves the payments
	/// and updates `e`; the caller writes it back.
	fn settle_record(
		id: EscrowId,
		e: &mut EscrowOf<T>,
		now: BlockNumberFor<T>,
	) -> Result<Settlement<BalanceOf<T>, BlockNumberFor<T>>, DispatchError> {
		let Some(payee) = e.payee.clone() else { return Ok(Settlement::default()) };
		// The last block the funds cover, while accruing: the fixed rate never accrues past
		// it.
		let end = Self::runway_of(e);
		// The fixed rate accrued and not settled.
		let fixed_due: BalanceOf<T> = match e.accrue_from {
			Some(from) => {
				let until = e.accrue_until.map_or(now, |u| u.min(now));
				let until = end.map_or(until, |end| end.min(until));
				let until = T::Leases::accrual_limit(id).map_or(until, |l| l.min(until));
				let blocks: u128 = until.saturating_sub(from).unique_saturated_into();
				let total = fixed_charge(
					e.rate.per_hour.unique_saturated_into(),
					blocks,
					T::BlocksPerHour::get().into(),
				);
				total.saturated_into::<BalanceOf<T>>().saturating_sub(e.fixed_settled)
			},
			None => Zero::zero(),
		};
		// Usage whose window has passed, undisputed.
		let window = T::DisputeWindow::get();
		let mut usage_due: BalanceOf<T> = Zero::zero();
		e.pending.retain(|p| {
			let due = match p.status {
				UsageStatus::InWindow => p.at.saturating_add(window) <= now,
				UsageStatus::Disputed => false,
				UsageStatus::Approved => true,
			};
			if due {
				usage_due = usage_due.saturating_add(p.amount);
			}
			!due
		});
		let due = fixed_due.saturating_add(usage_due);
		let charge = due.min(e.held);
		let shortfall = due.saturating_sub(charge);
		// The fee is a share of everything paid so far: rounding is done once, not per
		// settlement.
		let paid = e.paid.saturating_add(charge);
		let fee_total = T::FeeRate::get().mul_floor(paid);
		let fee = fee_total.saturating_sub(e.fee).min(charge);
		let to_payee = charge.saturating_sub(fee);
		Self::pay(&e.payer, &payee, to_payee)?;
		Self::pay(&e.payer, &T::FeeDestination::get(), fee)?;
		e.held = e.held.saturating_sub(charge);
		e.paid = paid;
		e.fee = e.fee.saturating_add(fee);
		e.fixed_settled = e.fixed_settled.saturating_add(fixed_due);
		let accruing = e.accrue_from.is_some() && e.accrue_until.is_none();
		let exhausted = if !accruing {
			None
		} else if let Some(end) = end.filter(|end| *end <= now) {
			Some(end)
		} else if e.held <= e.pending_total() {
			Some(now)
		} else {
			None
		};
		if !charge.is_zero() || !shortfall.is_zero() {
			Self::deposit_event(Event::Settled { id, to_payee, fee, shortfall });
		}
		Ok(Settlement { to_payee, fee, shortfall, exhausted })
	}

	/// A finished escrow (the loaded record `e`) gives back what no pending record may still
	/// claim; it is removed when none waits, written back otherwise.
	fn refund_free(id: EscrowId, mut e: EscrowOf<T>) -> DispatchResult {
		let refund = e.held.saturating_sub(e.pending_total());
		if !refund.is_zero() {
			T::Currency::release(&HoldReason::Escrow.into(), &e.payer, refund, Precision::Exact)?;
			e.held = e.held.saturating_sub(refund);
			Self::deposit_event(Event::Refunded { id, payer: e.payer.clone(), amount: refund });
		}
		if e.pending.is_empty() {
			Escrows::<T>::remove(id);
			Self::deposit_event(Event::Closed { id });
		} else {
			Escrows::<T>::insert(id, e);
		}
		Ok(())
	}
}
