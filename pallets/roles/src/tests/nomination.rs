//! The nomination table: who may grant and revoke which role; governance; the implicit Customer
//! role; renouncing.

use frame_support::{assert_noop, assert_ok};

use super::{as_root, FRESH};
use crate::{mock::*, Error, Role, Roles as RolesMap};

#[test]
fn the_nomination_table() {
	// (actor, roles it may grant and revoke)
	let table: [(u64, &[Role]); 7] = [
		(
			GENESIS,
			&[
				Role::Administrator,
				Role::Moderator,
				Role::Validator,
				Role::ServiceProvider,
				Role::SupportAgent,
			],
		),
		(ADMIN, &[Role::Moderator, Role::ServiceProvider, Role::SupportAgent]),
		(MODERATOR, &[]),
		(PROVIDER, &[]),
		(SUPPORT, &[]),
		(VALIDATOR, &[]),
		(CUSTOMER, &[]),
	];
	for (actor, allowed) in table {
		for role in Role::GRANTABLE {
			new_test_ext().execute_with(|| {
				let origin = RuntimeOrigin::signed(actor);
				if allowed.contains(&role) {
					assert_ok!(Roles::grant(origin.clone(), FRESH, role));
					assert!(Roles::has_role(&FRESH, role));
					assert_ok!(Roles::revoke(origin, FRESH, role));
					assert!(!Roles::has_role(&FRESH, role));
				} else {
					assert_noop!(
						Roles::grant(origin.clone(), FRESH, role),
						Error::<Test>::NotAuthorized
					);
					as_root(|o| Roles::grant(o, FRESH, role));
					assert_noop!(Roles::revoke(origin, FRESH, role), Error::<Test>::NotAuthorized);
				}
			});
		}
	}
}

#[test]
fn governance_grants_anything_and_customer_is_implicit() {
	new_test_ext().execute_with(|| {
		as_root(|o| Roles::grant(o, FRESH, Role::GenesisAccount));
		assert!(Roles::has_role(&FRESH, Role::GenesisAccount));
		assert!(Roles::has_role(&CUSTOMER, Role::Customer));
		assert!(Roles::has_role(&FRESH, Role::Customer));
		assert_noop!(
			Roles::grant(RuntimeOrigin::root(), FRESH, Role::Customer),
			Error::<Test>::ImplicitRole
		);
		assert_noop!(
			Roles::grant(RuntimeOrigin::root(), ADMIN, Role::Administrator),
			Error::<Test>::RoleAlreadyExists
		);
		assert_noop!(
			Roles::revoke(RuntimeOrigin::root(), CUSTOMER, Role::Moderator),
			Error::<Test>::RoleNotFound
		);
		assert_ok!(Roles::renounce(RuntimeOrigin::signed(ADMIN), Role::Administrator));
		assert!(!Roles::has_role(&ADMIN, Role::Administrator));
		assert_eq!(RolesMap::<Test>::get(GENESIS).rank(), 3);
	});
}
