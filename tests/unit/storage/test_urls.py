from quantbot.storage.urls import display_url, has_password


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql://bot:s3cr3t-pw@db:5432/quantbot")

    assert "s3cr3t-pw" not in shown
    assert shown == "postgresql://bot:***@db:5432/quantbot"


def test_display_url_keeps_a_url_without_password() -> None:
    assert (
        display_url("sqlite:///data/quantbot-paper.sqlite")
        == "sqlite:///data/quantbot-paper.sqlite"
    )


def test_display_url_masks_an_unparsable_url_with_a_password() -> None:
    shown = display_url("not a url but://bot:s3cr3t-pw@db/q")

    assert "s3cr3t-pw" not in shown


def test_has_password() -> None:
    assert has_password("postgresql://bot:pw@db/q")
    assert not has_password("postgresql://bot@db/q")
    assert not has_password("sqlite:///q.sqlite")
    assert not has_password("garbage")
