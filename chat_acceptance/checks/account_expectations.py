"""What the scenarios expect of accounts, sign-ins and balances: an account that signs in or does not, a sign-in
that names the user and role, balances that grew, did not or went down, and what a guarded action let through
must have done (world.access's GuardedAction.shows_effect). Each check fails with what the platform did."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chat_acceptance.attacks.forgery import claims_of
from chat_acceptance.checks import matchers
from chat_acceptance.checks.consequences import account_changes
from chat_acceptance.checks.matchers import require
from chat_acceptance.config.suite_config import Account
from chat_acceptance.transport.exchange import ApiResponse

if TYPE_CHECKING:  # checks judge what the world and its actors hold; those import checks, never the other way
    from chat_acceptance.actors.people import Person
    from chat_acceptance.world.scenario import World


def still_signs_in(world: World, account: Account) -> None:
    if not world.suite.platform.auth.signs_in(account.username, account.password):
        raise AssertionError(
            f"expected the account to still sign in with the password it was created with, but it cannot\n"
            f"account: {account.username!r}"
        )


def does_not_sign_in(world: World, account: Account) -> None:
    if world.suite.platform.auth.signs_in(account.username, account.password):
        raise AssertionError(f"expected the account not to exist, but it signs in\naccount: {account.username!r}")


def balance_grew_by(world: World, name: str, credits: int) -> None:
    grown = world.person(name).balance() - world.starting_balances[name]
    if grown != credits:
        raise AssertionError(f"expected {name}'s balance to grow by exactly {credits} credits, it grew by {grown}")


def balance_not_grown(world: World, name: str) -> None:
    now, before = world.person(name).balance(), world.starting_balances[name]
    if now > before:
        raise AssertionError(f"expected {name}'s balance not to grow, but it grew by {now - before:g}")


def balance_gone_down(world: World, name: str) -> None:
    person, before = world.person(name), world.starting_balances[name]
    now = person.balance_when(lambda balance: balance < before)
    if not now < before:
        raise AssertionError(f"expected {name}'s balance to go down after the reply, but it did not")


def shows_balance_of(answer: ApiResponse, person: Person) -> None:
    require(answer, matchers.has_status(200))
    shown, own = answer.field("totalCredits"), person.balance()
    if shown != own:
        raise AssertionError(f"expected the balance shown to be {person.name}'s own, but it is another")


def accounts_unchanged(world: World) -> None:
    """A refused request created or deleted no account: every new user of the scenario still signs in, and an
    account someone tried to create does not exist (balances are the consequence invariant's). Every
    difference is named."""
    changes = account_changes(world)
    if changes:
        raise AssertionError("Refused attempt changed what it protects: the refused request\n" + "; ".join(changes))


def is_signed_in_as(world: World, name: str, role: str) -> None:
    """The sign-in answer and its access token both name the account, with its `role` (the contract's word:
    enduser, supervisor, admin); the token is an access token that has not expired yet."""
    answer, account = world.the_answer(), world.suite.configured_account(name)
    if answer.status != 200:
        raise AssertionError(f"expected signing in as {account.username!r} to be accepted (200), got {answer.status}")
    user = answer.field("user") if isinstance(answer.field("user"), dict) else {}
    token, problems = answer.field("accessToken"), []
    if user.get("username") != account.username or user.get("role") != role:
        problems.append(f"the answer's user is {user.get('username')!r} with role {user.get('role')!r}")
    if not isinstance(answer.field("refreshToken"), str):
        problems.append("the answer carries no refreshToken")
    try:
        claims = claims_of(token) if isinstance(token, str) and token.count(".") == 2 else {}
    except ValueError:  # no JSON object of claims in it: every expected claim is named as missing below
        claims = {}
    expected = {"sub": str(user.get("id")), "username": account.username, "role": role, "type": "access"}
    wrong = {claim: claims.get(claim) for claim, value in expected.items() if str(claims.get(claim)) != value}
    if wrong:
        problems.append(f"the access token's claims {sorted(wrong)} read {wrong}")
    if not (
        isinstance(claims.get("exp"), int) and isinstance(claims.get("iat"), int) and claims["exp"] > claims["iat"]
    ):
        problems.append(f"the access token's iat/exp are {claims.get('iat')!r}/{claims.get('exp')!r}")
    if problems:
        raise AssertionError(f"expected {account.username!r} to be signed in as {role}, but " + "; ".join(problems))


def account_created(world: World) -> None:
    account = world.attempted_account
    if account is None or not world.suite.platform.auth.signs_in(account.username, account.password):
        shown = account.username if account is not None else "none was tried"
        raise AssertionError(f"expected the new account to sign in, but it cannot\naccount: {shown!r}")


def carol_gone(world: World) -> None:
    carol = world.accounts["Carol"]
    if world.suite.platform.auth.signs_in(carol.username, carol.password):
        raise AssertionError(
            "expected Carol to be unable to sign in once her account is deleted, but she still can\n"
            f"account: {world.accounts['Carol'].username!r}"
        )
    # Accounting too must no longer know her (it checks users with auth; a cache must not outlive a deletion).
    administrator, carol_id = world.person("the administrator"), world.person("Carol").user_id
    for what, answer in (
        ("credits for her", administrator.allocate(carol_id, 1)),
        ("her balance", administrator.balance_of(carol_id)),
    ):
        if answer.status != 404:
            raise AssertionError(
                f"expected accounting to answer 404 for {what} once her account is deleted, but {answer.request} "
                f"answered {answer.status}"
            )


def carol_richer_by(credits: int) -> Callable[[World], None]:
    def check(world: World) -> None:
        carol = world.person("Carol")
        grown = carol.balance_when(lambda now: now - world.starting_balances["Carol"] >= credits)
        if grown - world.starting_balances["Carol"] != credits:
            raise AssertionError(
                f"expected Carol's balance to grow by exactly {credits}, it went from "
                f"{world.starting_balances['Carol']} to {grown}"
            )

    return check


def shows_carol_balance(world: World) -> None:
    shown, own = world.the_answer().field("totalCredits"), world.person("Carol").balance()
    if shown != own:
        raise AssertionError(f"expected the balance shown to be Carol's own {own}, it is {shown!r}")
