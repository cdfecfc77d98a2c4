"""The action server: `python -m actions.server [rasa-sdk's options, e.g. --port 5055]`.

It installs the log filter (bot/log_safety.py: no secret and no e-mail address in any
log line) and the token check (below), then runs rasa-sdk's own server on the `actions`
package.

One process: rasa-sdk's `run` serves from Sanic worker processes under a manager
(four Python processes, 225 MB, and a worker that dies leaves its parent holding the
port, issue 24). With one worker, the default and what `bagou run` and the containers
use, the same app is served in this process (`serve_in_one_process`: 85 MB; a
death is a process exit, which the supervisor sees at once). SANIC_WORKERS above 1 gives
rasa-sdk's own workers back; a spawned worker runs its parent's main module again, but
not its `if __name__ == "__main__"` block, so the filter and the token check are
installed at the top of this module, and importing `actions` installs nothing.

The token: rasa-sdk runs any action for anyone who can post to it, with the tracker
the caller sends: any local process could post a forged tracker (a learner's identity
in its metadata) and read that learner's badges. So every request but GET /health must
carry BAGOU_ACTIONS_TOKEN in the X-Bagou-Actions-Token header: Rasa sends it
(endpoints.yml, action_endpoint.headers), the launcher and the containers give both the
same value. Without it the answer is 401 and no action runs; with no token configured,
every call is refused (and the log says so once per process).
"""

import hmac
import logging
import os

import pluggy

from bot import log_safety
from bot.settings import get_settings

TOKEN_HEADER = "X-Bagou-Actions-Token"
TOKEN_VAR = "BAGOU_ACTIONS_TOKEN"
OPEN_PATHS = ("/health",)  # says only that the server answers: the probes need no token

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")


def install_log_filter() -> None:
    # The gateway's secrets too: `bagou run` and the containers give the action server
    # the same environment as the gateway.
    log_safety.install(get_settings())


class TokenCheck:
    """rasa-sdk's plugin hook (rasa_sdk/plugin.py): a request middleware on its app."""

    def __init__(self, token: str):
        self.token = token.encode()

    def authorised(self, given: str | None) -> bool:
        return bool(self.token) and hmac.compare_digest((given or "").encode(), self.token)

    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        from sanic import response

        if not self.token:
            logger.error("%s is not set: the action server refuses every call.", TOKEN_VAR)

        @app.on_request
        async def check_token(request):
            if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
                return None
            if not self.authorised(request.headers.get(TOKEN_HEADER)):
                return response.json({"error": "unauthorised"}, status=401)
            return None


def install_token_check() -> None:
    from rasa_sdk.plugin import plugin_manager

    manager = plugin_manager()
    if not any(isinstance(p, TokenCheck) for p in manager.get_plugins()):
        manager.register(TokenCheck(os.environ.get(TOKEN_VAR, "")))


install_log_filter()
install_token_check()


def serve_in_one_process(args) -> None:
    """rasa-sdk's `main_from_args` and `endpoint.run` (rasa-sdk 3.21), without the
    worker processes: the same logging, actions, app and plugins (the token check)."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app_for_serve, create_ssl_config
    from rasa_sdk.executor import ActionExecutor
    from sanic import Sanic

    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
                                 args.log_file, args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(executor, cors_origins=args.cors, endpoints=args.endpoints)
    app.prepare(host=os.environ.get("SANIC_HOST", "0.0.0.0"), port=args.port,
                ssl=create_ssl_config(args.ssl_certificate, args.ssl_keyfile,
                                      args.ssl_password),
                single_process=True)
    Sanic.serve_single(app)


def main(argv: list[str] | None = None) -> None:
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser
    from rasa_sdk.utils import number_of_sanic_workers

    args = create_argument_parser().parse_args(argv)
    if not (args.actions or args.actions_module):
        args.actions = "actions"
    if number_of_sanic_workers() > 1 or args.grpc or args.auto_reload:
        main_from_args(args)  # rasa-sdk's own server, with its worker processes
    else:
        serve_in_one_process(args)


if __name__ == "__main__":
    main()
