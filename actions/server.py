"""The action server: `python -m actions.server [rasa-sdk's options, e.g. --port 5055]`.

It installs the log filter (bot/log_safety.py: no secret and no e-mail address in any
log line), then runs rasa-sdk's own server on the `actions` package. rasa-sdk answers
from Sanic worker processes that it spawns, and a spawned process runs its parent's
main module again, but not its `if __name__ == "__main__"` block (nor a package's
__main__.py at all): so the filter is installed at the top of this module, the entry
point of every process of the action server, and importing `actions` installs nothing.
"""

from bot import log_safety
from bot.obf import get_obf_settings
from bot.settings import get_settings


def install_log_filter() -> None:
    # The gateway's secrets too: `bagou run` and the containers give the action server
    # the same environment as the gateway.
    log_safety.install(get_settings(), obf_settings=get_obf_settings)


install_log_filter()


def main(argv: list[str] | None = None) -> None:
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args(argv)
    if not (args.actions or args.actions_module):
        args.actions = "actions"
    main_from_args(args)


if __name__ == "__main__":
    main()
