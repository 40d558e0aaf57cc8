//! Files the CLI reads and writes: secrets are read only from files their owner alone can
//! access, and written that way; keys are never overwritten by accident.

use std::{
	fs,
	io::{Read, Write},
	path::Path,
};

use zeroize::Zeroizing;

use crate::Error;

/// Reads a file, `-` meaning standard input.
pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
	let io = |source| Error::File { path: path.to_path_buf(), source };
	if path == Path::new("-") {
		let mut buf = Vec::new();
		std::io::stdin().read_to_end(&mut buf).map_err(io)?;
		return Ok(buf);
	}
	fs::read(path).map_err(io)
}

/// Reads a file that holds a secret, after checking that only its owner can access it: a key
/// that others on the machine can read is a key they can copy.
pub fn read_secret(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
	check_private(path)?;
	Ok(Zeroizing::new(read(path)?))
}

/// Refuses a file that its group or others may access (Unix permissions).
pub fn check_private(path: &Path) -> Result<(), Error> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let meta = fs::metadata(path)
			.map_err(|source| Error::File { path: path.to_path_buf(), source })?;
		let mode = meta.permissions().mode() & 0o777;
		if mode & 0o077 != 0 {
			return Err(Error::NotPrivate { path: path.to_path_buf(), mode });
		}
	}
	#[cfg(not(unix))]
	let _ = path;
	Ok(())
}

/// Writes `bytes` to `path`, or to standard output if `path` is `None`. The file is written
/// beside its target and renamed, so a failure never leaves half a file; `private` files are
/// created readable by their owner only.
pub fn write(path: Option<&Path>, bytes: &[u8], private: bool) -> Result<(), Error> {
	let Some(path) = path else {
		return std::io::stdout()
			.write_all(bytes)
			.map_err(|source| Error::File { path: "<stdout>".into(), source });
	};
	let io = |source| Error::File { path: path.to_path_buf(), source };
	let tmp = path.with_extension("partial");
	let mut options = fs::OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	if private {
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(&tmp).map_err(io)?;
	file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)?;
	fs::rename(&tmp, path).map_err(io)
}

/// Writes a new key file (owner-only), refusing to replace an existing one unless `force`:
/// a replaced key is lost, and with it everything only it opens or signs.
pub fn write_key(path: &Path, bytes: &[u8], force: bool, what: &str) -> Result<(), Error> {
	if !force && path.exists() {
		return Err(Error::WouldOverwrite { path: path.to_path_buf(), what: what.to_string() });
	}
	write(Some(path), bytes, true)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn secrets_must_be_private_and_keys_are_not_overwritten() {
		let dir = tempfile::tempdir().expect("dir");
		let key = dir.path().join("k");
		write_key(&key, b"secret", false, "a test key").expect("new key");
		assert_eq!(&read_secret(&key).expect("private")[..], b"secret");
		let err = write_key(&key, b"other", false, "a test key").expect_err("exists").to_string();
		assert!(err.contains("--force") && err.contains("a test key"), "{err}");
		write_key(&key, b"other", true, "a test key").expect("forced");
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
			let err = read_secret(&key).expect_err("world-readable").to_string();
			assert!(err.contains("chmod 600") && err.contains(&key.display().to_string()), "{err}");
		}
	}
}
