//! The policy engine: which of the seeds' gating rules a sensitive action triggers, and what the
//! rules together require.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::traits::{Saturating, Zero};
use virtengine_mfa_primitives::{Factor, FactorSet};
use virtengine_veid_primitives::Tier;

/// A sensitive action, as the seeds name transaction types. The runtime maps calls to actions.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Action {
	/// Taking over an account whose key is lost.
	AccountRecovery,
	/// Rotating an account's or a collator's keys.
	KeyRotation,
	/// Registering as a service provider.
	ProviderRegistration,
	/// Registering as a validator (collator candidate).
	ValidatorRegistration,
	/// Withdrawing funds (escrow, deposits).
	Withdrawal,
	/// Submitting a governance proposal.
	GovernanceProposal,
	/// Creating an order.
	OrderCreate,
	/// Creating an offering.
	OfferingCreate,
	/// Transferring tokens.
	TransferTokens,
	/// Changing account settings.
	UpdateAccountSettings,
	/// A support request.
	SupportRequest,
	/// Updating an offering.
	OfferingUpdate,
	/// Closing a lease.
	LeaseClose,
	/// Changing one's MFA factors or requirements.
	MfaSettings,
	/// Committing held funds to a counterparty (accepting a provider's bid, topping up an
	/// escrow): the point after which the funds may be billed.
	FundsCommit,
	/// A staff power over another account (roles: granting and revoking roles, flagging,
	/// suspending, reinstating, terminating, rejecting appeals) used by a staff member's key.
	StaffAction,
}

impl Action {
	/// Every action.
	pub const ALL: [Action; 16] = [
		Action::AccountRecovery,
		Action::KeyRotation,
		Action::ProviderRegistration,
		Action::ValidatorRegistration,
		Action::Withdrawal,
		Action::GovernanceProposal,
		Action::OrderCreate,
		Action::OfferingCreate,
		Action::TransferTokens,
		Action::UpdateAccountSettings,
		Action::SupportRequest,
		Action::OfferingUpdate,
		Action::LeaseClose,
		Action::MfaSettings,
		Action::FundsCommit,
		Action::StaffAction,
	];

	/// The running total the action's value adds to: the value thresholds compare totals, never
	/// one call's value alone (a batch of small calls is one large call).
	pub fn value_class(self) -> Option<ValueClass> {
		match self {
			Action::TransferTokens => Some(ValueClass::Transfer),
			Action::OrderCreate => Some(ValueClass::Order),
			Action::FundsCommit => Some(ValueClass::Commitment),
			Action::Withdrawal => Some(ValueClass::Withdrawal),
			Action::AccountRecovery
			| Action::KeyRotation
			| Action::ProviderRegistration
			| Action::ValidatorRegistration
			| Action::GovernanceProposal
			| Action::OfferingCreate
			| Action::UpdateAccountSettings
			| Action::SupportRequest
			| Action::OfferingUpdate
			| Action::LeaseClose
			| Action::MfaSettings
			| Action::StaffAction => None,
		}
	}
}

/// A running total of value that the thresholds compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueClass {
	/// Tokens transferred (LargeTransfer).
	Transfer,
	/// Funds put on hold for new orders (LargeOrder). Added up over the call tree only: held
	/// funds stay the customer's until committed, and cancelling an order returns them.
	Order,
	/// Held funds committed to a counterparty (LargeOrder): accepted bids, escrow top-ups.
	Commitment,
	/// Funds leaving the account's control (LargeWithdrawal).
	Withdrawal,
}

impl ValueClass {
	/// The classes whose totals are also kept over the rolling per-account window: value that,
	/// once moved, is gone. A thief splitting it over many transactions meets the threshold too.
	pub const WINDOWED: [ValueClass; 3] =
		[ValueClass::Transfer, ValueClass::Commitment, ValueClass::Withdrawal];

	/// The class's slot in [`ValueTotals`].
	pub fn index(self) -> usize {
		match self {
			ValueClass::Transfer => 0,
			ValueClass::Commitment => 1,
			ValueClass::Withdrawal => 2,
			ValueClass::Order => 3,
		}
	}

	/// Whether the rolling window keeps this class.
	pub fn windowed(self) -> bool {
		self.index() < Self::WINDOWED.len()
	}
}

/// Value totals by [`ValueClass`] (saturating: a total at the maximum is above every threshold).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct ValueTotals<Balance>(pub [Balance; 4]);

impl<Balance: Copy + Saturating + Zero> ValueTotals<Balance> {
	/// No value.
	pub fn zero() -> Self {
		ValueTotals([Balance::zero(); 4])
	}

	/// The total of `class`.
	pub fn get(&self, class: ValueClass) -> Balance {
		self.0[class.index()]
	}

	/// Adds `value` to the total of `class`.
	pub fn add(&mut self, class: ValueClass, value: Balance) {
		let slot = &mut self.0[class.index()];
		*slot = slot.saturating_add(value);
	}

	/// Adds every total of `other`.
	pub fn add_all(&mut self, other: &Self) {
		for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
			*a = a.saturating_add(*b);
		}
	}

	/// Only the windowed classes' totals.
	pub fn windowed(&self) -> Self {
		let mut out = *self;
		out.0[ValueClass::Order.index()] = Balance::zero();
		out
	}

	/// Whether every total is zero.
	pub fn is_zero(&self) -> bool {
		self.0.iter().all(|v| v.is_zero())
	}
}

/// What the runtime knows about one sensitive call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Context<AccountId, Balance> {
	/// The action.
	pub action: Action,
	/// Value moved or committed, in the token's smallest unit.
	pub value: Balance,
	/// The recipient of a transfer.
	pub recipient: Option<AccountId>,
	/// The account's first action of its kind (first order; a provider's first offering).
	pub first: bool,
	/// The action touches sensitive details: contact email/phone for settings, sensitive logs
	/// for a support request.
	pub sensitive_detail: bool,
}

impl<AccountId, Balance: Default> Context<AccountId, Balance> {
	/// A context with no value, recipient or condition.
	pub fn of(action: Action) -> Self {
		Context {
			action,
			value: Balance::default(),
			recipient: None,
			first: false,
			sensitive_detail: false,
		}
	}
}

/// A row of the seeds' gating tables (tier 1 and tier 2), plus our factor-change rule.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Rule {
	/// Tier 1: AccountRecovery, VEID + FIDO2 + SMS/Email.
	AccountRecovery,
	/// Tier 1: KeyRotation, VEID + FIDO2 (+ the existing key, which signs the transaction).
	KeyRotation,
	/// Tier 1: ProviderRegistration, VEID (score ≥ 70) + FIDO2.
	ProviderRegistration,
	/// Tier 1: ValidatorRegistration, VEID (score ≥ 85) + FIDO2 (+ governance approval, which
	/// the registration itself requires).
	ValidatorRegistration,
	/// Tier 1: LargeWithdrawal (above the threshold, 10,000 VE), VEID + FIDO2.
	LargeWithdrawal,
	/// Tier 1: GovernanceProposal, VEID + FIDO2.
	GovernanceProposal,
	/// Tier 2: OrderCreate above 1,000 VE, VEID + FIDO2.
	LargeOrder,
	/// Tier 2: an account's first order, VEID.
	FirstOrder,
	/// Tier 2: a provider's first offering, VEID + FIDO2.
	FirstOffering,
	/// Tier 2: TransferTokens to a new address, FIDO2.
	TransferToNewAddress,
	/// Tier 2: TransferTokens above 5,000 VE, VEID + FIDO2.
	LargeTransfer,
	/// Tier 2: UpdateAccountSettings changing email/phone, SMS/Email verification.
	ContactChange,
	/// Tier 2: SupportRequest with access to sensitive logs, VEID.
	SensitiveLogs,
	/// Ours: changing MFA factors, code channels or requirements needs every possession factor
	/// already enrolled (FIDO2, TOTP, one-time code, trusted device), else a stolen account key
	/// could replace or remove the owner's factors. VEID never counts: it is a property of the
	/// account, not a proof that the owner is present. The first factor needs none.
	FactorChange,
	/// Ours: a staff member's key using a staff power over another account, VEID + FIDO2: a
	/// stolen Administrator key alone cannot flag and terminate accounts.
	StaffAction,
}

impl Rule {
	/// Every rule.
	pub const ALL: [Rule; 15] = [
		Rule::AccountRecovery,
		Rule::KeyRotation,
		Rule::ProviderRegistration,
		Rule::ValidatorRegistration,
		Rule::LargeWithdrawal,
		Rule::GovernanceProposal,
		Rule::LargeOrder,
		Rule::FirstOrder,
		Rule::FirstOffering,
		Rule::TransferToNewAddress,
		Rule::LargeTransfer,
		Rule::ContactChange,
		Rule::SensitiveLogs,
		Rule::FactorChange,
		Rule::StaffAction,
	];

	/// The seeds' requirement for this rule: the genesis default.
	pub fn default_policy(self) -> Policy {
		use Factor::*;
		let critical = |factors: &[Factor], min_tier| Policy {
			factors: FactorSet::of(factors),
			min_tier,
			critical: true,
			device_reduction: false,
			enrolled_only: false,
			session_blocks: 0,
		};
		let conditional = |factors: &[Factor]| Policy {
			factors: FactorSet::of(factors),
			min_tier: Tier::Standard,
			critical: false,
			device_reduction: true,
			enrolled_only: false,
			session_blocks: DEFAULT_SESSION_BLOCKS,
		};
		match self {
			Rule::AccountRecovery => critical(&[Veid, Fido2, OneTimeCode], Tier::Standard),
			Rule::KeyRotation => critical(&[Veid, Fido2], Tier::Standard),
			Rule::ProviderRegistration => critical(&[Veid, Fido2], Tier::Standard),
			Rule::ValidatorRegistration => critical(&[Veid, Fido2], Tier::Premium),
			Rule::LargeWithdrawal => critical(&[Veid, Fido2], Tier::Standard),
			Rule::GovernanceProposal => critical(&[Veid, Fido2], Tier::Standard),
			Rule::LargeOrder => conditional(&[Veid, Fido2]),
			Rule::FirstOrder => conditional(&[Veid]),
			Rule::FirstOffering => conditional(&[Veid, Fido2]),
			Rule::TransferToNewAddress => conditional(&[Fido2]),
			Rule::LargeTransfer => conditional(&[Veid, Fido2]),
			Rule::ContactChange => Policy { enrolled_only: true, ..conditional(&[OneTimeCode]) },
			Rule::SensitiveLogs => conditional(&[Veid]),
			Rule::FactorChange => Policy {
				enrolled_only: true,
				device_reduction: false,
				..critical(&[Fido2, Totp, OneTimeCode, TrustedDevice], Tier::Standard)
			},
			Rule::StaffAction => critical(&[Veid, Fido2], Tier::Standard),
		}
	}
}

/// Session timeout of non-critical authorizations by default: 15 minutes of 6-second blocks.
pub const DEFAULT_SESSION_BLOCKS: u32 = 150;

/// What a rule requires.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Policy {
	/// The factors.
	pub factors: FactorSet,
	/// The identity tier the VEID factor demands.
	pub min_tier: Tier,
	/// Critical: the authorization covers one exact call, once. Otherwise it opens a session
	/// for the action lasting `session_blocks`.
	pub critical: bool,
	/// Whether a trusted device may stand in for one required factor (never VEID).
	pub device_reduction: bool,
	/// Only the factors the account has enrolled are required (rules about changing factors:
	/// the first one needs no other).
	pub enrolled_only: bool,
	/// Session timeout of a non-critical authorization, in blocks.
	pub session_blocks: u32,
}

/// Value thresholds of the conditional rules, in the token's smallest unit.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Thresholds<Balance> {
	/// LargeWithdrawal above this (the seeds: 10,000 VE).
	pub large_withdrawal: Balance,
	/// LargeOrder above this (1,000 VE).
	pub large_order: Balance,
	/// LargeTransfer above this (5,000 VE).
	pub large_transfer: Balance,
}

/// The rules an action triggers. `new_recipient` tells whether a transfer's recipient is new to
/// the account.
pub fn triggered<AccountId, Balance: PartialOrd>(
	ctx: &Context<AccountId, Balance>,
	thresholds: &Thresholds<Balance>,
	new_recipient: bool,
	mut rule: impl FnMut(Rule),
) {
	match ctx.action {
		Action::AccountRecovery => rule(Rule::AccountRecovery),
		Action::KeyRotation => rule(Rule::KeyRotation),
		Action::ProviderRegistration => rule(Rule::ProviderRegistration),
		Action::ValidatorRegistration => rule(Rule::ValidatorRegistration),
		Action::Withdrawal => {
			if ctx.value > thresholds.large_withdrawal {
				rule(Rule::LargeWithdrawal)
			}
		},
		Action::GovernanceProposal => rule(Rule::GovernanceProposal),
		Action::OrderCreate => {
			if ctx.value > thresholds.large_order {
				rule(Rule::LargeOrder)
			}
			if ctx.first {
				rule(Rule::FirstOrder)
			}
		},
		Action::OfferingCreate => {
			if ctx.first {
				rule(Rule::FirstOffering)
			}
		},
		Action::TransferTokens => {
			if new_recipient {
				rule(Rule::TransferToNewAddress)
			}
			if ctx.value > thresholds.large_transfer {
				rule(Rule::LargeTransfer)
			}
		},
		Action::UpdateAccountSettings => {
			if ctx.sensitive_detail {
				rule(Rule::ContactChange)
			}
		},
		Action::SupportRequest => {
			if ctx.sensitive_detail {
				rule(Rule::SensitiveLogs)
			}
		},
		Action::FundsCommit => {
			if ctx.value > thresholds.large_order {
				rule(Rule::LargeOrder)
			}
		},
		// Tier 3: nothing by default; users may add requirements.
		Action::OfferingUpdate | Action::LeaseClose => {},
		Action::MfaSettings => rule(Rule::FactorChange),
		Action::StaffAction => rule(Rule::StaffAction),
	}
}

/// What a call requires: the union of the triggered rules (and the user's own requirements).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Requirement {
	/// The factors.
	pub factors: FactorSet,
	/// The identity tier the VEID factor demands.
	pub min_tier: Tier,
	/// Whether the authorization covers one exact call, once.
	pub critical: bool,
	/// Whether a trusted device may stand in for one factor.
	pub device_reduction: bool,
	/// Session timeout of a non-critical authorization.
	pub session_blocks: u32,
}

impl Requirement {
	/// Nothing required.
	pub const NONE: Requirement = Requirement {
		factors: FactorSet::EMPTY,
		min_tier: Tier::Rejected,
		critical: false,
		device_reduction: true,
		session_blocks: u32::MAX,
	};

	/// Adds a rule's policy: factors and tiers add up, the strictest session and device rule win.
	/// `enrolled` is the account's enrolled factors, for `enrolled_only` rules.
	pub fn add(&mut self, policy: &Policy, enrolled: FactorSet) {
		let factors = if policy.enrolled_only {
			policy.factors.intersection(enrolled)
		} else {
			policy.factors
		};
		if factors.is_empty() {
			return;
		}
		self.factors = self.factors.union(factors);
		if factors.has(Factor::Veid) {
			self.min_tier = self.min_tier.max(policy.min_tier);
		}
		self.critical |= policy.critical;
		self.device_reduction &= policy.device_reduction;
		self.session_blocks = self.session_blocks.min(policy.session_blocks);
	}

	/// Adds factors a user requires on top of the policies (they never relax anything).
	pub fn add_user(&mut self, factors: FactorSet) {
		if factors.has(Factor::Veid) {
			self.min_tier = self.min_tier.max(Tier::Standard);
		}
		self.factors = self.factors.union(factors);
		if self.session_blocks == u32::MAX {
			self.session_blocks = DEFAULT_SESSION_BLOCKS;
		}
	}

	/// Whether anything is required.
	pub fn is_empty(&self) -> bool {
		self.factors.is_empty()
	}

	/// Whether `proven` factors (VEID counted only if the tier was met) satisfy the requirement.
	/// A trusted device stands in for one missing factor other than VEID where allowed, unless
	/// the device is itself required (it cannot be both the required factor and the stand-in).
	pub fn satisfied_by(&self, proven: FactorSet) -> bool {
		let missing = FactorSet(self.factors.0 & !proven.0);
		if missing.is_empty() {
			return true;
		}
		self.device_reduction
			&& proven.has(Factor::TrustedDevice)
			&& !self.factors.has(Factor::TrustedDevice)
			&& !missing.has(Factor::Veid)
			&& missing.iter().count() == 1
	}
}
