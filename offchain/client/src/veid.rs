//! The VEID pallet, read from a node, and its calls.

use virtengine_veid_primitives::ScopeKind;

use crate::{
	runtime::{
		self,
		runtime_types::pallet_veid::{pallet::Call, types},
	},
	scale_convert, AccountId, AtBlock, Client, Error, RuntimeCall,
};

pub use types::{ClientKey, Identity, IdentityResult, Member, RejectReason, Request, Status};
/// A verification tier.
pub type Tier = runtime::runtime_types::virtengine_veid_primitives::Tier;

/// An account's identity as a node reports it, with expiry applied at the best block.
#[derive(Clone, Debug)]
pub struct IdentityStatus {
	/// The stored record (`None`: never uploaded).
	pub identity: Option<Identity>,
	/// The status after lazy expiry at `at`.
	pub status: Option<Status>,
	/// The last final result.
	pub result: Option<IdentityResult>,
	/// The open request, if any.
	pub request: Option<(u64, Request)>,
	/// Committee members of the open request that committed and that revealed, and its size.
	pub votes: (u32, u32, u32),
	/// The best block the state was read at.
	pub at: u32,
}

impl Client {
	/// The largest envelope the runtime accepts, in bytes.
	pub async fn max_envelope_bytes(&self) -> Result<u32, Error> {
		self.constant(runtime::constants().veid().max_envelope_bytes(), "Veid::MaxEnvelopeBytes")
			.await
	}

	/// Blocks a request may stay pending before it times out.
	pub async fn request_timeout(&self) -> Result<u32, Error> {
		self.constant(runtime::constants().veid().request_timeout(), "Veid::RequestTimeout").await
	}

	/// The `Veid::identity_of` view function: status (expiry applied), tier, last result, as the
	/// runtime computes them.
	pub async fn identity_of(
		&self,
		who: &AccountId,
	) -> Result<(Option<Status>, Option<Tier>, Option<IdentityResult>), Error> {
		let at = self.at_best().await?;
		self.view(&at, runtime::view_functions().veid().identity_of(*who), "Veid::identity_of")
			.await
	}

	/// The `Veid::pending_requests` view function: open requests with ids in
	/// `from..from + limit` (at most 100), with their accounts and committees.
	pub async fn pending_requests(
		&self,
		from: u64,
		limit: u32,
	) -> Result<Vec<(u64, AccountId, Vec<AccountId>)>, Error> {
		let at = self.at_best().await?;
		self.view(
			&at,
			runtime::view_functions().veid().pending_requests(from, limit),
			"Veid::pending_requests",
		)
		.await
	}

	/// Runs a view function at the best block through the runtime API
	/// `RuntimeViewFunction_execute_view_function(id, input: Vec<u8>)` over `state_call`.
	/// subxt 0.50.3 (frame-decode 0.18) passes the input without its length prefix, which the
	/// runtime cannot decode (it panics, and the request never completes), so the arguments
	/// subxt encodes are framed here as the runtime API takes them.
	async fn view<P, R>(&self, at: &AtBlock, payload: P, what: &'static str) -> Result<R, Error>
	where
		P: subxt::view_functions::Payload,
		R: codec::Decode,
	{
		/// `frame_support::view_functions::ViewFunctionDispatchError`.
		#[derive(codec::Decode)]
		enum DispatchError {
			NotImplemented,
			NotFound([u8; 32]),
			Codec,
		}
		let hash = at.block_hash();
		let args = at
			.view_functions()
			.encode_args(&payload)
			.map_err(|e| Error::Incompatible(format!("{what}: {e}")))?;
		let (id, input) = args.split_at(32.min(args.len()));
		let mut framed = id.to_vec();
		codec::Encode::encode_to(&input.to_vec(), &mut framed);
		let reply = self
			.rpc
			.state_call("RuntimeViewFunction_execute_view_function", Some(&framed), Some(hash))
			.await
			.map_err(|e| Error::Rpc { method: "state_call", why: format!("{what}: {e}") })?;
		let output = <Result<Vec<u8>, DispatchError> as codec::Decode>::decode(&mut &reply[..])
			.map_err(|e| Error::Decode(format!("{what}: {e}")))?
			.map_err(|e| {
				Error::Incompatible(match e {
					DispatchError::NotImplemented => {
						format!("{what}: the runtime has no view functions")
					},
					DispatchError::NotFound(id) => format!(
						"{what}: the node's runtime has no such view function (id 0x{})",
						hex::encode(id)
					),
					DispatchError::Codec => {
						format!("{what}: the runtime cannot decode the arguments")
					},
				})
			})?;
		<R as codec::DecodeAll>::decode_all(&mut &output[..])
			.map_err(|e| Error::Decode(format!("{what}: {e}")))
	}

	/// The identity committee uploads must be sealed to; an error if there is none.
	pub async fn committee(&self) -> Result<Vec<Member<AccountId>>, Error> {
		let members = self
			.fetch(runtime::storage().veid().committee(), (), "the identity committee")
			.await?
			.unwrap_or_default();
		if members.is_empty() {
			return Err(Error::Invalid(
				"the chain has no identity committee yet: no collator has published a VEID \
				 committee key for this session (on a fresh dev chain, wait a few blocks)"
					.into(),
			));
		}
		Ok(members)
	}

	/// Whether a capture client with this id is approved.
	pub async fn capture_client(&self, id: &[u8; 16]) -> Result<Option<ClientKey>, Error> {
		self.fetch(runtime::storage().veid().capture_clients(), (*id,), "a capture client").await
	}

	/// An account's identity, its last result and its open request with the votes so far.
	pub async fn identity(&self, who: &AccountId) -> Result<IdentityStatus, Error> {
		let storage = runtime::storage().veid();
		// Every value from one block: read across two, a decision landing in between showed a
		// decided status without its result (CI, stop 23).
		let block = self.at_best().await?;
		let at = u32::try_from(block.block_number())
			.map_err(|_| Error::Decode("a block number beyond u32".into()))?;
		let identity =
			Self::fetch_in(&block, storage.identities(), (who.clone(),), "an identity record")
				.await?;
		let result =
			Self::fetch_in(&block, storage.results(), (who.clone(),), "an identity result").await?;
		// The runtime applies lazy expiry; ask it rather than repeat the rule here.
		let (status, _, _): (Option<Status>, Option<Tier>, Option<IdentityResult>) = self
			.view(&block, runtime::view_functions().veid().identity_of(*who), "Veid::identity_of")
			.await?;
		let mut request = None;
		let mut votes = (0, 0, 0);
		if let Some(id) = identity.as_ref().and_then(|i: &Identity| i.request) {
			if let Some(r) = Self::fetch_in(&block, storage.requests(), (id,), "a request").await? {
				let committee = Self::fetch_in(
					&block,
					storage.request_committee(),
					(id,),
					"a request's committee",
				)
				.await?
				.unwrap_or_default();
				votes.2 = committee.len() as u32;
				for m in &committee {
					let key = (id, m.account.clone());
					if Self::fetch_in(&block, storage.commits(), key.clone(), "a commit")
						.await?
						.is_some()
					{
						votes.0 += 1;
					}
					if Self::fetch_in(&block, storage.reveals(), key, "a reveal").await?.is_some() {
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
	pub user_signature: [u8; 64],
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
		&virtengine_mfa_primitives::blake2_256(envelope),
	)
}

pub use virtengine_veid_primitives::user_message;

/// `Veid::upload_scopes(..)`.
pub fn upload_scopes(upload: Upload) -> Result<RuntimeCall, Error> {
	let scopes = upload.scopes.iter().map(scale_convert).collect::<Result<Vec<_>, _>>()?;
	Ok(RuntimeCall::Veid(Call::upload_scopes {
		client: upload.client,
		scopes,
		salt: upload.salt,
		name_commitment: upload.name_commitment,
		birth_date_commitment: upload.birth_date_commitment,
		envelope: upload.envelope,
		client_signature: upload.client_signature,
		user_signature: runtime::runtime_types::sp_runtime::MultiSignature::Sr25519(
			upload.user_signature,
		),
	}))
}

/// `Sudo::sudo(Veid::register_client(id, key))`: approves a capture client on a chain whose
/// admin origin is root (sudo on dev chains).
pub fn sudo_register_client(id: [u8; 16], key: ClientKey) -> RuntimeCall {
	crate::sudo(RuntimeCall::Veid(Call::register_client { id, key }))
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

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;

	#[test]
	fn client_ids_read_well() {
		let id = parse_client_id("capture-app").expect("id");
		assert_eq!(client_id_text(&id), "capture-app");
		assert_eq!(parse_client_id(&format!("0x{}", "ab".repeat(16))).map(|i| i[0]), Ok(0xab));
		assert!(parse_client_id("a-much-too-long-client-id").is_err());
		assert!(parse_client_id("0x12").is_err());
		assert!(client_id_text(&[0xff; 16]).starts_with("0x"));
	}

	#[test]
	fn scope_kinds_convert_to_the_bindings() {
		for kind in [ScopeKind::Document, ScopeKind::Selfie, ScopeKind::Domain] {
			let bound: runtime::runtime_types::virtengine_veid_primitives::ScopeKind =
				scale_convert(&kind).expect("same shape");
			assert_eq!(bound.encode(), kind.encode());
		}
	}
}
