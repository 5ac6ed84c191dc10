"""chat_acceptance.world.leftovers: what the run created is crossed out when removed, swept at the end, and what
could not be removed is listed with the reason."""

from chat_acceptance.world.leftovers import Leftovers


def test_what_was_removed_is_crossed_out_and_the_rest_is_swept_at_the_end():
    leftovers = Leftovers("chat-acceptance-abc123")
    removed = []
    first = leftovers.enter("delete conversation c1", lambda: removed.append("c1"))
    leftovers.enter("delete user u1", lambda: removed.append("u1"))  # its scenario was interrupted first
    first()
    assert leftovers.remaining == ["delete user u1"]
    leftovers.sweep()
    assert removed == ["c1", "u1"] and leftovers.remaining == []
    assert (
        leftovers.summary()
        == "clean-up: everything this run created is named with 'chat-acceptance-abc123'; all of it was removed"
    )


def test_what_could_not_be_removed_is_listed_with_why_and_the_credits_granted():
    leftovers = Leftovers("run-1")

    def refuse():
        raise AssertionError("chat service at http://x is unavailable: connection refused")

    clean_up = leftovers.enter("delete conversation c1", refuse)
    try:
        clean_up()
    except AssertionError as problem:
        leftovers.could_not_remove("delete conversation c1", str(problem))
    leftovers.sweep()  # tried once more, refused again
    summary = leftovers.summary("5000 credits granted to Alice")
    assert "could not be removed (1):" in summary
    assert "delete conversation c1: chat service at http://x is unavailable: connection refused" in summary
    assert "left on purpose: 5000 credits granted to Alice (the contract has no route to take credits back)" in summary


def test_a_removal_answered_with_an_error_is_not_taken_for_done():
    from types import SimpleNamespace

    leftovers = Leftovers("run-1")
    gone = leftovers.enter("delete conversation c1", lambda: SimpleNamespace(status=404, request="DELETE /x"))
    refused = leftovers.enter(
        "delete user u1", lambda: SimpleNamespace(status=403, request="DELETE /api/admin/users/{userId}")
    )
    gone()
    try:
        refused()
    except AssertionError as problem:
        leftovers.could_not_remove("delete user u1", str(problem))
    assert leftovers.remaining == ["delete user u1"]
    assert (
        "delete user u1: expected the clean-up to remove what the run created,"
        " but DELETE /api/admin/users/{userId} answered 403" in leftovers.summary()
    )
