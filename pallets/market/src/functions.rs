//! The pallet's logic, called by the thin dispatchables in `lib.rs`, by the hooks and by the
//! other pallets' traits (`impls.rs`).

use codec::Decode;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_mfa::IdentityTier;
use sp_runtime::traits::{One, Saturating};
use virtengine_veid_primitives::Tier;

use crate::{
	pallet::{
		BalanceOf, BidOf, Bids, Blocked, Config, Counts, DeadlineCount, DeadlineCursor, Deadlines,
		Error, Event, LeaseAccess, LeaseOf, Leases, NextOffering, NextOrder, OfferingOf, Offerings,
		OpenLeases, OrderOf, Orders, Pallet, RateOf, Ratings, Reviews,
	},
	Access, Bid, Category, CloseReason, Comment, EnvelopeKeys, HoldReason, Lease, LeaseEscrow,
	LeaseState, Offering, OfferingId, Order, OrderId, OrderState, Plan, ProviderRegistry, Review,
	Sealed, Target, WeightInfo, ACCESS_OVERHEAD_BYTES, BID_KEY_BYTES, BLOCKED_KEY_BYTES,
	MAX_DEADLINE_SCAN, ORDER_KEY_HASH_BYTES, REVIEW_KEY_BYTES, SEALED_LIMITS,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_offering(
		who: T::AccountId,
		category: Category,
		plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
		required_tier: Option<Tier>,
		details: Sealed,
	) -> DispatchResult {
		let provider = T::Providers::active_profile(&who).ok_or(Error::<T>::NotActiveProvider)?;
		Self::check_plans(&plans)?;
		Self::check_sealed(&details, &provider.encryption_key)?;
		let deposit = Self::deposit(OfferingOf::<T>::max_encoded_len());
		T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
		let id = NextOffering::<T>::mutate(|n| {
			let id = *n;
			*n = n.saturating_add(1);
			id
		});
		Offerings::<T>::insert(
			id,
			Offering {
				provider: who.clone(),
				category,
				plans,
				required_tier,
				details,
				active: true,
				deposit,
			},
		);
		Counts::<T>::mutate(&who, |c| c.1 = c.1.saturating_add(1));
		Self::deposit_event(Event::OfferingCreated { id, provider: who });
		Ok(())
	}

	pub(crate) fn do_update_offering(
		who: T::AccountId,
		id: OfferingId,
		plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
		required_tier: Option<Tier>,
		details: Sealed,
		active: bool,
	) -> DispatchResult {
		let key = T::Providers::encryption_key(&who).ok_or(Error::<T>::NotActiveProvider)?;
		Self::check_plans(&plans)?;
		Self::check_sealed(&details, &key)?;
		Offerings::<T>::try_mutate(id, |o| {
			let o = o.as_mut().ok_or(Error::<T>::OfferingNotFound)?;
			ensure!(o.provider == who, Error::<T>::NotAuthorized);
			o.plans = plans;
			o.required_tier = required_tier;
			o.details = details;
			o.active = active;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::OfferingUpdated { id });
		Ok(())
	}

	pub(crate) fn do_remove_offering(who: T::AccountId, id: OfferingId) -> DispatchResult {
		let o = Offerings::<T>::get(id).ok_or(Error::<T>::OfferingNotFound)?;
		ensure!(o.provider == who, Error::<T>::NotAuthorized);
		Self::release(&who, o.deposit)?;
		Offerings::<T>::remove(id);
		Self::deposit_event(Event::OfferingRemoved { id });
		Ok(())
	}

	pub(crate) fn do_create_order(
		who: T::AccountId,
		target: Target,
		config: Option<Sealed>,
		max_price: RateOf<T>,
		funds: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(max_price.is_valid(), Error::<T>::InvalidRate);
		match &target {
			Target::Offering { id, plan } => {
				let o = Offerings::<T>::get(id).ok_or(Error::<T>::OfferingNotFound)?;
				ensure!(o.active, Error::<T>::OfferingInactive);
				ensure!(o.plans.get(*plan as usize).is_some(), Error::<T>::InvalidPlan);
				ensure!(o.provider != who, Error::<T>::SelfDealing);
				ensure!(!Blocked::<T>::contains_key(&o.provider, &who), Error::<T>::Blocked);
				if let Some(required) = o.required_tier {
					ensure!(
						T::Identity::tier(&who).is_some_and(|t| t >= required),
						Error::<T>::TierTooLow
					);
				}
				let key = T::Providers::encryption_key(&o.provider)
					.ok_or(Error::<T>::NotActiveProvider)?;
				let config = config.as_ref().ok_or(Error::<T>::ConfigRequired)?;
				Self::check_sealed(config, &key)?;
			},
			Target::Requirements { .. } => ensure!(config.is_none(), Error::<T>::ConfigNotYet),
		}
		let deposit = Self::order_deposit();
		T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
		let id = NextOrder::<T>::mutate(|n| {
			let id = *n;
			*n = n.saturating_add(1);
			id
		});
		T::Escrow::open(id, &who, funds)?;
		Orders::<T>::insert(
			id,
			Order {
				customer: who.clone(),
				target,
				config,
				max_price,
				state: OrderState::Open,
				bids: 0,
				created: frame_system::Pallet::<T>::block_number(),
				deposit,
			},
		);
		Counts::<T>::mutate(&who, |c| c.0 = c.0.saturating_add(1));
		Self::deposit_event(Event::OrderCreated { id, customer: who, funds });
		Ok(())
	}

	pub(crate) fn do_cancel_order(who: T::AccountId, id: OrderId) -> DispatchResult {
		let order = Orders::<T>::get(id).ok_or(Error::<T>::OrderNotFound)?;
		ensure!(order.customer == who, Error::<T>::NotAuthorized);
		ensure!(order.state == OrderState::Open, Error::<T>::OrderNotOpen);
		Self::clear_bids(id)?;
		T::Escrow::finish(id)?;
		Self::release(&who, order.deposit)?;
		Orders::<T>::remove(id);
		Self::deposit_event(Event::OrderCancelled { id });
		Ok(())
	}

	pub(crate) fn do_bid(
		who: T::AccountId,
		order: OrderId,
		price: RateOf<T>,
		expires: BlockNumberFor<T>,
	) -> DispatchResult {
		let provider = T::Providers::active_profile(&who).ok_or(Error::<T>::NotActiveProvider)?;
		let mut o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
		ensure!(o.state == OrderState::Open, Error::<T>::OrderNotOpen);
		ensure!(o.customer != who, Error::<T>::SelfDealing);
		ensure!(!Blocked::<T>::contains_key(&who, &o.customer), Error::<T>::Blocked);
		ensure!(price.is_valid(), Error::<T>::InvalidRate);
		ensure!(price.within(&o.max_price), Error::<T>::PriceTooHigh);
		ensure!(expires > frame_system::Pallet::<T>::block_number(), Error::<T>::InvalidExpiry);
		match &o.target {
			Target::Offering { id, plan } => {
				let offering = Offerings::<T>::get(id).ok_or(Error::<T>::OfferingNotFound)?;
				ensure!(offering.provider == who, Error::<T>::RequirementsNotMet);
				let plan = offering.plans.get(*plan as usize).ok_or(Error::<T>::InvalidPlan)?;
				ensure!(price.within(&plan.rate), Error::<T>::PriceTooHigh);
			},
			Target::Requirements { region, capabilities, .. } => {
				ensure!(
					(region.is_empty() || provider.region.as_slice() == region.as_slice())
						&& provider.capabilities & capabilities == *capabilities,
					Error::<T>::RequirementsNotMet
				);
			},
		}
		let deposit = match Bids::<T>::get(order, &who) {
			Some(old) => old.deposit,
			None => {
				ensure!(o.bids < T::MaxBids::get(), Error::<T>::TooManyBids);
				let deposit = Self::deposit(BidOf::<T>::max_encoded_len() + BID_KEY_BYTES);
				T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
				o.bids = o.bids.saturating_add(1);
				Orders::<T>::insert(order, &o);
				deposit
			},
		};
		Bids::<T>::insert(order, &who, Bid { price, expires, deposit });
		Self::deposit_event(Event::BidPlaced { order, provider: who, expires });
		Ok(())
	}

	pub(crate) fn do_withdraw_bid(who: T::AccountId, order: OrderId) -> DispatchResult {
		let bid = Bids::<T>::take(order, &who).ok_or(Error::<T>::BidNotFound)?;
		Self::release(&who, bid.deposit)?;
		Orders::<T>::mutate(order, |o| {
			if let Some(o) = o {
				o.bids = o.bids.saturating_sub(1);
			}
		});
		Self::deposit_event(Event::BidWithdrawn { order, provider: who });
		Ok(())
	}

	pub(crate) fn do_accept_bid(
		who: T::AccountId,
		order: OrderId,
		provider: T::AccountId,
		price: RateOf<T>,
		config: Option<Sealed>,
	) -> DispatchResult {
		let mut o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
		ensure!(o.customer == who, Error::<T>::NotAuthorized);
		ensure!(o.state == OrderState::Open, Error::<T>::OrderNotOpen);
		let bid = Bids::<T>::get(order, &provider).ok_or(Error::<T>::BidNotFound)?;
		ensure!(bid.price.within(&price), Error::<T>::PriceChanged);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(bid.expires >= now, Error::<T>::BidExpired);
		let p = T::Providers::active_profile(&provider).ok_or(Error::<T>::NotActiveProvider)?;
		ensure!(!Blocked::<T>::contains_key(&provider, &who), Error::<T>::Blocked);
		match (&o.config, config) {
			(None, Some(config)) => {
				Self::check_sealed(&config, &p.encryption_key)?;
				o.config = Some(config);
			},
			(None, None) => return Err(Error::<T>::ConfigRequired.into()),
			(Some(_), Some(_)) => return Err(Error::<T>::ConfigNotYet.into()),
			(Some(_), None) => {},
		}
		Self::clear_bids(order)?;
		T::Escrow::assign(order, &provider, bid.price.clone())?;
		o.state = OrderState::Matched;
		o.bids = 0;
		Orders::<T>::insert(order, o);
		let deadline = now.saturating_add(T::ProvisionTimeout::get());
		Leases::<T>::insert(
			order,
			Lease {
				customer: who,
				provider: provider.clone(),
				price: bid.price,
				state: LeaseState::Matched,
				since: now,
				started: None,
				last_seen: now,
				deadline,
			},
		);
		Self::add_deadline(order, deadline);
		OpenLeases::<T>::mutate(&provider, |n| *n = n.saturating_add(1));
		Self::deposit_event(Event::LeaseStateChanged { id: order, state: LeaseState::Matched });
		Ok(())
	}

	pub(crate) fn do_start_lease(who: T::AccountId, id: OrderId) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		ensure!(lease.provider == who, Error::<T>::NotLeaseParty);
		ensure!(lease.state == LeaseState::Matched, Error::<T>::InvalidLeaseState);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(Self::overdue(&lease, now).is_none(), Error::<T>::TimedOut);
		T::Escrow::start(id, now)?;
		lease.state = LeaseState::Active;
		lease.since = now;
		lease.started = Some(now);
		lease.last_seen = now;
		let deadline = Self::active_deadline(id, &lease, now);
		Self::set_deadline(id, &mut lease, deadline);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::LeaseStateChanged { id, state: LeaseState::Active });
		Ok(())
	}

	pub(crate) fn do_heartbeat(who: T::AccountId, id: OrderId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Leases::<T>::try_mutate(id, |l| {
			let l = l.as_mut().ok_or(Error::<T>::LeaseNotFound)?;
			ensure!(l.provider == who, Error::<T>::NotLeaseParty);
			ensure!(l.state == LeaseState::Active, Error::<T>::InvalidLeaseState);
			ensure!(Self::overdue(l, now).is_none(), Error::<T>::TimedOut);
			l.last_seen = now;
			Ok::<_, Error<T>>(())
		})?;
		Ok(())
	}

	pub(crate) fn do_close_lease(who: T::AccountId, id: OrderId) -> DispatchResult {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		let reason = if who == lease.customer {
			CloseReason::ByCustomer
		} else if who == lease.provider {
			CloseReason::ByProvider
		} else {
			return Err(Error::<T>::NotLeaseParty.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		let (reason, until) = Self::overdue(&lease, now).unwrap_or((reason, now));
		match lease.state {
			LeaseState::Matched => Self::close(id, reason),
			LeaseState::Active => Self::begin_closing(id, reason, until),
			_ => Err(Error::<T>::InvalidLeaseState.into()),
		}
	}

	pub(crate) fn do_review(
		who: T::AccountId,
		id: OrderId,
		rating: u8,
		comment: Comment,
	) -> DispatchResult {
		ensure!((1..=5).contains(&rating), Error::<T>::InvalidRating);
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		let of = if who == lease.customer {
			lease.provider.clone()
		} else if who == lease.provider {
			lease.customer.clone()
		} else {
			return Err(Error::<T>::NotLeaseParty.into());
		};
		ensure!(
			matches!(lease.state, LeaseState::Closed(_))
				&& lease.started.is_some()
				&& !Reviews::<T>::contains_key(id, &who),
			Error::<T>::CannotReview
		);
		let deposit = Self::deposit(Review::<BalanceOf<T>>::max_encoded_len() + REVIEW_KEY_BYTES);
		T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
		Reviews::<T>::insert(id, &who, Review { rating, comment, deposit });
		Ratings::<T>::mutate(&of, |(sum, count)| {
			*sum = sum.saturating_add(rating.into());
			*count = count.saturating_add(1);
		});
		Self::deposit_event(Event::Reviewed { lease: id, by: who, of, rating });
		Ok(())
	}

	pub(crate) fn do_block_customer(who: T::AccountId, customer: T::AccountId) -> DispatchResult {
		ensure!(T::Providers::is_registered(&who), Error::<T>::NotActiveProvider);
		ensure!(!Blocked::<T>::contains_key(&who, &customer), Error::<T>::AlreadyBlocked);
		let deposit = Self::deposit(BLOCKED_KEY_BYTES);
		T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
		Blocked::<T>::insert(&who, &customer, deposit);
		Self::deposit_event(Event::CustomerBlocked { provider: who, customer });
		Ok(())
	}

	pub(crate) fn do_unblock_customer(who: T::AccountId, customer: T::AccountId) -> DispatchResult {
		let deposit = Blocked::<T>::take(&who, &customer).ok_or(Error::<T>::NotBlocked)?;
		Self::release(&who, deposit)?;
		Self::deposit_event(Event::CustomerUnblocked { provider: who, customer });
		Ok(())
	}

	pub(crate) fn do_set_access_details(
		who: T::AccountId,
		id: OrderId,
		details: Sealed,
	) -> DispatchResult {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		ensure!(lease.provider == who, Error::<T>::NotLeaseParty);
		ensure!(
			matches!(lease.state, LeaseState::Matched | LeaseState::Active),
			Error::<T>::InvalidLeaseState
		);
		let key =
			T::EnvelopeKeys::active_key(&lease.customer).ok_or(Error::<T>::CustomerKeyNotFound)?;
		Self::check_sealed_to(&details, &key, Error::<T>::NotSealedToCustomer)?;
		let deposit = Self::deposit(details.len() + ACCESS_OVERHEAD_BYTES);
		T::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
		if let Some(old) = LeaseAccess::<T>::get(id) {
			Self::release(&who, old.deposit)?;
		}
		LeaseAccess::<T>::insert(id, Access { details, deposit });
		Self::deposit_event(Event::AccessDetailsSet { id });
		Ok(())
	}

	/// The deposit of a customer's order: the order, its lease, its escrow and its deadline.
	pub fn order_deposit() -> BalanceOf<T> {
		Self::deposit(
			OrderOf::<T>::max_encoded_len()
				+ LeaseOf::<T>::max_encoded_len()
				+ T::Escrow::max_record_len()
				+ ORDER_KEY_HASH_BYTES,
		)
	}

	/// Whether `who` never ordered (`customer`) or never offered.
	pub fn first(who: &T::AccountId, customer: bool) -> bool {
		let (orders, offerings) = Counts::<T>::get(who);
		if customer {
			orders == 0
		} else {
			offerings == 0
		}
	}

	fn deposit(bytes: usize) -> BalanceOf<T> {
		T::DepositPerByte::get().saturating_mul((bytes as u32).into())
	}

	fn release(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		T::Currency::release(&HoldReason::Storage.into(), who, amount, Precision::BestEffort)?;
		Ok(())
	}

	fn check_plans(plans: &[Plan<BalanceOf<T>>]) -> DispatchResult {
		ensure!(!plans.is_empty(), Error::<T>::InvalidPlan);
		ensure!(plans.iter().all(|p| p.rate.is_valid()), Error::<T>::InvalidRate);
		Ok(())
	}

	/// An envelope, well formed, signed by its sender and sealed to the provider's `key`
	/// (among others).
	pub(crate) fn check_sealed(sealed: &[u8], key: &[u8; 32]) -> DispatchResult {
		Self::check_sealed_to(sealed, key, Error::<T>::NotSealedToProvider)
	}

	/// An envelope, well formed, signed by its sender and sealed to `key` (among others);
	/// `not_to` if it is not sealed to `key`.
	fn check_sealed_to(sealed: &[u8], key: &[u8; 32], not_to: Error<T>) -> DispatchResult {
		use virtengine_envelope::Envelope;
		let envelope =
			Envelope::decode(&mut &sealed[..]).map_err(|_| Error::<T>::InvalidEnvelope)?;
		virtengine_envelope::verify_structure(&envelope, &SEALED_LIMITS)
			.and_then(|_| virtengine_envelope::verify_sender(&envelope))
			.map_err(|_| Error::<T>::InvalidEnvelope)?;
		let id = virtengine_envelope::key_id(key);
		ensure!(envelope.recipient_ids().any(|r| *r == id), not_to);
		Ok(())
	}

	/// Removes every bid of an order, releasing their deposits (at most `MaxBids`).
	fn clear_bids(order: OrderId) -> DispatchResult {
		let bids: alloc::vec::Vec<_> =
			Bids::<T>::drain_prefix(order).take(T::MaxBids::get() as usize).collect();
		for (provider, bid) in bids {
			Self::release(&provider, bid.deposit)?;
		}
		Ok(())
	}

	fn add_deadline(id: OrderId, at: BlockNumberFor<T>) {
		Deadlines::<T>::insert(at, id, ());
		DeadlineCount::<T>::mutate(|n| *n = n.saturating_add(1));
	}

	/// Moves a lease's one deadline entry to block `at`.
	fn set_deadline(id: OrderId, lease: &mut LeaseOf<T>, at: BlockNumberFor<T>) {
		Deadlines::<T>::remove(lease.deadline, id);
		Deadlines::<T>::insert(at, id, ());
		lease.deadline = at;
	}

	/// When an active lease must next be looked at: its heartbeat timeout or the last block
	/// its funds cover, whichever comes first.
	fn active_deadline(
		id: OrderId,
		lease: &LeaseOf<T>,
		now: BlockNumberFor<T>,
	) -> BlockNumberFor<T> {
		let heartbeat = Self::lapse(lease);
		let runway = T::Escrow::runway_end(id).unwrap_or(heartbeat);
		heartbeat.min(runway).max(now.saturating_add(One::one()))
	}

	/// The timeout lease `lease` has passed at `now`, as `(reason, block)`: matched and not
	/// provisioned in time, or active with its heartbeat lapsed (the block the rate stops).
	/// Deadlines run late under load, so every path that acts on a lease asks this rather
	/// than trusting the stored state: a timed-out lease is never started, revived, or billed
	/// past its timeout.
	fn overdue(
		lease: &LeaseOf<T>,
		now: BlockNumberFor<T>,
	) -> Option<(CloseReason, BlockNumberFor<T>)> {
		let (reason, at) = match lease.state {
			LeaseState::Matched => (
				CloseReason::NotProvisioned,
				lease.since.saturating_add(T::ProvisionTimeout::get()),
			),
			LeaseState::Active => (CloseReason::NoHeartbeat, Self::lapse(lease)),
			_ => return None,
		};
		(now >= at).then_some((reason, at))
	}

	/// LEASE_ACTIVE → LEASE_CLOSING: the rate stops at `until`, or at the lapse if the
	/// heartbeat lapsed before (then the reason is `NoHeartbeat`, whoever closes); final
	/// usage until the closing timeout.
	fn begin_closing(id: OrderId, reason: CloseReason, until: BlockNumberFor<T>) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		ensure!(lease.state == LeaseState::Active, Error::<T>::InvalidLeaseState);
		let now = frame_system::Pallet::<T>::block_number();
		let (reason, until) = match Self::overdue(&lease, now) {
			Some((lapsed, lapse)) if lapse < until => (lapsed, lapse),
			_ => (reason, until),
		};
		T::Escrow::stop(id, until)?;
		lease.state = LeaseState::Closing(reason);
		lease.since = now;
		let deadline = now.saturating_add(T::ClosingTimeout::get());
		Self::set_deadline(id, &mut lease, deadline);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::LeaseStateChanged { id, state: LeaseState::Closing(reason) });
		Ok(())
	}

	/// → LEASE_CLOSED: final settlement and refund; reviews open until the review window
	/// ends, then the records go.
	fn close(id: OrderId, reason: CloseReason) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		T::Escrow::finish(id)?;
		lease.state = LeaseState::Closed(reason);
		lease.since = now;
		let deadline = now.saturating_add(T::ReviewWindow::get());
		Self::set_deadline(id, &mut lease, deadline);
		OpenLeases::<T>::mutate(&lease.provider, |n| *n = n.saturating_sub(1));
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::LeaseStateChanged { id, state: LeaseState::Closed(reason) });
		Ok(())
	}

	/// Removes a closed lease, its order and reviews; releases their deposits; settles what
	/// usage may still wait in escrow.
	fn remove(id: OrderId, lease: LeaseOf<T>) -> DispatchResult {
		if T::Escrow::exists(id) {
			T::Escrow::settle_now(id)?;
		}
		if let Some(order) = Orders::<T>::take(id) {
			Self::release(&order.customer, order.deposit)?;
		}
		for who in [&lease.customer, &lease.provider] {
			if let Some(review) = Reviews::<T>::take(id, who) {
				Self::release(who, review.deposit)?;
			}
		}
		if let Some(access) = LeaseAccess::<T>::take(id) {
			Self::release(&lease.provider, access.deposit)?;
		}
		Leases::<T>::remove(id);
		DeadlineCount::<T>::mutate(|n| *n = n.saturating_sub(1));
		Self::deposit_event(Event::LeaseRemoved { id });
		Ok(())
	}

	/// Processes the deadlines that are due, at most `MaxDeadlinesPerBlock`, scanning at most
	/// [`MAX_DEADLINE_SCAN`] blocks forward.
	pub fn process_deadlines(now: BlockNumberFor<T>) -> Weight {
		let w = T::WeightInfo::on_initialize_base();
		if DeadlineCount::<T>::get() == 0 {
			DeadlineCursor::<T>::put(now);
			return w;
		}
		let max = T::MaxDeadlinesPerBlock::get();
		let mut cursor = DeadlineCursor::<T>::get();
		let (mut processed, mut scanned) = (0u32, 0u32);
		while cursor <= now && processed < max && scanned < MAX_DEADLINE_SCAN {
			let due: alloc::vec::Vec<OrderId> =
				Deadlines::<T>::iter_key_prefix(cursor).take((max - processed) as usize).collect();
			for id in &due {
				Deadlines::<T>::remove(cursor, id);
				// A failure rolls back and looks again at the next block.
				let done = frame_support::storage::with_storage_layer(|| Self::process(*id, now));
				if done.is_err() {
					let next = now.saturating_add(One::one());
					Deadlines::<T>::insert(next, id, ());
					Leases::<T>::mutate(id, |l| {
						if let Some(l) = l {
							l.deadline = next;
						}
					});
				}
			}
			processed = processed.saturating_add(due.len() as u32);
			if Deadlines::<T>::iter_key_prefix(cursor).next().is_some() {
				break;
			}
			cursor = cursor.saturating_add(One::one());
			scanned = scanned.saturating_add(1);
		}
		DeadlineCursor::<T>::put(cursor);
		w.saturating_add(T::WeightInfo::on_initialize_scan(scanned))
			.saturating_add(T::WeightInfo::process_deadline().saturating_mul(processed.into()))
	}

	/// One lease's deadline (its entry was just taken out).
	fn process(id: OrderId, now: BlockNumberFor<T>) -> DispatchResult {
		let Some(mut lease) = Leases::<T>::get(id) else {
			DeadlineCount::<T>::mutate(|n| *n = n.saturating_sub(1));
			return Ok(());
		};
		let overdue = Self::overdue(&lease, now);
		let at = match lease.state {
			LeaseState::Matched => {
				if let Some((reason, _)) = overdue {
					return Self::close(id, reason);
				}
				lease.since.saturating_add(T::ProvisionTimeout::get())
			},
			LeaseState::Active => {
				// No sign of life: the rate stops where the heartbeat lapsed.
				if let Some((reason, lapse)) = overdue {
					return Self::begin_closing(id, reason, lapse);
				}
				// Funds over: no settlement here (it is lazy, paid for by whoever wants it);
				// only whether the lease may go on.
				if let Some(end) = T::Escrow::runway_end(id).filter(|end| *end <= now) {
					return Self::begin_closing(id, CloseReason::FundsExhausted, end);
				}
				Self::active_deadline(id, &lease, now)
			},
			LeaseState::Closing(reason) => {
				let due = lease.since.saturating_add(T::ClosingTimeout::get());
				if now >= due {
					return Self::close(id, reason);
				}
				due
			},
			LeaseState::Closed(_) => {
				let due = lease.since.saturating_add(T::ReviewWindow::get());
				if now >= due {
					return Self::remove(id, lease);
				}
				due
			},
		};
		Self::set_deadline(id, &mut lease, at);
		Leases::<T>::insert(id, lease);
		Ok(())
	}

	/// The block an active lease's heartbeat lapses.
	pub(crate) fn lapse(lease: &LeaseOf<T>) -> BlockNumberFor<T> {
		lease.last_seen.saturating_add(T::HeartbeatTimeout::get())
	}

	/// The escrow's funds cover lease `id` only up to `until`.
	pub fn funds_exhausted(id: OrderId, until: BlockNumberFor<T>) {
		if Leases::<T>::get(id).is_some_and(|l| l.state == LeaseState::Active) {
			let _ = Self::begin_closing(id, CloseReason::FundsExhausted, until);
		}
	}

	/// Usage of lease `id` was recorded: it counts as a heartbeat, unless the heartbeat
	/// already lapsed (a lapsed lease is not revived).
	pub fn usage_seen(id: OrderId, at: BlockNumberFor<T>) {
		Leases::<T>::mutate(id, |l| {
			if let Some(l) = l
				.as_mut()
				.filter(|l| l.state == LeaseState::Active && Self::overdue(l, at).is_none())
			{
				l.last_seen = at;
			}
		});
	}
}
