"""pylti1p3 on Starlette/FastAPI, with the launch data kept in the gateway's database.

pylti1p3 ships Django and Flask adapters only; this is the same small set for
Starlette: a request (form and query parameters, already read), a cookie service that
sets its cookies on our response, a redirect, and a `LaunchDataStorage` on the
`lti_storage` table. pylti1p3 is synchronous (it fetches the platform's keys with
`requests`): the routes call it in a worker thread.

Two things are stricter here than pylti1p3's defaults, for the security of the launch:
- the state made at login is kept on the server with its nonce and is used once: a
  launch must bring a state we issued, unused and less than 10 minutes old, and an
  id_token whose nonce is the one sent with that state. A replayed launch is refused,
  even with the same state cookie (pylti1p3 accepts the same launch again, for reloads);
- the audience must name the registered client id (`azp` too when there are several
  audiences), and `exp`, `iat`, `sub` are required.

The state cookie (`SameSite=None; Secure` on HTTPS, so that it comes back from Moodle's
cross-site POST inside a frame) is checked when the browser sends it; when it does not
(third-party cookies blocked), the server-side state still proves the launch, and the
page offers « Ouvrir dans une nouvelle fenêtre ».
"""

import logging
import time
import typing as t
import uuid

import jwt
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker
from starlette.responses import RedirectResponse, Response

from bot.db.models import LtiStorage

if t.TYPE_CHECKING:
    from bot.lti.config import ToolConfig

log = logging.getLogger(__name__)

STATE_LIFETIME_S = 10 * 60
LAUNCH_LIFETIME_S = 2 * 3600
# The parameters of a login that a new window needs to start it again.
LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
# The messages Bagou answers: the launch of a link, and the choice of a link by a teacher
# (deep linking, bot/lti/deep_linking.py). Any other gets a page that says so.
SUPPORTED_MESSAGES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint",
                "lti_deployment_id", "client_id")


class LaunchRefused(Exception):
    """A login or launch that must not go on; `code` names the FALC text (texts/gateway.yml)."""

    def __init__(self, code: str, status: int = 403, detail: str = ""):
        super().__init__(detail or code)
        self.code, self.status, self.detail = code, status, detail


# --- server-side storage -----------------------------------------------------------------


class DbStorage(LaunchDataStorage[t.Any]):
    """pylti1p3's key-value storage on the `lti_storage` table, with expiry."""

    def __init__(self, db: sessionmaker):
        super().__init__()
        self._db = db

    @property
    def sessions(self) -> sessionmaker:
        return self._db

    def get_session_cookie_name(self) -> t.Optional[str]:
        return None  # keys are random (states, nonces, launch ids): no cookie prefix needed

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        now = int(time.time())
        with self._db() as db:
            row = db.get(LtiStorage, self._prepare_key(key))
            return row.value if row is not None and row.expires_at > now else None

    def set_value(self, key: str, value: t.Any, exp: t.Optional[int] = None) -> None:
        now = int(time.time())
        with self._db.begin() as db:
            db.execute(delete(LtiStorage).where(LtiStorage.expires_at <= now))
            db.merge(LtiStorage(key=self._prepare_key(key), value=value,
                                expires_at=now + (exp or LAUNCH_LIFETIME_S)))

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def take(self, key: str) -> t.Any:
        """The value, removed at once: only one request can ever take it."""
        key, now = self._prepare_key(key), int(time.time())
        with self._db.begin() as db:
            value = db.scalar(select(LtiStorage.value).where(
                LtiStorage.key == key, LtiStorage.expires_at > now))
            gone = db.execute(delete(LtiStorage).where(
                LtiStorage.key == key, LtiStorage.expires_at > now)).rowcount
        return value if gone == 1 else None


class DbSessionService(SessionService):
    """pylti1p3's session service; states and nonces are used once."""

    def __init__(self, request: Request, storage: DbStorage):
        super().__init__(request)
        self.storage = storage
        self.set_data_storage(storage)

    def save_nonce(self, nonce: str):
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=STATE_LIFETIME_S)

    def check_nonce(self, nonce: str) -> bool:
        return self.storage.take(self._get_key("nonce", nonce)) is not None

    def save_state_params(self, state: str, params):
        self.data_storage.set_value(self._get_key(state), params, exp=STATE_LIFETIME_S)

    def take_state_params(self, state: str):
        return self.storage.take(self._get_key(state))

    # pylti1p3 lets the same launch through again (a reload); we never do.
    def set_state_valid(self, state: str, id_token_hash: str):
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


# --- request, cookies, redirect -----------------------------------------------------------


class StarletteRequest(Request):
    """Parameters of a Starlette request (query and form, read beforehand: pylti1p3 is
    synchronous), its cookies, and whether it came over HTTPS."""

    def __init__(self, params: dict[str, str], cookies: dict[str, str], secure: bool):
        self._params, self._cookies, self._secure = params, cookies, secure

    @property
    def session(self):
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")

    def get_cookie(self, name: str) -> t.Optional[str]:
        return self._cookies.get(name)


class StarletteCookieService(CookieService):
    def __init__(self, request: StarletteRequest):
        self._request = request
        self._to_set: dict[str, tuple[str, t.Optional[int]]] = {}

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> t.Optional[str]:
        return self._request.get_cookie(self._key(name))

    def set_cookie(self, name: str, value, exp: t.Optional[int] = 3600):
        self._to_set[self._key(name)] = (str(value), exp)

    def update_response(self, response: Response) -> Response:
        secure = self._request.is_secure()
        for key, (value, exp) in self._to_set.items():
            # Inside Moodle's frame the cookie comes back only with SameSite=None, which
            # browsers accept only with Secure, that is over HTTPS. Over plain HTTP (a
            # machine of one's own) the browser's default applies.
            response.set_cookie(key, value, max_age=exp, path="/", httponly=True,
                                secure=secure, samesite="none" if secure else "lax")
        return response


class StarletteRedirect(Redirect[Response]):
    def __init__(self, location: str, cookies: StarletteCookieService):
        self._location, self._cookies = location, cookies

    def do_redirect(self) -> Response:
        return self._cookies.update_response(RedirectResponse(self._location, status_code=302))

    def do_js_redirect(self) -> Response:  # no inline script anywhere: a plain redirect
        return self.do_redirect()

    def set_redirect_url(self, location: str):
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location


# --- login and launch ----------------------------------------------------------------------


class BagouOIDCLogin(OIDCLogin):
    def __init__(self, request: StarletteRequest, tool_conf, storage: DbStorage):
        self.cookies = StarletteCookieService(request)
        super().__init__(request, tool_conf, DbSessionService(request, storage), self.cookies)

    def get_redirect(self, url: str) -> Redirect[Response]:
        return StarletteRedirect(url, self.cookies)

    def _generate_nonce(self) -> str:
        nonce = super()._generate_nonce()
        # Saved with the state (pylti1p3 saves the state params right after): the launch
        # must bring back this very nonce, and a new window can start the login again.
        self._state_params = {
            "nonce": nonce,
            "login": {k: self._get_request_param(k) for k in LOGIN_PARAMS
                      if self._get_request_param(k)},
        }
        return nonce


class BagouMessageLaunch(MessageLaunch):
    """A launch checked as pylti1p3 does, and more strictly (see above). The platform's
    key set is given (bot/lti/keyset.py fetched it on the event loop): pylti1p3 never
    fetches it here. `iat`, `nbf` and `exp` accept `leeway` seconds of clock skew."""

    def __init__(self, request: StarletteRequest, tool: "ToolConfig", storage: DbStorage,
                 key_set: dict | None = None, leeway: float = 0):
        self.cookies = StarletteCookieService(request)
        super().__init__(request, tool.conf, session_service=DbSessionService(request, storage),
                         cookie_service=self.cookies)
        self.set_jwt_verify_options(t.cast(t.Any, {"verify_aud": False,
                                                   "require": ["exp", "iat", "sub"]}))
        self.tool = tool
        self.key_set = key_set
        self.leeway = leeway
        self.state_params: dict = {}
        self.cookie_missing = False

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate_state(self) -> "BagouMessageLaunch":
        state = self._get_request_param("state")
        if not state:
            raise LaunchRefused("lti_etat_manquant", 400, "no state")
        if not self._get_request_param("id_token"):
            raise LaunchRefused("lti_demande_incomplete", 400, "no id_token")
        params = self._session_service.take_state_params(state)
        if not isinstance(params, dict):
            raise LaunchRefused("lti_lancement_deja_utilise", 403, "unknown, used or old state")
        self.state_params = params
        cookie = self._cookie_service.get_cookie(state)
        if cookie is None:
            self.cookie_missing = True  # third-party cookies blocked: the server state holds
        elif cookie != state:
            raise LaunchRefused("lti_lancement_deja_utilise", 403, "state cookie mismatch")
        return self

    def validate_nonce(self) -> "BagouMessageLaunch":
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or nonce != self.state_params.get("nonce"):
            raise LaunchRefused("lti_lancement_deja_utilise", 403, "nonce not from this login")
        if not self._session_service.check_nonce(nonce):
            raise LaunchRefused("lti_lancement_deja_utilise", 403, "nonce already used")
        return self

    def validate_registration(self) -> "BagouMessageLaunch":
        body = self._get_jwt_body()
        iss = body.get("iss")
        aud = body.get("aud")
        audiences = [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)]
        client_id = None
        if isinstance(iss, str):
            client_id = next((a for a in audiences if a in self.tool.clients.get(iss, ())), None)
            if client_id is None and any(a in self.tool.pending.get(iss, ()) for a in audiences):
                raise LaunchRefused("lti_en_attente", 403,
                                    f"the registration of {iss} waits for approval (console)")
        if not isinstance(iss, str) or iss not in self.tool.clients:
            raise LaunchRefused("lti_plateforme_inconnue", 403, f"unknown issuer {iss!r}")
        if client_id is None:
            raise LaunchRefused("lti_audience_invalide", 403,
                                f"aud {audiences!r} names no client id registered for {iss}")
        if len(audiences) > 1 and body.get("azp") != client_id:
            raise LaunchRefused("lti_audience_invalide", 403, "azp is not the client id")
        try:
            self._registration = self._tool_config.find_registration_by_params(iss, client_id)
        except Exception as error:  # pylti1p3 raises bare Exceptions for unknown clients
            raise LaunchRefused("lti_audience_invalide", 403, str(error)) from error
        self.client_id = client_id
        return self

    def get_client_id(self) -> str:
        return getattr(self, "client_id", None) or super().get_client_id()

    def get_public_key(self) -> tuple[str, str]:
        registration = t.cast(Registration, self._registration)  # found by the launch
        key_set = registration.get_key_set() or self.key_set
        if not key_set:
            raise LaunchRefused("lti_signature_invalide", 403, "no key set for this platform")
        registration.set_key_set(t.cast(t.Any, key_set))  # pylti1p3 then fetches nothing
        try:
            return super().get_public_key()
        except LtiException as error:
            kid = self._jwt.get("header", {}).get("kid")
            raise LaunchRefused("lti_signature_invalide", 403,
                                f"{error} (kid {kid!r}, not in the platform's key set)") from error

    def validate_jwt_signature(self) -> "BagouMessageLaunch":
        public_key, algorithm = self.get_public_key()
        try:
            jwt.decode(self._get_id_token(), public_key, algorithms=[algorithm],
                       options=t.cast(t.Any, self._jwt_verify_options), leeway=self.leeway)
        except jwt.ExpiredSignatureError as error:
            raise LaunchRefused("lti_jeton_expire", 403,
                                f"{error} (more than {self.leeway:g} s ago)") from error
        except jwt.ImmatureSignatureError as error:
            raise LaunchRefused("lti_horloge_decalee", 403,
                                f"{error}: the platform's clock is more than "
                                f"{self.leeway:g} s ahead") from error
        except jwt.InvalidTokenError as error:
            raise LaunchRefused("lti_signature_invalide", 403, str(error)) from error
        return self

    def validate_deployment(self) -> "BagouMessageLaunch":
        try:
            return t.cast("BagouMessageLaunch", super().validate_deployment())
        except LtiException as error:
            raise LaunchRefused("lti_deploiement_inconnu", 403, str(error)) from error

    def validate_message(self) -> "BagouMessageLaunch":
        message_type = self._get_jwt_body().get(LTI_CLAIM + "message_type")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRefused("lti_message_non_pris_en_charge", 400,
                                f"message type {message_type!r} is not supported")
        if message_type == "LtiDeepLinkingRequest":
            settings = self._get_jwt_body().get(DEEP_LINKING_SETTINGS)
            accepted = settings.get("accept_types") if isinstance(settings, dict) else None
            if isinstance(accepted, list) and "ltiResourceLink" not in accepted:
                # Bagou only makes links to itself: a request for files or HTML is one
                # it cannot answer, whatever the teacher clicks.
                raise LaunchRefused("lti_message_non_pris_en_charge", 400,
                                    f"deep linking accepts {accepted!r}, not ltiResourceLink")
        try:
            super().validate_message()
        except LtiException as error:
            raise LaunchRefused("lti_demande_incomplete", 400, str(error)) from error
        return self

    def validate_jwt_format(self) -> "BagouMessageLaunch":
        try:
            return t.cast("BagouMessageLaunch", super().validate_jwt_format())
        except LtiException as error:
            raise LaunchRefused("lti_demande_incomplete", 400, str(error)) from error


def unverified_token(id_token: str) -> tuple[dict, dict]:
    """The header and claims of an id_token, NOT checked: only to know which key set to
    fetch before the checks. Empty dicts when it cannot be read."""
    try:
        return jwt.get_unverified_header(id_token), jwt.decode(
            id_token, options={"verify_signature": False})
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return {}, {}


def refusal_from(error: Exception) -> LaunchRefused:
    """Any error of a login or launch as a refusal with a FALC page (never a 500)."""
    if isinstance(error, LaunchRefused):
        return error
    if isinstance(error, OIDCException):
        return LaunchRefused("lti_plateforme_inconnue", 400, str(error))
    if isinstance(error, LtiException):
        text = str(error)
        if "public key" in text or "KID" in text or "ALG" in text or "key set" in text.lower():
            return LaunchRefused("lti_signature_invalide", 403, text)
        return LaunchRefused("lti_demande_incomplete", 400, text)
    return LaunchRefused("lti_demande_incomplete", 400, f"{type(error).__name__}: {error}")


def new_id() -> str:
    return uuid.uuid4().hex
