//! The VEID pallet, read from a node, and its calls.

use frame_support::traits::Get;
pub use pallet_sudo;
pub use pallet_veid;
use sp_core::crypto::Ss58Codec;
pub use virtengine_runtime::{AccountId, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use virtengine_veid_primitives::ScopeKind;

use crate::{Client, Error};

/// A committee member as uploads are sealed to it.
pub type Member = pallet_veid::Member<AccountId>;
/// An account's identity record.
pub type Identity = pallet_veid::Identity<Runtime>;
/// A final result.
pub use pallet_veid::IdentityResult;
/// An open request.
pub type Request = pallet_veid::Request<Runtime>;

/// The largest envelope the runtime accepts, in bytes.
pub fn max_envelope_bytes() -> u32 {
	<Runtime as pallet_veid::Config>::MaxEnvelopeBytes::get()
}

/// Blocks a request may stay pending before it times out.
pub fn request_timeout() -> BlockNumber {
	<Runtime as pallet_veid::Config>::RequestTimeout::get()
}

/// An account's identity as a node reports it, with expiry applied at the best block.
#[derive(Clone, Debug)]
pub struct IdentityStatus {
	/// The stored record (`None`: never uploaded).
	pub identity: Option<Identity>,
	/// The status after lazy expiry at `at`.
	pub status: Option<pallet_veid::Status>,
	/// The last final result.
	pub result: Option<IdentityResult>,
	/// The open request, if any.
	pub request: Option<(u64, Request)>,
	/// Committee members of the open request that committed and that revealed, and its size.
	pub votes: (u32, u32, u32),
	/// The best block the state was read at.
	pub at: BlockNumber,
}

impl Client {
	/// Runs one of the runtime's view functions on the node (`state_call` of
	/// `RuntimeViewFunction_execute_view_function`) and decodes its output.
	fn view<T: codec::Decode>(
		&self,
		id: frame_support::view_functions::ViewFunctionId,
		input: Vec<u8>,
		what: &'static str,
	) -> Result<T, Error> {
		use codec::{Decode, Encode};
		let params = sp_core::bytes::to_hex(&(id, input).encode(), false);
		let reply = self.call(
			"state_call",
			serde_json::json!(["RuntimeViewFunction_execute_view_function", params]),
		)?;
		let raw = crate::hex_bytes(&reply, "state_call")?;
		let output =
			Result::<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError>::decode(
				&mut &raw[..],
			)
			.map_err(|source| Error::Decode { what, source })?
			.map_err(|e| Error::BadReply { method: what.into(), why: format!("{e:?}") })?;
		T::decode(&mut &output[..]).map_err(|source| Error::Decode { what, source })
	}

	/// The `Veid::identity_of` view function: status (expiry applied), tier, last result, as the
	/// runtime computes them.
	pub fn identity_of(
		&self,
		who: &AccountId,
	) -> Result<
		(Option<pallet_veid::Status>, Option<pallet_veid::Tier>, Option<IdentityResult>),
		Error,
	> {
		use codec::Encode;
		use frame_support::view_functions::ViewFunction;
		let id = pallet_veid::IdentityOfViewFunction::<Runtime>::id();
		self.view(id, who.encode(), "Veid::identity_of")
	}

	/// The `Veid::pending_requests` view function: open requests with ids in
	/// `from..from + limit` (at most 100), with their accounts and committees.
	pub fn pending_requests(
		&self,
		from: u64,
		limit: u32,
	) -> Result<Vec<(u64, AccountId, Vec<AccountId>)>, Error> {
		use codec::Encode;
		use frame_support::view_functions::ViewFunction;
		let id = pallet_veid::PendingRequestsViewFunction::<Runtime>::id();
		self.view(id, (from, limit).encode(), "Veid::pending_requests")
	}

	/// The identity committee uploads must be sealed to; an error if there is none.
	pub fn committee(&self) -> Result<Vec<Member>, Error> {
		let members = self
			.storage_value::<Vec<Member>>(
				&pallet_veid::Committee::<Runtime>::hashed_key(),
				"the identity committee",
			)?
			.unwrap_or_default();
		if members.is_empty() {
			return Err(Error::Key(
				"the chain has no identity committee yet: no collator has published a VEID \
				 committee key for this session (on a fresh dev chain, wait a few blocks)"
					.into(),
			));
		}
		Ok(members)
	}

	/// Whether a capture client with this id is approved.
	pub fn capture_client(&self, id: &[u8; 16]) -> Result<Option<pallet_veid::ClientKey>, Error> {
		self.storage_value(
			&pallet_veid::CaptureClients::<Runtime>::hashed_key_for(id),
			"a capture client",
		)
	}

	/// An account's identity, its last result and its open request with the votes so far.
	pub fn identity(&self, who: &AccountId) -> Result<IdentityStatus, Error> {
		let at = self.best_number()?;
		let identity: Option<Identity> = self.storage_value(
			&pallet_veid::Identities::<Runtime>::hashed_key_for(who),
			"an identity record",
		)?;
		let result = self.storage_value(
			&pallet_veid::Results::<Runtime>::hashed_key_for(who),
			"an identity result",
		)?;
		// The runtime applies lazy expiry; ask it rather than repeat the rule here.
		let (status, _, _) = self.identity_of(who)?;
		let mut request = None;
		let mut votes = (0, 0, 0);
		if let Some(id) = identity.as_ref().and_then(|i| i.request) {
			if let Some(r) = self.storage_value::<Request>(
				&pallet_veid::Requests::<Runtime>::hashed_key_for(id),
				"a request",
			)? {
				let committee: Vec<Member> = self
					.storage_value(
						&pallet_veid::RequestCommittee::<Runtime>::hashed_key_for(id),
						"a request's committee",
					)?
					.unwrap_or_default();
				votes.2 = committee.len() as u32;
				for m in &committee {
					if self
						.storage(&pallet_veid::Commits::<Runtime>::hashed_key_for(id, &m.account))?
						.is_some()
					{
						votes.0 += 1;
					}
					if self
						.storage(&pallet_veid::Reveals::<Runtime>::hashed_key_for(id, &m.account))?
						.is_some()
					{
						votes.1 += 1;
					}
				}
				request = Some((id, r));
			}
		}
		Ok(IdentityStatus { identity, status, result, request, votes, at })
	}
}

/// The arguments of an upload, signed.
#[derive(Clone, Debug)]
pub struct Upload {
	/// The capture client's id.
	pub client: [u8; 16],
	/// What the envelope contains.
	pub scopes: Vec<ScopeKind>,
	/// The commitments' salt.
	pub salt: [u8; 32],
	/// Salted name commitment.
	pub name_commitment: [u8; 32],
	/// Salted birth-date commitment.
	pub birth_date_commitment: [u8; 32],
	/// The SCALE-encoded envelope.
	pub envelope: Vec<u8>,
	/// The capture client's signature over the upload digest.
	pub client_signature: [u8; 64],
	/// The user's signature over the upload digest.
	pub user_signature: sp_runtime::MultiSignature,
}

/// The upload digest for `who` on the chain with genesis `genesis` (what both signatures cover;
/// the user signs it as [`user_message`]).
pub fn upload_digest(
	genesis: &[u8; 32],
	who: &AccountId,
	scopes: &[ScopeKind],
	salt: &[u8; 32],
	name_commitment: &[u8; 32],
	birth_date_commitment: &[u8; 32],
	envelope: &[u8],
) -> [u8; 32] {
	virtengine_veid_primitives::upload_digest(
		genesis,
		who,
		scopes,
		salt,
		name_commitment,
		birth_date_commitment,
		&<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(envelope).0,
	)
}

pub use virtengine_veid_primitives::user_message;

/// `Veid::upload_scopes(..)`.
pub fn upload_scopes(upload: Upload) -> Result<RuntimeCall, Error> {
	let scopes = upload
		.scopes
		.try_into()
		.map_err(|_| Error::Key("too many scope kinds for one upload".into()))?;
	Ok(RuntimeCall::Veid(pallet_veid::Call::upload_scopes {
		client: upload.client,
		scopes,
		salt: upload.salt,
		name_commitment: upload.name_commitment,
		birth_date_commitment: upload.birth_date_commitment,
		envelope: upload.envelope,
		client_signature: upload.client_signature,
		user_signature: upload.user_signature,
	}))
}

/// `Sudo::sudo(Veid::register_client(id, key))`: approves a capture client on a chain whose
/// admin origin is root (sudo on dev chains).
pub fn sudo_register_client(id: [u8; 16], key: pallet_veid::ClientKey) -> RuntimeCall {
	RuntimeCall::Sudo(pallet_sudo::Call::sudo {
		call: Box::new(RuntimeCall::Veid(pallet_veid::Call::register_client { id, key })),
	})
}

/// A capture client id from text: up to 16 bytes of text (zero-padded), or `0x` and 32 hex
/// characters.
pub fn parse_client_id(text: &str) -> Result<[u8; 16], String> {
	let mut id = [0u8; 16];
	if let Some(hex) = text.strip_prefix("0x") {
		let bytes = hex_bytes(hex).ok_or("a hex client id must be 32 hex characters")?;
		id.copy_from_slice(&bytes);
		return Ok(id);
	}
	if text.is_empty() || text.len() > 16 {
		return Err(format!(
			"client id `{text}`: 1 to 16 bytes of text, or 0x and 32 hex characters"
		));
	}
	id[..text.len()].copy_from_slice(text.as_bytes());
	Ok(id)
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
	if text.len() != 32 {
		return None;
	}
	(0..16).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect()
}

/// A client id for display: its text if printable, else hex.
pub fn client_id_text(id: &[u8; 16]) -> String {
	let trimmed: Vec<u8> = id.iter().copied().take_while(|b| *b != 0).collect();
	if !trimmed.is_empty()
		&& trimmed.iter().all(|b| b.is_ascii_graphic())
		&& id[trimmed.len()..].iter().all(|b| *b == 0)
	{
		String::from_utf8_lossy(&trimmed).into_owned()
	} else {
		format!("0x{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>())
	}
}

/// An amount of the native token for display: `0.430548 VE`.
pub fn format_ve(amount: u128) -> String {
	let unit = virtengine_runtime::VE;
	let fraction = format!("{:012}", amount % unit);
	let fraction = fraction.trim_end_matches('0');
	if fraction.is_empty() {
		format!("{} VE", amount / unit)
	} else {
		format!("{}.{fraction} VE", amount / unit)
	}
}

/// An account for display.
pub fn account_text(who: &AccountId) -> String {
	who.to_ss58check()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_and_client_ids_read_well() {
		assert_eq!(format_ve(430_548_000_000), "0.430548 VE");
		assert_eq!(format_ve(2 * virtengine_runtime::VE), "2 VE");
		let id = parse_client_id("capture-app").expect("id");
		assert_eq!(client_id_text(&id), "capture-app");
		assert_eq!(parse_client_id(&format!("0x{}", "ab".repeat(16))).map(|i| i[0]), Ok(0xab));
		assert!(parse_client_id("a-much-too-long-client-id").is_err());
		assert!(parse_client_id("0x12").is_err());
		assert!(client_id_text(&[0xff; 16]).starts_with("0x"));
	}
}
