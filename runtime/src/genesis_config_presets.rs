//! Genesis presets. The node builds its chain specs from these; it holds no genesis code itself.
//!
//! - `development`: one collator (Alice), the well-known dev accounts funded, Alice is sudo and the
//!   genesis account (roles), the pinned VEID model set active; MFA with the seeds' policies and
//!   thresholds, the relying party `localhost` (origin `http://localhost`), Alice an approved code
//!   issuer, and the dev accounts known to each other (so transfers among them need no MFA).
//! - `local_testnet`: three collators (Alice, Bob, Charlie), otherwise the same; for zombienet
//!   networks: the identity committee's minimum size (`MinCommittee`, 3), so that a request is
//!   decided by two of three members that scored it independently.

use alloc::{vec, vec::Vec};
use cumulus_primitives_core::ParaId;
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

use crate::{
	AccountId, AuraId, Balance, BalancesConfig, CollatorSelectionConfig, MfaConfig,
	ParachainInfoConfig, PolkadotXcmConfig, RolesConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, SudoConfig, VeidConfig, EXISTENTIAL_DEPOSIT, VE,
};
use virtengine_veid_primitives::{MemberId, PINNED_MODEL_SET};

/// The parachain id of the dev and local presets (a free id on rococo-local/westend-local).
pub const PARACHAIN_ID: u32 = 2000;

/// What each well-known dev account holds at genesis.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * VE;

/// The bond a collator candidate puts up.
pub const CANDIDACY_BOND: Balance = 16 * EXISTENTIAL_DEPOSIT;

/// The WebAuthn relying party of development chains: what a browser on the developer's machine
/// (or `virtengine mfa`'s software authenticator) uses.
pub const DEV_RP_ID: &str = "localhost";
/// The origin of development chains' WebAuthn assertions.
pub const DEV_RP_ORIGIN: &str = "http://localhost";

/// The seeds' value thresholds: large withdrawal 10,000 VE, large order 1,000 VE, large transfer
/// 5,000 VE.
pub fn seeds_thresholds() -> pallet_mfa::Thresholds<Balance> {
	pallet_mfa::Thresholds {
		large_withdrawal: 10_000 * VE,
		large_order: 1_000 * VE,
		large_transfer: 5_000 * VE,
	}
}

/// A dev collator's session keys: its aura and VEID keys are both its sr25519 dev key.
fn session_keys(key: Sr25519Keyring) -> SessionKeys {
	SessionKeys { aura: AuraId::from(key.public()), veid: MemberId::from(key.public()) }
}

fn testnet_genesis(
	collators: Vec<Sr25519Keyring>,
	endowed: Vec<AccountId>,
	root: AccountId,
	id: ParaId,
) -> Value {
	let known = endowed
		.iter()
		.map(|a| (a.clone(), endowed.iter().filter(|b| *b != a).cloned().collect::<Vec<_>>()))
		.collect::<Vec<_>>();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			// The platform fee account (the marketplace treasury: keyless, spent by governance with
			// `escrow.spend_fees`) holds a VE so that any fee, however small, can land.
			balances: endowed
				.iter()
				.cloned()
				.map(|a| (a, DEV_ENDOWMENT))
				.chain([(crate::configs::market::fee_account(), VE)])
				.collect::<Vec<_>>(),
		},
		parachain_info: ParachainInfoConfig { parachain_id: id },
		collator_selection: CollatorSelectionConfig {
			invulnerables: collators.iter().map(|k| k.to_account_id()).collect::<Vec<_>>(),
			candidacy_bond: CANDIDACY_BOND,
		},
		session: SessionConfig {
			keys: collators
				.iter()
				.map(|k| (k.to_account_id(), k.to_account_id(), session_keys(*k)))
				.collect::<Vec<_>>(),
		},
		polkadot_xcm: PolkadotXcmConfig { safe_xcm_version: Some(xcm::prelude::XCM_VERSION) },
		sudo: SudoConfig { key: Some(root.clone()) },
		veid: VeidConfig { model_set: Some(PINNED_MODEL_SET) },
		roles: RolesConfig { genesis_accounts: vec![root.clone()] },
		mfa: MfaConfig {
			relying_party: Some((DEV_RP_ID.as_bytes().to_vec(), DEV_RP_ORIGIN.as_bytes().to_vec())),
			thresholds: Some(seeds_thresholds()),
			attesters: vec![root],
			known_recipients: known,
		},
	})
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

fn development_genesis() -> Value {
	testnet_genesis(
		vec![Sr25519Keyring::Alice],
		well_known_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		PARACHAIN_ID.into(),
	)
}

fn local_testnet_genesis() -> Value {
	testnet_genesis(
		vec![Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie],
		well_known_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		PARACHAIN_ID.into(),
	)
}

/// The JSON patch of a preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		_ => return None,
	};
	// Serialising a `serde_json::Value` cannot fail.
	serde_json::to_vec(&patch).ok()
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
