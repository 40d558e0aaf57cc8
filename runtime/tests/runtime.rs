//! Runtime tests: the genesis presets, the native token's fees, and the call filter.

use frame_support::{
	dispatch::GetDispatchInfo,
	traits::{fungible::Inspect, Contains},
	weights::{constants::ExtrinsicBaseWeight, WeightToFee as _},
};
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, MultiAddress};
use virtengine_runtime::{
	configs::UserCallFilter, genesis_config_presets as presets, Balances, ParachainInfo, Runtime,
	RuntimeCall, RuntimeOrigin, WeightToFee, EXISTENTIAL_DEPOSIT, MICRO_VE, VE,
};

mod common;
use common::preset_state;

#[test]
fn presets_are_listed_and_unknown_ones_refused() {
	assert_eq!(presets::preset_names(), vec!["development".to_string(), "local_testnet".into()]);
	assert!(presets::get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn development_preset_has_one_collator_and_funded_dev_accounts() {
	preset_state("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(
			pallet_collator_selection::Invulnerables::<Runtime>::get().into_inner(),
			vec![alice.clone()]
		);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice));
		assert_eq!(u32::from(ParachainInfo::parachain_id()), presets::PARACHAIN_ID);
		for account in Sr25519Keyring::well_known() {
			assert_eq!(Balances::balance(&account.to_account_id()), presets::DEV_ENDOWMENT);
		}
		// Twelve dev accounts and the platform fee account's one VE.
		assert_eq!(Balances::total_issuance(), presets::DEV_ENDOWMENT * 12 + VE);
	});
}

#[test]
fn local_testnet_preset_has_three_collators_with_veid_keys() {
	preset_state("local_testnet").execute_with(|| {
		let keys = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie];
		let mut expected = keys.iter().map(|k| k.to_account_id()).collect::<Vec<_>>();
		// Collator selection keeps its invulnerables sorted.
		expected.sort();
		assert_eq!(
			pallet_collator_selection::Invulnerables::<Runtime>::get().into_inner(),
			expected
		);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		// Each is a member of the identity committee's session: MinCommittee (3) can be met.
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 3);
		assert_eq!(pallet_veid::Members::<Runtime>::get().len(), 3);
	});
}

#[test]
fn governance_sets_the_session_length_within_its_bound() {
	use frame_support::traits::{Get, UnfilteredDispatchable};
	use virtengine_runtime::configs::collation::{Period, MIN_SESSION_PERIOD, SESSION_PERIOD};
	preset_state("local_testnet").execute_with(|| {
		assert_eq!(Period::get(), SESSION_PERIOD);
		let set = |length: u32| {
			let items = vec![(
				sp_io::hashing::twox_128(b":SessionLength:").to_vec(),
				codec::Encode::encode(&length),
			)];
			frame_system::Call::<Runtime>::set_storage { items }
				.dispatch_bypass_filter(RuntimeOrigin::root())
				.expect("root sets storage");
		};
		set(528);
		assert_eq!(Period::get(), 528);
		// Below the bound, the bound: a request must be decided within two sessions.
		set(10);
		assert_eq!(Period::get(), MIN_SESSION_PERIOD);
		// Sessions end at multiples of the length.
		set(528);
		use pallet_session::ShouldEndSession;
		type Ends = <Runtime as pallet_session::Config>::ShouldEndSession;
		assert!(Ends::should_end_session(1056));
		assert!(!Ends::should_end_session(1057));
	});
}

#[test]
fn transfers_move_exact_amounts_and_respect_the_existential_deposit() {
	preset_state("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let fresh = Sr25519Keyring::Two.to_account_id();
		assert!(!Sr25519Keyring::well_known().any(|k| k.to_account_id() == fresh));
		// Below the existential deposit, a new account cannot be created.
		let too_small = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(fresh.clone()),
			value: EXISTENTIAL_DEPOSIT - 1,
		});
		assert!(too_small.dispatch(RuntimeOrigin::signed(alice.clone())).is_err());
		assert_eq!(Balances::balance(&fresh), 0);

		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(fresh.clone()),
			value: 5 * VE,
		});
		assert!(transfer.dispatch(RuntimeOrigin::signed(alice.clone())).is_ok());
		assert_eq!(Balances::balance(&fresh), 5 * VE);
		assert_eq!(Balances::balance(&alice), presets::DEV_ENDOWMENT - 5 * VE);
	});
}

#[test]
fn fees_are_linear_in_weight_and_a_base_extrinsic_costs_a_micro_ve() {
	let base = ExtrinsicBaseWeight::get();
	let fee = WeightToFee::weight_to_fee(&base);
	// Rounding may lose less than one unit per coefficient.
	assert!(fee.abs_diff(MICRO_VE) <= 1, "base extrinsic fee {fee}");
	// Linear up to the rounding of the coefficient's fractional part.
	assert!(WeightToFee::weight_to_fee(&(base * 10)).abs_diff(fee * 10) <= 10);
	assert!(WeightToFee::weight_to_fee(&(base * 2)) > fee);
}

#[test]
fn xcm_calls_are_closed_to_users_until_benchmarked() {
	let xcm_call = RuntimeCall::PolkadotXcm(pallet_xcm::Call::force_suspension { suspended: true });
	assert!(!UserCallFilter::contains(&xcm_call));
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: MultiAddress::Id(Sr25519Keyring::Bob.to_account_id()),
		value: VE,
	});
	assert!(UserCallFilter::contains(&transfer));
	assert!(transfer.get_dispatch_info().call_weight.ref_time() > 0);

	preset_state("development").execute_with(|| {
		let send = RuntimeCall::PolkadotXcm(pallet_xcm::Call::force_suspension { suspended: true });
		let signed =
			send.clone().dispatch(RuntimeOrigin::signed(Sr25519Keyring::Bob.to_account_id()));
		assert!(signed.is_err(), "a user may not dispatch pallet-xcm calls");
		assert!(send.dispatch(RuntimeOrigin::root()).is_ok(), "root still may");
	});
}

#[test]
fn envelope_keys_register_with_a_held_deposit() {
	use frame_support::traits::fungible::InspectHold;
	use sp_core::Pair as _;
	preset_state("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		// The X25519 form of an ed25519 key, which proves possession by signing the statement.
		let pair = sp_core::ed25519::Pair::from_seed(&[42; 32]);
		let public = virtengine_veid_primitives::x25519_of_ed25519(&pair.public().0)
			.expect("an ed25519 key has an X25519 form");
		let statement = pallet_encryption::possession::statement(&alice, &public);
		let proof = pallet_encryption::KeyProof {
			ed25519: pair.public().0,
			signature: pair.sign(&statement).0,
		};
		let register =
			RuntimeCall::Encryption(pallet_encryption::Call::register_key { public, proof });
		assert!(register.get_dispatch_info().call_weight.ref_time() > 0, "benchmarked weight");
		assert!(register.dispatch(RuntimeOrigin::signed(alice.clone())).is_ok());
		let deposit = virtengine_runtime::Encryption::key_deposit();
		assert!(deposit > 10 * virtengine_runtime::MILLI_VE && deposit < VE / 10, "{deposit}");
		let reason = virtengine_runtime::RuntimeHoldReason::Encryption(
			pallet_encryption::HoldReason::KeyDeposit,
		);
		assert_eq!(Balances::balance_on_hold(&reason, &alice), deposit);
		assert_eq!(
			virtengine_runtime::Encryption::active_key(&alice).map(|(_, p)| p),
			Some(public)
		);
	});
}

/// A committee member's key publication, as its offchain worker builds it (a general transaction
/// with the runtime's authorized-transaction extension), passes the transaction pool's
/// validation, is applied, and forms the committee; a forged one is invalid.
#[test]
fn an_authorized_committee_key_publication_is_valid_and_applies() {
	use codec::Encode;
	use frame_system::offchain::CreateAuthorizedTransaction;
	use sp_core::Pair;
	use sp_runtime::{
		traits::Hash as _,
		transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	};
	use virtengine_runtime::{Executive, UncheckedExtrinsic};

	let mut ext = preset_state("development");
	ext.execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(pallet_veid::Members::<Runtime>::get().len(), 1, "Alice's VEID key is a member");
		frame_system::Pallet::<Runtime>::set_block_number(1);
		let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
		// The committee key is the X25519 form of an ed25519 key, which proves possession.
		let committee = sp_core::ed25519::Pair::from_seed(&[7; 32]);
		let key = virtengine_veid_primitives::x25519_of_ed25519(&committee.public().0)
			.expect("an ed25519 key has an X25519 form");
		let proof = virtengine_veid_primitives::KeyProof {
			ed25519: committee.public().0,
			signature: committee
				.sign(&virtengine_veid_primitives::key_proof_payload(&genesis, 0, &alice, &key))
				.0,
		};
		let payload = virtengine_veid_primitives::key_payload(&genesis, 0, &alice, &key);
		let pair = sp_core::sr25519::Pair::from_string("//Alice", None).expect("alice");
		let sign = |p: &sp_core::sr25519::Pair| {
			virtengine_veid_primitives::MemberSignature::from(p.sign(&payload))
		};
		let xt = |signature| -> UncheckedExtrinsic {
			<Runtime as CreateAuthorizedTransaction<pallet_veid::Call<Runtime>>>::create_authorized_transaction(
				RuntimeCall::Veid(pallet_veid::Call::publish_committee_key {
					session: 0,
					member: alice.clone(),
					key,
					proof: proof.clone(),
					signature,
				}),
			)
		};
		let bob = sp_core::sr25519::Pair::from_string("//Bob", None).expect("bob");
		let forged = Executive::validate_transaction(
			TransactionSource::Local,
			xt(sign(&bob)),
			sp_runtime::traits::BlakeTwo256::hash(b"parent"),
		);
		assert_eq!(forged, Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)));
		let good = xt(sign(&pair));
		let valid = Executive::validate_transaction(
			TransactionSource::Local,
			good.clone(),
			sp_runtime::traits::BlakeTwo256::hash(b"parent"),
		)
		.expect("valid");
		assert!(!valid.provides.is_empty());
		assert!(!good.encode().is_empty());
		let applied = Executive::apply_extrinsic(good);
		assert!(matches!(applied, Ok(Ok(()))), "{applied:?}");
		assert_eq!(pallet_veid::Committee::<Runtime>::get().len(), 1);
	});
}

#[test]
fn development_preset_sets_up_roles_and_the_seeds_mfa_policies() {
	preset_state("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert!(pallet_roles::Pallet::<Runtime>::has_role(
			&alice,
			pallet_roles::Role::GenesisAccount
		));
		assert!(!pallet_roles::Pallet::<Runtime>::has_role(
			&bob,
			pallet_roles::Role::GenesisAccount
		));
		let rp = pallet_mfa::RelyingParty::<Runtime>::get().expect("relying party");
		assert_eq!(rp.id.as_slice(), presets::DEV_RP_ID.as_bytes());
		assert_eq!(rp.origin.as_slice(), presets::DEV_RP_ORIGIN.as_bytes());
		assert_eq!(
			pallet_mfa::ValueThresholds::<Runtime>::get(),
			Some(presets::seeds_thresholds())
		);
		assert_eq!(presets::seeds_thresholds().large_withdrawal, 10_000 * VE);
		for rule in pallet_mfa::Rule::ALL {
			assert_eq!(pallet_mfa::Policies::<Runtime>::get(rule), Some(rule.default_policy()));
		}
		let known = pallet_mfa::KnownRecipients::<Runtime>::get(&alice);
		assert!(known.contains(&bob) && !known.contains(&alice));
		assert!(pallet_mfa::Attesters::<Runtime>::contains_key(&alice));
	});
}

/// What `call` by Alice requires under the development preset: (factors, critical, single action).
fn requirement(
	call: &RuntimeCall,
) -> Result<(pallet_mfa::FactorSet, bool, bool), pallet_mfa::Unclassifiable> {
	let alice = Sr25519Keyring::Alice.to_account_id();
	pallet_mfa::Pallet::<Runtime>::requirement_of(&alice, call)
		.map(|c| (c.requirement.factors, c.requirement.critical, c.action.is_some()))
}

#[test]
fn the_runtime_classifies_its_sensitive_calls() {
	use pallet_mfa::{Factor::*, FactorSet};
	preset_state("development").execute_with(|| {
		let fresh = sp_runtime::AccountId32::new([0x77; 32]);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let transfer = |to: &sp_runtime::AccountId32, value| {
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: MultiAddress::Id(to.clone()),
				value,
			})
		};
		let none = Ok((FactorSet::EMPTY, false, true));
		// Known recipient, small amount: nothing. New address: FIDO2. Large: VEID + FIDO2.
		assert_eq!(requirement(&transfer(&bob, 10 * VE)), none);
		assert_eq!(
			requirement(&transfer(&fresh, 10 * VE)),
			Ok((FactorSet::of(&[Fido2]), false, true))
		);
		assert_eq!(
			requirement(&transfer(&bob, 5_001 * VE)),
			Ok((FactorSet::of(&[Veid, Fido2]), false, true))
		);
		let all = RuntimeCall::Balances(pallet_balances::Call::transfer_all {
			dest: MultiAddress::Id(bob.clone()),
			keep_alive: false,
		});
		assert_eq!(requirement(&all), Ok((FactorSet::of(&[Veid, Fido2]), false, true)));
		// Batches: every inner call counts; several actions make it a one-call authorization.
		let batch = |calls: Vec<RuntimeCall>| {
			RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
		};
		assert_eq!(
			requirement(&batch(vec![transfer(&bob, VE), transfer(&fresh, VE)])),
			Ok((FactorSet::of(&[Fido2]), false, false))
		);
		let mut nested = transfer(&fresh, VE);
		for _ in 0..4 {
			nested = batch(vec![nested]);
		}
		assert!(requirement(&nested).is_ok());
		assert_eq!(
			requirement(&batch(vec![nested])),
			Err(pallet_mfa::Unclassifiable),
			"five levels deep"
		);
		// Key rotation (session keys) and collator candidacy are critical.
		let set_keys = RuntimeCall::Session(pallet_session::Call::purge_keys {});
		assert_eq!(requirement(&set_keys), Ok((FactorSet::of(&[Veid, Fido2]), true, true)));
		let candidacy = RuntimeCall::CollatorSelection(
			pallet_collator_selection::Call::register_as_candidate {},
		);
		assert_eq!(requirement(&candidacy), Ok((FactorSet::of(&[Veid, Fido2]), true, true)));
		// A factor change hidden in a batch is still a factor change once a credential exists.
		let alice = Sr25519Keyring::Alice.to_account_id();
		pallet_mfa::Credentials::<Runtime>::insert(
			&alice,
			frame_support::BoundedVec::truncate_from(vec![pallet_mfa::Credential {
				id: frame_support::BoundedVec::truncate_from(vec![1]),
				public_key: [2; 33],
				counter: 0,
				require_uv: true,
			}]),
		);
		let remove = RuntimeCall::Mfa(pallet_mfa::Call::remove_credential {
			credential_id: frame_support::BoundedVec::truncate_from(vec![1]),
		});
		assert_eq!(requirement(&batch(vec![remove])), Ok((FactorSet::of(&[Fido2]), true, true)));
	});
}

#[test]
fn the_runtime_classifies_marketplace_calls() {
	use pallet_mfa::{Factor::*, FactorSet};
	preset_state("development").execute_with(|| {
		let rate = pallet_escrow::Rate { per_hour: VE, per_unit: Default::default() };
		let order = |funds| {
			RuntimeCall::Market(pallet_market::Call::create_order {
				target: pallet_market::Target::Requirements {
					category: pallet_market::Category::Compute,
					region: Default::default(),
					capabilities: 0,
				},
				config: None,
				max_price: rate.clone(),
				funds,
			})
		};
		// A first order needs VEID; above 1,000 VE, VEID + FIDO2.
		assert_eq!(requirement(&order(10 * VE)), Ok((FactorSet::of(&[Veid]), false, true)));
		assert_eq!(
			requirement(&order(1_001 * VE)),
			Ok((FactorSet::of(&[Veid, Fido2]), false, true))
		);
		// Not the first any more: a small order needs nothing.
		let alice = Sr25519Keyring::Alice.to_account_id();
		pallet_market::Counts::<Runtime>::insert(&alice, (1, 0));
		assert_eq!(requirement(&order(10 * VE)), Ok((FactorSet::EMPTY, false, true)));
		// Provider registration is critical: VEID + FIDO2.
		let register = RuntimeCall::Provider(pallet_provider::Call::register {
			attributes: pallet_provider::Attributes {
				region: Default::default(),
				cpu_models: Default::default(),
				gpu_models: Default::default(),
				capabilities: 0,
			},
			encryption_key: [1; 32],
			daemon_key: [2; 32],
		});
		assert_eq!(requirement(&register), Ok((FactorSet::of(&[Veid, Fido2]), true, true)));
		// A provider's first offering: VEID + FIDO2.
		let offering = RuntimeCall::Market(pallet_market::Call::create_offering {
			category: pallet_market::Category::Gpu,
			plans: Default::default(),
			required_tier: None,
			details: Default::default(),
		});
		assert_eq!(requirement(&offering), Ok((FactorSet::of(&[Veid, Fido2]), false, true)));
		// Withdrawing payouts above 10,000 VE is critical.
		pallet_escrow::Payouts::<Runtime>::insert(&alice, 10_001 * VE);
		let withdraw = RuntimeCall::Escrow(pallet_escrow::Call::withdraw {});
		assert_eq!(requirement(&withdraw), Ok((FactorSet::of(&[Veid, Fido2]), true, true)));
		// The platform fee account exists from genesis.
		let fee = virtengine_runtime::configs::market::fee_account();
		assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(&fee), VE);
	});
}

/// Hardware and air-gapped wallets (Ledger's generic app, Polkadot Vault) sign only for chains
/// whose transactions carry `CheckMetadataHash`: the metadata a wallet reads lists it as the last
/// extension a signer sets (`StorageWeightReclaim`, which wraps them all, adds a marker after it).
#[test]
fn metadata_lists_the_metadata_hash_check_last() {
	use codec::Decode;
	use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};

	// Some pallets' constants read storage, so the metadata is built inside externalities.
	let opaque = sp_io::TestExternalities::default()
		.execute_with(|| Runtime::metadata_at_version(15))
		.expect("the runtime serves metadata v15");
	let prefixed = RuntimeMetadataPrefixed::decode(&mut &opaque[..]).expect("metadata decodes");
	let extensions: Vec<String> = match prefixed.1 {
		RuntimeMetadata::V15(metadata) => {
			metadata.extrinsic.signed_extensions.into_iter().map(|e| e.identifier).collect()
		},
		_ => Vec::new(),
	};
	assert!(
		extensions.ends_with(&[
			"ChargeTransactionPayment".into(),
			"CheckMetadataHash".into(),
			"StorageWeightReclaim".into(),
		]),
		"the extensions of metadata v15: {extensions:?}"
	);
}

/// The wasm build embeds the metadata hash with the token's symbol and decimals; a build script
/// cannot cheaply use `virtengine_primitives`, so its literals are kept equal to `units` here.
#[test]
fn the_metadata_hash_is_built_with_ve_symbol_and_decimals() {
	let build = include_str!("../build.rs");
	let expected = format!(
		"enable_metadata_hash(\"{}\", {})",
		virtengine_primitives::units::SYMBOL,
		virtengine_primitives::units::DECIMALS
	);
	assert!(build.contains(&expected), "runtime/build.rs should call {expected}");
}

/// What polkadot.js apps and subxt users read beside each of VirtEngine's calls: the metadata's
/// docs. Every call says who may call it, what it emits and how it fails; every event, event
/// field and error is documented (pallets/README.md, "The shape of a pallet").
#[test]
fn our_calls_events_and_errors_are_documented_in_the_metadata() {
	use codec::Decode;
	use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
	use scale_info::{form::PortableForm, PortableRegistry, TypeDef, Variant};

	fn variants(types: &PortableRegistry, id: u32) -> Vec<Variant<PortableForm>> {
		match types.resolve(id).map(|t| &t.type_def) {
			Some(TypeDef::Variant(v)) => v.variants.clone(),
			other => panic!("type {id} is not an enum: {other:?}"),
		}
	}

	let opaque = sp_io::TestExternalities::default()
		.execute_with(|| Runtime::metadata_at_version(15))
		.expect("the runtime serves metadata v15");
	let RuntimeMetadata::V15(metadata) =
		RuntimeMetadataPrefixed::decode(&mut &opaque[..]).expect("metadata decodes").1
	else {
		panic!("metadata v15 asked, another version served");
	};
	let ours = ["Encryption", "Veid", "Roles", "Mfa", "Provider", "Escrow", "Market"];
	let mut missing = Vec::new();
	let mut counted = (0, 0, 0);
	for pallet in metadata.pallets.iter().filter(|p| ours.contains(&p.name.as_str())) {
		let calls = pallet.calls.as_ref().expect("each of our pallets has calls");
		for call in variants(&metadata.types, calls.ty.id) {
			counted.0 += 1;
			let docs = call.docs.join("\n");
			for part in ["Origin:", "Emits:", "Errors:"] {
				if !docs.contains(part) {
					missing.push(format!("{}.{}: no `{part}` in its docs", pallet.name, call.name));
				}
			}
		}
		let event = pallet.event.as_ref().expect("each of our pallets has events");
		for variant in variants(&metadata.types, event.ty.id) {
			counted.1 += 1;
			if variant.docs.is_empty() {
				missing.push(format!("{}::{} (event) has no docs", pallet.name, variant.name));
			}
			for field in variant.fields.iter().filter(|f| f.docs.is_empty()) {
				missing.push(format!(
					"{}::{}.{} (event field) has no docs",
					pallet.name,
					variant.name,
					field.name.as_deref().unwrap_or("?")
				));
			}
			if variant.fields.iter().any(|f| f.name.is_none()) {
				missing
					.push(format!("{}::{} (event) has unnamed fields", pallet.name, variant.name));
			}
		}
		let error = pallet.error.as_ref().expect("each of our pallets has errors");
		for variant in variants(&metadata.types, error.ty.id) {
			counted.2 += 1;
			if variant.docs.is_empty() {
				missing.push(format!("{}::{} (error) has no docs", pallet.name, variant.name));
			}
		}
	}
	assert!(missing.is_empty(), "undocumented in the metadata:\n{}", missing.join("\n"));
	// All seven pallets were found, with every call, event and error they have today (or more).
	assert!(counted.0 >= 71 && counted.1 >= 71 && counted.2 >= 158, "counted {counted:?}");
}
