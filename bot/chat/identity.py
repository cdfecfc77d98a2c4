"""Who is talking. Only the gateway decides it; Rasa and the actions only read it.

Kinds of identity:
- anonymous: a visitor of a site (the default);
- learner: a person identified by the site that embeds Bagou (a signed site token,
  below), or by Moodle (an LTI launch, bot/lti);
- adviser: a signed-in adviser of the structure (the adviser console, bot/console).

An identity is bound to a chat session on the server side: the browser only holds the
session id. It goes to Rasa in the message metadata, which a client can never set; the
e-mail only sealed for the action server (bot/identity_ref.py), the name not at all.

Site tokens: the page that embeds Bagou passes a JWT signed with HS256 by that site.
`iss` names the site, whose secret comes from BAGOU_SITE_SECRETS; `email` and `exp`
are required, `name` is optional.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import jwt

from bot.errors import ApiError
from bot.privacy import normal_email

# Tokens valid for longer than this are refused: a leaked token must not live for months.
MAX_TOKEN_LIFETIME_S = 24 * 3600
CLOCK_SKEW_S = 30


@dataclass(frozen=True)
class Identity:
    kind: str = "anonymous"
    email: str | None = None
    name: str | None = None
    # Where the identity comes from: "site:<id>", "lti:<issuer>", "console".
    source: str | None = None
    expires_at: datetime | None = None
    # The OBF organisations whose badges may be looked up for this person: None for all
    # of them (a site's learner, an adviser of the console); for a person launched from
    # Moodle, those its registration names (bot/lti/organisations.py), maybe none.
    organisations: tuple[str, ...] | None = None

    def active(self, now: datetime | None = None) -> "Identity":
        """This identity, or anonymous once it has expired."""
        now = now or datetime.now(timezone.utc)
        if self.expires_at is not None and self.expires_at <= now:
            return ANONYMOUS
        return self

    def metadata(self, sealed: Callable[[str], str] | None = None) -> dict:
        """The identity as Rasa's actions read it (message metadata). Never the e-mail
        nor the name in clear: Rasa keeps the metadata in its tracker store and logs. The
        e-mail goes as `ref`, `sealed(email)` (bot/identity_ref.py), which only the
        gateway and the action server can open; without `sealed`, not at all."""
        data: dict[str, str | list[str] | None] = {"kind": self.kind}
        if self.kind != "anonymous":
            data["source"] = self.source
            if self.email and sealed is not None:
                data["ref"] = sealed(self.email)
            if self.organisations is not None:  # absent: no restriction
                data["organisations"] = list(self.organisations)
        return data


ANONYMOUS = Identity()


def learner_from_site_token(token: str, site_secrets: dict[str, str],
                            now: datetime | None = None) -> Identity:
    """Checks a site token; raises ApiError 401 with a FALC message when it is refused."""
    now = now or datetime.now(timezone.utc)
    try:
        site = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as error:
        raise ApiError(401, "jeton_invalide") from error
    secret = site_secrets.get(site) if isinstance(site, str) else None
    if not secret:
        raise ApiError(401, "jeton_invalide")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=site, leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "iss", "email"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as error:
        raise ApiError(401, "jeton_expire") from error
    except jwt.PyJWTError as error:
        raise ApiError(401, "jeton_invalide") from error
    email = claims.get("email")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), timezone.utc)
    if not isinstance(email, str) or "@" not in email:
        raise ApiError(401, "jeton_invalide")
    if (expires_at - now).total_seconds() > MAX_TOKEN_LIFETIME_S:
        raise ApiError(401, "jeton_invalide")
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return Identity(kind="learner", email=normal_email(email), name=name,
                    source=f"site:{site}", expires_at=expires_at)
