//! `EnsureRole`, the origin other pallets use.

use frame_support::{
	parameter_types,
	traits::{EnsureOrigin, Get},
};

use super::put_in;
use crate::{mock::*, AccountState, EnsureRole, Role};

parameter_types! {
	pub const AdministratorRole: Role = Role::Administrator;
	pub const ModeratorRole: Role = Role::Moderator;
	pub const ProviderRole: Role = Role::ServiceProvider;
}

fn passes<R: Get<Role>>(who: u64) -> bool {
	EnsureRole::<Test, R>::try_origin(RuntimeOrigin::signed(who)).is_ok()
}

#[test]
fn role_origins_for_other_pallets() {
	new_test_ext().execute_with(|| {
		assert!(passes::<AdministratorRole>(ADMIN));
		assert!(passes::<AdministratorRole>(GENESIS), "outranks");
		assert!(!passes::<AdministratorRole>(MODERATOR));
		assert!(passes::<ModeratorRole>(ADMIN), "outranks");
		assert!(passes::<ProviderRole>(PROVIDER));
		assert!(!passes::<ProviderRole>(GENESIS), "not a staff role: held or not");
		assert!(!passes::<ProviderRole>(CUSTOMER));
		assert!(EnsureRole::<Test, AdministratorRole>::try_origin(RuntimeOrigin::root()).is_err());
		put_in(ADMIN, AccountState::Suspended);
		assert!(!passes::<AdministratorRole>(ADMIN), "a suspended administrator");
	});
}
