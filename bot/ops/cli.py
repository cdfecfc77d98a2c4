"""The `bagou` command: `bagou run` starts everything, `bagou train` trains the model,
`bagou falc check` checks that every text of the assistant follows the FALC rules,
`bagou user add` makes console accounts, `bagou purge` applies the retention time."""

import argparse
import signal
import sys
import time
from pathlib import Path

from bot import log_safety
from bot.ops.evaluation import evaluate
from bot.ops.supervisor import HealthWatch, Stack, StackError
from bot.ops.training import ensure_model
from bot.settings import Settings, UnsafeSettings


def train(settings: Settings, force: bool = False) -> None:
    print("Vérification du modèle de langue…", flush=True)
    started = time.monotonic()
    if ensure_model(settings.model_dir, settings.log_dir / "train.log", force=force):
        print(f"Modèle entraîné en {time.monotonic() - started:.0f} secondes.", flush=True)
    else:
        print("Le modèle est à jour.", flush=True)


STARTUP_TIMEOUT = 600  # seconds; Rasa loads TensorFlow and spaCy in about 40 s here


class RestartBudget:
    """A crashed or silent part is restarted, but not forever: 3 times in 5 minutes at most."""

    def __init__(self, limit: int = 3, window: float = 300):
        self.limit, self.window = limit, window
        self.times: dict[str, list[float]] = {}

    def allow(self, name: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.times.get(name, []) if now - t < self.window]
        self.times[name] = recent + [now]
        return len(recent) < self.limit

    def count(self, name: str) -> int:
        """Restarts of `name` in the current window, this one included."""
        return len(self.times.get(name, []))


def run(settings: Settings) -> int:
    try:
        settings.check_safe()  # values that must not serve real people (bot/settings.py)
        stack = Stack(settings)  # checks the Rasa topology before a long training
    except (UnsafeSettings, StackError) as error:
        print(f"Bagou ne peut pas démarrer. {error}", file=sys.stderr)
        return 1
    train(settings)
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
    # Supervised by process and by health: a part whose process stopped, or that stopped
    # answering its health check (a frozen process, a stuck event loop), is restarted (bot/ops/supervisor.py, HealthWatch). The watch runs from
    # the start: the action server that answered may die while Rasa still loads.
    watch = HealthWatch(stack, startup_grace=STARTUP_TIMEOUT)

    def restart(failed: str, why: str) -> bool:
        if not restarts.allow(failed):
            print(f"{failed} s'arrête sans cesse, voir {settings.log_dir}. Arrêt de Bagou.",
                  file=sys.stderr)
            return False
        print(f"{failed} {why}. Redémarrage {restarts.count(failed)} sur {restarts.limit} "
              f"en {restarts.window / 60:.0f} minutes…", file=sys.stderr, flush=True)
        stack.restart(failed)
        return True

    try:
        while not stopping:  # readiness, checked here so that Ctrl-C works meanwhile
            try:
                stack.wait_ready(timeout=1)
                break
            except StackError as error:
                if stack.dead() or time.monotonic() > deadline:
                    print(f"Échec du démarrage : {error}", file=sys.stderr)
                    return 1
                if (silent := watch.check()) and not restart(silent, "ne répond plus"):
                    return 1
        if not stopping:
            print(f"\nBagou est prêt : {settings.effective_public_url}", flush=True)
            print(f"Journaux : {settings.log_dir}. Arrêt : Ctrl-C.", flush=True)
        while not stopping:
            if dead := stack.dead():
                if not restart(dead, "s'est arrêté"):
                    return 1
            elif (silent := watch.check()) and not restart(silent, "ne répond plus"):
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("Arrêt de Bagou…", flush=True)
        stack.stop()
        print("Bagou est arrêté.", flush=True)


def falc_check(text: str | None = None, title: bool = False) -> int:
    """Print the FALC report; 1 when a text fails a rule, so that scripts can stop."""
    from falc.checker import check_draft, check_project  # spaCy: loaded only here
    from falc.report import render

    if text is None:
        results = check_project()
    else:
        # A shell argument rarely holds a real line break: accept « \n » as one.
        results = [check_draft(text.replace("\\n", "\n"), title=title)]
    print(render(results))
    return 1 if any(r.failed for r in results) else 0


def lti_keys(settings: Settings, force: bool = False) -> int:
    """Makes the tool's RSA key pair in BAGOU_LTI_KEY_DIR (never in the repository)."""
    from bot.lti.config import make_keys

    try:
        private, public = make_keys(settings.lti_key_dir, force=force)
    except FileExistsError as error:
        print(f"Une clé existe déjà : {error}.\n"
              "La remplacer oblige à changer la clé dans chaque Moodle.\n"
              "Pour la remplacer quand même : bagou lti keys --force", file=sys.stderr)
        return 1
    print(f"Clé privée : {private} (lisible par vous seul)\nClé publique : {public}")
    print(f"Moodle lit la clé publique à l'adresse {settings.effective_public_url}lti/jwks")
    return 0


def lti_urls(settings: Settings) -> int:
    """Prints what a Moodle administrator pastes (docs/moodle.md)."""
    base = settings.effective_public_url.rstrip("/")
    print(f"URL de l'outil : {base}/lti/launch")
    print("Type de clé publique : URL du jeu de clés (Keyset URL)")
    print(f"URL du jeu de clés publiques : {base}/lti/jwks")
    print(f"URL de connexion initiale : {base}/lti/login")
    print(f"URI de redirection : {base}/lti/launch")
    if not settings.public_url:
        print("\nAttention : BAGOU_PUBLIC_URL n'est pas définie. Moodle doit joindre Bagou "
              "à son adresse publique en https.", file=sys.stderr)
    if settings.lti_config is None:
        print("Attention : BAGOU_LTI_CONFIG n'est pas définie (inscriptions des Moodle).",
              file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    # No secret and no e-mail address in any log line of a `bagou` command.
    log_safety.install()
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
    content_parser = commands.add_parser("content", help="liens et sources des réponses")
    content_commands = content_parser.add_subparsers(dest="content_command", required=True)
    content_commands.add_parser("links", help="lister chaque lien à essayer dans un navigateur")
    content_commands.add_parser("check", help="sources manquantes ou vérifiées il y a plus d'un an")
    lti_parser = commands.add_parser("lti", help="Bagou dans Moodle (LTI 1.3)")
    lti_commands = lti_parser.add_subparsers(dest="lti_command", required=True)
    keys_parser = lti_commands.add_parser(
        "keys", help="créer la paire de clés RSA de l'outil dans BAGOU_LTI_KEY_DIR")
    keys_parser.add_argument("--force", action="store_true",
                             help="remplacer la paire de clés qui existe")
    lti_commands.add_parser("config", help="afficher les adresses à coller dans Moodle")
    user_parser = commands.add_parser("user", help="comptes de l'espace conseiller (/conseiller)")
    user_commands = user_parser.add_subparsers(dest="user_command", required=True)
    add_parser = user_commands.add_parser("add", help="créer un compte")
    add_parser.add_argument("login", help="identifiant (un mot)")
    add_parser.add_argument("--role", required=True, choices=["adviser", "editor", "admin"],
                            help="adviser : conseiller, editor : rédacteur, admin : les deux")
    add_parser.add_argument("--name", help="nom affiché")
    add_parser.add_argument("--password-stdin", action="store_true",
                            help="lire le mot de passe sur l'entrée standard")
    password_parser = user_commands.add_parser("password", help="changer un mot de passe")
    password_parser.add_argument("login")
    password_parser.add_argument("--password-stdin", action="store_true")
    for name, help_text in (("disable", "désactiver un compte (ferme ses sessions)"),
                            ("enable", "activer un compte"),
                            ("totp-off", "retirer la double vérification (téléphone perdu)")):
        user_commands.add_parser(name, help=help_text).add_argument("login")
    user_commands.add_parser("list", help="lister les comptes")
    commands.add_parser("purge", help="effacer les conversations plus vieilles que "
                                      "BAGOU_RETENTION_DAYS")
    args = parser.parse_args(argv)
    if args.command == "falc":
        if args.text is not None and not args.text.strip():
            parser.error("le texte à vérifier est vide")
        return falc_check(args.text, title=args.bouton)
    if args.command == "content":
        from bot.ops import content

        return content.print_links() if args.content_command == "links" else content.print_check()
    if args.command == "eval":
        evaluate(Path(args.report) if args.report else None)
        return 0
    settings = Settings()
    log_safety.install(settings)
    if args.command in ("user", "purge"):
        from bot.console import commands as console

        if args.command == "purge":
            return console.run_purge(settings)
        if args.user_command == "add":
            return console.user_add(settings, args.login, args.role, args.name,
                                    args.password_stdin)
        if args.user_command == "password":
            return console.user_password(settings, args.login, args.password_stdin)
        if args.user_command in ("disable", "enable"):
            return console.user_active(settings, args.login, args.user_command == "enable")
        if args.user_command == "totp-off":
            return console.user_totp_off(settings, args.login)
        return console.user_list(settings)
    if args.command == "lti":
        if args.lti_command == "keys":
            return lti_keys(settings, force=args.force)
        return lti_urls(settings)
    if args.command == "train":
        train(settings, force=args.force)
        return 0
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
