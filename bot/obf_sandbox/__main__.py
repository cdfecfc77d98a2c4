"""`python -m bot.obf_sandbox --reset`: load seed.yml again into the configured database
(after a content editor changed it). Deletes every sandbox row and token first."""

import argparse

from sqlalchemy.orm import Session

from bot.db.engine import make_engine, upgrade_schema
from bot.obf_sandbox.seed import counts, reset, seed
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.obf_sandbox", description=__doc__)
    parser.add_argument("--reset", action="store_true",
                        help="delete the sandbox data, then load seed.yml again")
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    upgrade_schema(engine)
    with Session(engine) as session:
        if args.reset:
            reset(session)
        else:
            seed(session)
        print(counts(session))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
