//! `virtengine-provider`: see the library's documentation and docs/provider-daemon.md.

fn main() -> std::process::ExitCode {
	virtengine_provider::run::main()
}
