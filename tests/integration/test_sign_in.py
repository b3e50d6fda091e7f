"""Signing in, lock-out, sessions, CSRF, bearer tokens, deactivation, forced password change."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount
from tests.factories import PASSWORD, Browser, Factory, api_client, login_csrf, submit_login
from tests.snapshots import rows_of

from tandem.auth import service as auth
from tandem.auth.service import revoke_token
from tandem.clock import FrozenClock
from tandem.deps import SESSION_COOKIE
from tandem.errors import NotAuthenticated
from tandem.people.models import User
from tandem.runtime import Runtime

FAILED = "Username or password is not correct."


def session_cookie_header(response: httpx.Response) -> str:
    [header] = [
        h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")
    ]
    return header


async def signed_in(client: httpx.AsyncClient) -> bool:
    """Whether the client's cookie still opens a page (signed-out users go to /login)."""
    response = await client.get("/account/password")
    return response.status_code == 200


async def stored_patient(factory: Factory, created: httpx.Response) -> tuple[str, str, str]:
    """Names and birth date of the patient row a registration stored."""
    assert created.status_code == 201, created.text
    [row] = rows_of(await factory.patient_record(uuid.UUID(created.json()["id"])), "patient")
    return row["given_name"], row["family_name"], row["birth_date"].isoformat()


async def sessions_of(factory: Factory, user: User) -> list[dict[str, Any]]:
    return rows_of(await factory.account_record(user), "user_session")


@pytest.fixture
async def anonymous(app: FastAPI) -> Any:
    async with api_client(app) as client:
        yield client


# -- the sign-in form -------------------------------------------------------------------------


async def test_the_right_password_signs_in_with_a_safe_cookie(
    anonymous: httpx.AsyncClient, care_manager: User
) -> None:
    response = await submit_login(anonymous, care_manager.username)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie
    assert await signed_in(anonymous)


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://tandem.example.org"}])
async def test_cookies_are_secure_when_the_public_url_is_https(
    app: FastAPI, care_manager: User
) -> None:
    async with api_client(app, base_url="https://testserver") as client:
        form = await client.get("/login")
        assert all("; secure" in h.lower() for h in form.headers.get_list("set-cookie"))
        response = await submit_login(client, care_manager.username)
        assert response.status_code == 303
        assert "; secure" in session_cookie_header(response).lower()
        assert await signed_in(client)


@pytest.mark.parametrize("username_case", [str.upper, str.title])
async def test_the_username_is_not_case_sensitive(
    anonymous: httpx.AsyncClient, care_manager: User, username_case: Any
) -> None:
    response = await submit_login(anonymous, username_case(care_manager.username))
    assert response.status_code == 303


@pytest.mark.parametrize("who", ["wrong-password", "unknown-user", "inactive-user"])
async def test_a_failed_sign_in_says_the_same_thing_and_sets_no_cookie(
    factory: Factory,
    anonymous: httpx.AsyncClient,
    care_manager: User,
    clock: FrozenClock,
    who: str,
) -> None:
    if who == "wrong-password":
        before = await factory.account_record(care_manager)
        response = await submit_login(anonymous, care_manager.username, "not-the-password")
        after = await factory.account_record(care_manager)
        # The failure is counted on the account, and that is all that changed.
        [was], [now] = rows_of(before, "app_user"), rows_of(after, "app_user")
        changed = {column: now[column] for column in now if now[column] != was[column]}
        assert changed == {"failed_logins": 1, "last_failed_login_at": clock.now()}
        assert {k: v for k, v in after.items() if k != "app_user"} == {
            k: v for k, v in before.items() if k != "app_user"
        }
    elif who == "unknown-user":
        async with factory.account_unchanged(care_manager):
            response = await submit_login(anonymous, "nobody-here", PASSWORD)
    else:
        gone = await factory.user(active=False)
        async with factory.account_unchanged(gone):
            response = await submit_login(anonymous, gone.username, PASSWORD)
    assert response.status_code == 401
    assert FAILED in response.text
    assert SESSION_COOKIE not in anonymous.cookies
    assert not await signed_in(anonymous)


@pytest.mark.parametrize(
    ("who", "result"),
    [
        ("wrong-password", "wrong password"),
        ("unknown-user", "unknown user"),
        ("inactive-user", "deactivated"),
        ("locked-user", "account locked"),
    ],
)
async def test_every_failed_sign_in_is_audited_with_its_reason(
    factory: Factory, app: FastAPI, anonymous: httpx.AsyncClient, who: str, result: str
) -> None:
    username = await _failing(factory, app, who)
    before = await factory.last_audit_id()
    await submit_login(anonymous, username, PASSWORD if who != "wrong-password" else "nope-nope")
    [event] = await factory.audit_events(after=before)
    assert (event.record_type, event.action, event.outcome, event.username, event.detail) == (
        "SignIn",
        "E",
        4,
        username,
        json.dumps({"result": result}),
    )


async def test_a_successful_sign_in_is_audited_as_the_user(
    factory: Factory, anonymous: httpx.AsyncClient, care_manager: User
) -> None:
    before = await factory.last_audit_id()
    await submit_login(anonymous, care_manager.username)
    [event] = await factory.audit_events(after=before)
    assert (event.record_type, event.outcome, event.user_id) == ("SignIn", 0, care_manager.id)


async def test_the_sign_in_form_needs_its_own_csrf_token(
    factory: Factory, anonymous: httpx.AsyncClient, care_manager: User
) -> None:
    await anonymous.get("/login")
    async with factory.account_unchanged(care_manager):
        response = await anonymous.post(
            "/login",
            data={"username": care_manager.username, "password": PASSWORD, "login_csrf": "forged"},
        )
        assert response.status_code == 403
    assert SESSION_COOKIE not in anonymous.cookies


async def test_an_empty_form_asks_for_username_and_password(anonymous: httpx.AsyncClient) -> None:
    response = await submit_login(anonymous, "", "")
    assert response.status_code == 422
    assert "Enter your username and password." in response.text


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/account/password", "/account/password"),
        ("//evil.example/phish", "/"),
        ("https://evil.example/", "/"),
        ("account", "/"),
    ],
)
async def test_after_sign_in_only_same_site_next_pages_are_followed(
    anonymous: httpx.AsyncClient, care_manager: User, next_url: str, location: str
) -> None:
    response = await submit_login(anonymous, care_manager.username, next=next_url)
    assert response.headers["location"] == location


async def test_signed_out_visitors_are_sent_to_sign_in_and_api_callers_get_401(
    anonymous: httpx.AsyncClient,
) -> None:
    page = await anonymous.get("/account/password")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/account/password"
    api = await anonymous.get("/api/v1/me")
    assert api.status_code == 401
    assert api.headers["www-authenticate"] == "Bearer"


# -- slow-down and lock-out -------------------------------------------------------------------


async def _lock(app: FastAPI, username: str) -> None:
    async with api_client(app) as client:
        for _ in range(5):  # login_lockout_after in the test settings
            assert (await submit_login(client, username, "guess-guess-guess")).status_code == 401


async def _failing(factory: Factory, app: FastAPI, who: str) -> str:
    """A username whose sign-in with the test password fails for the reason ``who``."""
    if who == "unknown-user":
        return "nobody-here"
    user = await factory.user(active=who != "inactive-user")
    if who == "locked-user":
        await _lock(app, user.username)
    return user.username


_LOGIN_TOKEN = re.compile(r'name="login_csrf" value="[^"]+"')


def _as_anyone_sees_it(response: httpx.Response, username: str) -> tuple[int, str, list[str]]:
    """Status, body and cookies, with what the caller sent or was given at random (their own
    username echoed in the form, the fresh form token) blanked out."""
    body = _LOGIN_TOKEN.sub('name="login_csrf" value=""', response.text)
    cookies = [re.sub(r"=[^;]*", "=", h, count=1) for h in response.headers.get_list("set-cookie")]
    return response.status_code, body.replace(username, "USERNAME"), cookies


@pytest.mark.parametrize(
    ("who", "password"),
    [
        ("locked-user", "guess-guess-guess"),
        ("locked-user", PASSWORD),
        ("wrong-password", "guess-guess-guess"),
        ("inactive-user", PASSWORD),
    ],
)
async def test_a_locked_deactivated_or_mistyped_account_answers_exactly_as_an_unknown_one(
    factory: Factory, app: FastAPI, who: str, password: str
) -> None:
    username = await _failing(factory, app, who)
    async with api_client(app) as client:
        known = await submit_login(client, username, password)
    async with api_client(app) as client:
        unknown = await submit_login(client, "nobody-here", password)
    assert _as_anyone_sees_it(known, username) == _as_anyone_sees_it(unknown, "nobody-here")
    assert known.status_code == 401


async def test_the_sign_in_error_is_the_same_for_a_locked_and_an_unknown_account(
    factory: Factory, app: FastAPI, runtime: Runtime
) -> None:
    """What a JSON rendering of the refusal would carry (``detail``), not only the page."""
    locked = await _failing(factory, app, "locked-user")

    async def refusal(username: str) -> tuple[int, dict[str, Any]]:
        async with factory.sessionmaker() as session:
            with pytest.raises(NotAuthenticated) as caught:
                await auth.sign_in(
                    session,
                    username=username,
                    password=PASSWORD,
                    clock=runtime.clock,
                    lockout=runtime.lockout,
                    session_policy=runtime.session_policy,
                    source_address=None,
                    user_agent=None,
                )
            await session.commit()
        return caught.value.status, caught.value.to_dict()

    assert await refusal(locked) == await refusal("nobody-here")
    status, detail = await refusal("nobody-here")
    assert status == 401
    assert detail["message"] == (
        "Username or password is not correct. "
        "After 5 failed attempts an account is locked for 15 minutes."
    )


async def test_a_locked_and_an_unknown_account_take_the_same_work_to_refuse(
    factory: Factory, app: FastAPI, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same SQL statements and one argon2 verification each: nothing for a stopwatch."""
    locked = await _failing(factory, app, "locked-user")
    verified: list[bool] = []
    real_verify = auth.verify_password

    def recording_verify(password_hash: str | None, password: str) -> bool:
        verified.append(password_hash is not None)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", recording_verify)

    async def statements_of_refusing(username: str) -> list[str]:
        seen: list[str] = []

        def record(*args: Any) -> None:
            seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", args[2]))

        async with api_client(app) as client:
            token = await login_csrf(client)
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                response = await client.post(
                    "/login",
                    data={"username": username, "password": "guess-guess", "login_csrf": token},
                )
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
        assert response.status_code == 401
        return seen

    locked_statements = await statements_of_refusing(locked)
    unknown_statements = await statements_of_refusing("nobody-here")
    assert locked_statements == unknown_statements
    assert verified == [True, False]  # the account's own hash, then the dummy one


async def test_repeated_failures_lock_the_account_even_against_the_right_password(
    factory: Factory,
    anonymous: httpx.AsyncClient,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    for _ in range(5):  # login_lockout_after in the test settings
        response = await submit_login(anonymous, care_manager.username, "guess-guess-guess")
        assert response.status_code == 401
    async with factory.account_unchanged(care_manager):
        locked = await submit_login(anonymous, care_manager.username, PASSWORD)
        assert locked.status_code == 401
    assert FAILED in locked.text
    assert SESSION_COOKIE not in anonymous.cookies

    clock.advance(minutes=14, seconds=59)
    assert (await submit_login(anonymous, care_manager.username, PASSWORD)).status_code == 401
    clock.advance(seconds=2)
    assert (await submit_login(anonymous, care_manager.username, PASSWORD)).status_code == 303
    user = await factory.reload(User, care_manager.id)
    assert (user.failed_logins, user.locked_until) == (0, None)
    [session] = await sessions_of(factory, care_manager)
    assert (session["created_at"], session["revoked_at"]) == (clock.now(), None)


async def test_a_success_before_the_limit_resets_the_count(
    factory: Factory, app: FastAPI, care_manager: User
) -> None:
    for _ in range(2):
        async with api_client(app) as client:
            for _ in range(4):
                await submit_login(client, care_manager.username, "guess-guess-guess")
            assert (await submit_login(client, care_manager.username)).status_code == 303
    user = await factory.reload(User, care_manager.id)
    assert user.failed_logins == 0


@pytest.mark.parametrize("settings_overrides", [{"login_slowdown_after": 2}])
async def test_failed_sign_ins_are_slowed_down_doubling_from_the_threshold(
    anonymous: httpx.AsyncClient, care_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        if delay > 0:
            waits.append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    for _ in range(4):
        await submit_login(anonymous, care_manager.username, "guess-guess-guess")
    assert waits == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("settings_overrides", [{"login_slowdown_after": 2}])
async def test_an_unknown_username_is_slowed_down_on_the_same_schedule_as_a_known_one(
    anonymous: httpx.AsyncClient,
    care_manager: User,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: dict[str, list[float]] = {}
    username = ""
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        if delay > 0:
            waits.setdefault(username, []).append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    # Past the lock-out too (5 in the test settings): a locked account keeps the schedule.
    for username in [care_manager.username, "nobody-here"]:
        for _ in range(7):
            await submit_login(anonymous, username, "guess-guess-guess")
    assert waits[care_manager.username] == waits["nobody-here"] == [1, 2, 4, 8, 8, 8]

    # A quiet spell as long as a lock forgets the burst, for either name.
    clock.advance(minutes=15, seconds=1)
    waits.clear()
    for username in [care_manager.username, "nobody-here"]:
        for _ in range(3):
            await submit_login(anonymous, username, "guess-guess-guess")
    assert waits[care_manager.username] == waits["nobody-here"] == [1, 2]


# -- sessions ---------------------------------------------------------------------------------


async def test_an_idle_session_expires(
    browser_for: Any, care_manager: User, clock: FrozenClock
) -> None:
    browser: Browser = await browser_for(care_manager)
    clock.advance(minutes=20)
    assert await signed_in(browser.client)  # activity keeps it alive …
    clock.advance(minutes=30)
    assert await signed_in(browser.client)
    clock.advance(minutes=30, seconds=1)  # … idleness ends it
    assert not await signed_in(browser.client)


@pytest.mark.parametrize("settings_overrides", [{"session_idle_minutes": 10_000}])
async def test_a_session_ends_after_its_maximum_age_however_active(
    browser_for: Any, care_manager: User, clock: FrozenClock
) -> None:
    browser: Browser = await browser_for(care_manager)
    clock.advance(hours=12)
    assert await signed_in(browser.client)
    clock.advance(seconds=1)
    assert not await signed_in(browser.client)


async def test_signing_out_revokes_the_session(
    app: FastAPI, factory: Factory, browser_for: Any, care_manager: User
) -> None:
    browser: Browser = await browser_for(care_manager)
    stolen = browser.cookie
    response = await browser.client.post("/logout", data={"csrf_token": browser.csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert [s["revoked_at"] is not None for s in await sessions_of(factory, care_manager)] == [True]
    async with api_client(app, cookies={SESSION_COOKIE: stolen}) as replay:
        assert not await signed_in(replay)
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_a_signed_in_visitor_to_the_sign_in_page_is_sent_on(
    browser_for: Any, care_manager: User
) -> None:
    browser: Browser = await browser_for(care_manager)
    response = await browser.client.get("/login", params={"next": "/account/password"})
    assert (response.status_code, response.headers["location"]) == (303, "/account/password")


# -- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
async def test_a_cookie_authenticated_post_without_the_csrf_token_is_403(
    factory: Factory, browser_for: Any, care_manager: User, token: str | None
) -> None:
    browser: Browser = await browser_for(care_manager)
    form = {} if token is None else {"csrf_token": token}
    async with factory.account_unchanged(care_manager):
        assert (await browser.client.post("/logout", data=form)).status_code == 403
    headers = {} if token is None else {"X-CSRF-Token": token}
    async with factory.unchanged():
        api = await browser.client.post("/api/v1/patients", json=PATIENT, headers=headers)
        assert api.status_code == 403
    assert api.json()["detail"]["code"] == "csrf_failed"
    assert await signed_in(browser.client)


async def test_a_cookie_authenticated_api_call_with_the_csrf_header_works(
    factory: Factory, browser_for: Any, care_manager: User
) -> None:
    browser: Browser = await browser_for(care_manager)
    assert (await browser.client.get("/api/v1/me")).status_code == 200
    created = await browser.client.post(
        "/api/v1/patients", json=PATIENT, headers={"X-CSRF-Token": browser.csrf}
    )
    assert await stored_patient(factory, created) == ("A", "B", "1990-01-01")


async def test_bearer_tokens_need_no_csrf_token(
    factory: Factory, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    created = await client.post("/api/v1/patients", json=PATIENT)
    assert await stored_patient(factory, created) == ("A", "B", "1990-01-01")


# -- bearer tokens ---------------------------------------------------------------------------------


async def test_a_valid_bearer_token_identifies_the_user(
    care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"]) == (care_manager.username, "care_manager")


@pytest.mark.parametrize("how", ["full-token", "prefix"])
async def test_a_revoked_token_is_refused(
    app: FastAPI,
    factory: Factory,
    care_manager: User,
    clock: FrozenClock,
    how: str,
) -> None:
    token = await factory.token(care_manager)
    async with api_client(app, token) as client:
        assert (await client.get("/api/v1/me")).status_code == 200
        async with factory.system_session() as session:
            key = token if how == "full-token" else token[:12]
            assert await revoke_token(session, token_or_prefix=key, now=clock.now()) == 1
            await session.commit()
        response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_expired_token_is_refused(
    app: FastAPI, factory: Factory, care_manager: User, clock: FrozenClock
) -> None:
    token = await factory.token(care_manager, days=90)
    async with api_client(app, token) as client:
        clock.advance(days=89, hours=23)
        assert (await client.get("/api/v1/me")).status_code == 200
        clock.advance(hours=1)
        assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize("header", ["Bearer tdm_made-up", "Bearer ", "Bearer " + "x" * 5000])
async def test_an_unknown_token_is_refused(app: FastAPI, header: str) -> None:
    async with api_client(app) as client:
        response = await client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401


async def test_a_bearer_token_does_not_open_html_pages(care_manager: User, client_for: Any) -> None:
    client = await client_for(care_manager)
    response = await client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# -- deactivation and forced password change ----------------------------------------------------


async def test_a_deactivated_users_sessions_and_tokens_stop_working(
    app: FastAPI,
    factory: Factory,
    care_manager: User,
    admin: User,
    browser_for: Any,
    client_for: Any,
) -> None:
    browser: Browser = await browser_for(care_manager)
    token_client = await client_for(care_manager)
    assert await signed_in(browser.client)
    assert (await token_client.get("/api/v1/me")).status_code == 200

    admin_client = await client_for(admin)
    response = await admin_client.post(f"/api/v1/users/{care_manager.id}/deactivate")
    assert response.status_code == 200
    assert response.json()["active"] is False
    account = await factory.account_record(care_manager)
    assert [u["active"] for u in rows_of(account, "app_user")] == [False]
    assert [s["revoked_at"] is not None for s in rows_of(account, "user_session")] == [True]
    assert [t["revoked_at"] for t in rows_of(account, "api_token")] == [None]

    assert not await signed_in(browser.client)
    assert (await token_client.get("/api/v1/me")).status_code == 401
    async with api_client(app) as fresh:
        assert (await submit_login(fresh, care_manager.username)).status_code == 401

    reactivated = await admin_client.post(f"/api/v1/users/{care_manager.id}/reactivate")
    assert reactivated.status_code == 200
    assert (await factory.reload(User, care_manager.id)).active is True
    # Deactivation ended the sessions for good; tokens come back with the account.
    assert not await signed_in(browser.client)
    assert (await token_client.get("/api/v1/me")).status_code == 200


async def test_an_administrator_cannot_deactivate_themselves(
    factory: Factory, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    # A token's first use is stamped on it; take that out of the comparison.
    assert (await client.get("/api/v1/me")).status_code == 200
    async with factory.account_unchanged(admin):
        response = await client.post(f"/api/v1/users/{admin.id}/deactivate")
        assert response.status_code == 422


async def test_a_user_who_must_change_their_password_is_sent_to_do_so(
    factory: Factory, browser_for: Any
) -> None:
    user = await factory.user(role="care_manager", must_change_password=True)
    browser: Browser = await browser_for(user)
    home = await browser.client.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/account/password")
    form = await browser.client.get("/account/password")
    assert form.status_code == 200

    base = {"csrf_token": browser.csrf, "current_password": PASSWORD}
    before = await factory.account_record(user)
    async with factory.account_unchanged(user):
        mismatch = await browser.client.post(
            "/account/password",
            data={
                **base,
                "new_password": "a-brand-new-password",
                "confirm_password": "different-one",
            },
        )
        assert mismatch.status_code == 422
        short = await browser.client.post(
            "/account/password",
            data={**base, "new_password": "short", "confirm_password": "short"},
        )
        assert short.status_code == 422
        wrong = await browser.client.post(
            "/account/password",
            data={
                **base,
                "current_password": "not-my-password",
                "new_password": "a-brand-new-password",
                "confirm_password": "a-brand-new-password",
            },
        )
        assert wrong.status_code == 422

    changed = await browser.client.post(
        "/account/password",
        data={
            **base,
            "new_password": "a-brand-new-password",
            "confirm_password": "a-brand-new-password",
        },
    )
    assert changed.status_code == 303
    home = await browser.client.get("/")
    assert home.headers["location"] != "/account/password"
    [was], [now] = rows_of(before, "app_user"), (await factory.account_record(user))["app_user"]
    assert dict(now)["must_change_password"] is False
    assert dict(now)["password_hash"] != was["password_hash"]


async def test_an_administrators_password_reset_forces_a_change_and_ends_sessions(
    app: FastAPI,
    factory: Factory,
    care_manager: User,
    admin: User,
    browser_for: Any,
    client_for: Any,
) -> None:
    browser: Browser = await browser_for(care_manager)
    admin_client = await client_for(admin)
    before = await factory.account_record(care_manager)
    async with factory.account_unchanged(care_manager):
        short = await admin_client.post(
            f"/api/v1/users/{care_manager.id}/reset-password", json={"password": "short"}
        )
        assert (short.status_code, short.json()["detail"]["field"]) == (422, "password")
    reset = await admin_client.post(
        f"/api/v1/users/{care_manager.id}/reset-password", json={"password": "temporary-secret-1"}
    )
    assert reset.status_code == 200
    assert reset.json()["must_change_password"] is True
    after = await factory.account_record(care_manager)
    [was], [now] = rows_of(before, "app_user"), rows_of(after, "app_user")
    assert now["must_change_password"] is True
    assert now["password_hash"] != was["password_hash"]
    assert [s["revoked_at"] is not None for s in rows_of(after, "user_session")] == [True]
    assert not await signed_in(browser.client)
    async with api_client(app) as fresh:
        response = await submit_login(fresh, care_manager.username, "temporary-secret-1")
        assert response.status_code == 303
        home = await fresh.get("/")
        assert home.headers["location"] == "/account/password"


NEW_PASSWORD = "a-brand-new-password"
PATIENT = {"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "gender": "male"}


async def _change_password(browser: Browser) -> httpx.Response:
    return await browser.client.post(
        "/account/password",
        data={
            "csrf_token": browser.csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )


async def test_changing_the_password_signs_out_every_other_session(
    app: FastAPI,
    factory: Factory,
    care_manager: User,
    browser_for: Any,
    client_for: Any,
) -> None:
    here: Browser = await browser_for(care_manager)
    elsewhere: Browser = await browser_for(care_manager)
    token_client = await client_for(care_manager)
    old_cookie = here.cookie
    before = await factory.last_audit_id()

    assert (await _change_password(here)).status_code == 303

    assert not await signed_in(elsewhere.client)
    assert (await elsewhere.client.get("/api/v1/me")).status_code == 401
    # This browser carries on in a fresh session; a copy of its old cookie opens nothing.
    assert here.cookie != old_cookie
    assert await signed_in(here.client)
    async with api_client(app, cookies={SESSION_COOKIE: old_cookie}) as copy:
        assert not await signed_in(copy)
    # API tokens are an operator's grant to an integration, not the password: they stay.
    assert (await token_client.get("/api/v1/me")).status_code == 200
    [change] = [e for e in await factory.audit_events(after=before) if e.record_type == "User"]
    assert (change.action, change.record_id) == ("U", str(care_manager.id))
    assert change.detail == json.dumps({"password": "changed", "sessions_ended": 2})


async def test_after_a_password_change_only_the_new_password_signs_in(
    app: FastAPI, care_manager: User, browser_for: Any
) -> None:
    assert (await _change_password(await browser_for(care_manager))).status_code == 303
    async with api_client(app) as fresh:
        assert (await submit_login(fresh, care_manager.username, PASSWORD)).status_code == 401
        assert (await submit_login(fresh, care_manager.username, NEW_PASSWORD)).status_code == 303


async def test_a_session_that_must_change_its_password_gets_403_from_the_api(
    factory: Factory, browser_for: Any
) -> None:
    user = await factory.user(role="care_manager", must_change_password=True)
    browser: Browser = await browser_for(user)
    csrf = {"X-CSRF-Token": browser.csrf}
    async with factory.unchanged():
        responses = [
            await browser.client.get("/api/v1/me"),
            await browser.client.get("/api/v1/patients"),
            await browser.client.post("/api/v1/patients", json=PATIENT, headers=csrf),
        ]
    for response in responses:
        assert response.status_code == 403
        detail = response.json()["detail"]
        assert detail["code"] == "password_change_required"
        assert "/account/password" in detail["message"]

    assert (await _change_password(browser)).status_code == 303
    browser.csrf = await factory.csrf_token_for(browser.cookie)
    assert (await browser.client.get("/api/v1/me")).status_code == 200
    created = await browser.client.post(
        "/api/v1/patients", json=PATIENT, headers={"X-CSRF-Token": browser.csrf}
    )
    assert await stored_patient(factory, created) == ("A", "B", "1990-01-01")


async def test_a_token_of_a_user_who_must_change_their_password_gets_403_until_they_do(
    factory: Factory, browser_for: Any, client_for: Any
) -> None:
    user = await factory.user(role="care_manager", must_change_password=True)
    token_client = await client_for(user)
    me = await token_client.get("/api/v1/me")
    assert (me.status_code, me.json()["detail"]["code"]) == (403, "password_change_required")
    async with factory.unchanged():
        created = await token_client.post("/api/v1/patients", json=PATIENT)
        assert (created.status_code, created.json()["detail"]["code"]) == (
            403,
            "password_change_required",
        )

    assert (await _change_password(await browser_for(user))).status_code == 303
    assert (await token_client.get("/api/v1/me")).status_code == 200
    created = await token_client.post("/api/v1/patients", json=PATIENT)
    assert await stored_patient(factory, created) == ("A", "B", "1990-01-01")


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the JSON API that Tandem defines (not the docs pages)."""
    api = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    assert isinstance(api, FastAPI)
    # Newer FastAPI keeps included routers lazily behind route contexts.
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    found = []
    for route in iterate(api.routes) if iterate else api.routes:
        module = getattr(route.endpoint, "__module__", "") if route.endpoint else ""
        # The interactive docs page holds no data: it only loads the published description.
        if not module.startswith("tandem.") or module == "tandem.web.api_docs":
            continue
        for method in sorted(set(route.methods or ()) - {"HEAD", "OPTIONS"}):
            found.append((method, "/api/v1" + route.path))
    return found


async def test_every_api_route_refuses_a_user_who_must_change_their_password(
    app: FastAPI, factory: Factory, client_for: Any
) -> None:
    user = await factory.user(role="administrator", must_change_password=True)
    client = await client_for(user)
    routes = _api_routes(app)
    assert len(routes) > 20
    async with factory.unchanged():
        for method, path in routes:
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            response = await client.request(method, url, json={})
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["detail"]["code"] == "password_change_required", (method, path)
