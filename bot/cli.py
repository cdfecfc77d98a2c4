"""The `bagou` command: `bagou run` starts everything, `bagou train` trains the model,
`bagou falc check` checks that every text of the assistant follows the FALC rules."""

import argparse
import signal
import sys
import time
from pathlib import Path

from bot.evaluation import evaluate
from bot.settings import Settings
from bot.stack import Stack, StackError
from bot.training import ensure_model


def train(settings: Settings, force: bool = False) -> None:
    print("Vérification du modèle de langue…", flush=True)
    started = time.monotonic()
    if ensure_model(settings.model_dir, settings.log_dir / "train.log", force=force):
        print(f"Modèle entraîné en {time.monotonic() - started:.0f} secondes.", flush=True)
    else:
        print("Le modèle est à jour.", flush=True)


STARTUP_TIMEOUT = 600  # seconds; Rasa loads TensorFlow and spaCy in about 40 s here


class RestartBudget:
    """A crashed part is restarted, but not forever: 3 times in 5 minutes at most."""

    def __init__(self, limit: int = 3, window: float = 300):
        self.limit, self.window = limit, window
        self.times: dict[str, list[float]] = {}

    def allow(self, name: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.times.get(name, []) if now - t < self.window]
        self.times[name] = recent + [now]
        return len(recent) < self.limit


def run(settings: Settings) -> int:
    train(settings)
    stack = Stack(settings)
    restarts = RestartBudget()
    stopping = False

    def request_stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print("Démarrage de Rasa, du serveur d'actions et de la passerelle…", flush=True)
    stack.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while not stopping:  # readiness, checked here so that Ctrl-C works meanwhile
            try:
                stack.wait_ready(timeout=1)
                break
            except StackError as error:
                if stack.dead() or time.monotonic() > deadline:
                    print(f"Échec du démarrage : {error}", file=sys.stderr)
                    return 1
        if not stopping:
            print(f"\nBagou est prêt : {settings.public_url}", flush=True)
            print(f"Journaux : {settings.log_dir}. Arrêt : Ctrl-C.", flush=True)
        while not stopping:
            if dead := stack.dead():
                if not restarts.allow(dead):
                    print(f"{dead} s'arrête sans cesse, voir {settings.log_dir}. Arrêt de Bagou.",
                          file=sys.stderr)
                    return 1
                print(f"{dead} s'est arrêté. Redémarrage…", file=sys.stderr, flush=True)
                stack.restart(dead)
            time.sleep(0.5)
        return 0
    finally:
        print("Arrêt de Bagou…", flush=True)
        stack.stop()
        print("Bagou est arrêté.", flush=True)


def falc_check(text: str | None = None, title: bool = False) -> int:
    """Print the FALC report; 1 when a text fails a rule, so that scripts can stop."""
    from bot.falc.checker import check_draft, check_project  # spaCy: loaded only here
    from bot.falc.report import render

    if text is None:
        results = check_project()
    else:
        # A shell argument rarely holds a real line break: accept « \n » as one.
        results = [check_draft(text.replace("\\n", "\n"), title=title)]
    print(render(results))
    return 1 if any(r.failed for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bagou", description="Bagou, l'assistant des Open Badges")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="entraîner le modèle si besoin et démarrer Bagou")
    train_parser = commands.add_parser("train", help="entraîner le modèle si les données ont changé")
    train_parser.add_argument("--force", action="store_true", help="entraîner même sans changement")
    eval_parser = commands.add_parser(
        "eval", help="mesurer la compréhension sur les messages mis de côté (tests/nlu)")
    eval_parser.add_argument("--report", metavar="FICHIER", help="écrire le rapport Markdown ici")
    falc_parser = commands.add_parser("falc", help="vérifier les textes avec les règles FALC")
    falc_commands = falc_parser.add_subparsers(dest="falc_command", required=True)
    check_parser = falc_commands.add_parser(
        "check", help="vérifier tous les textes de Bagou, ou un texte proposé avec --text")
    check_parser.add_argument(
        "--text", metavar="TEXTE",
        help="texte à essayer avant de l'enregistrer ; une phrase par ligne (\\n sépare les lignes)")
    check_parser.add_argument("--bouton", action="store_true",
                              help="vérifier le texte comme un titre de bouton")
    args = parser.parse_args(argv)
    if args.command == "falc":
        if args.text is not None and not args.text.strip():
            parser.error("le texte à vérifier est vide")
        return falc_check(args.text, title=args.bouton)
    if args.command == "eval":
        evaluate(Path(args.report) if args.report else None)
        return 0
    settings = Settings()
    if args.command == "train":
        train(settings, force=args.force)
        return 0
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
