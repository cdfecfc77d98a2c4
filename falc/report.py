"""The report that a content editor reads, in French."""

from falc.checker import Result, Summary, summarise
from falc.rules import FAIL, WARN
from falc.syllables import counter_name
from falc.texts import ANSWER, EXPLANATION, TITLE

LABELS = {FAIL: "ÉCHEC ", WARN: "ALERTE"}


def number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def describe(result: Result) -> list[str]:
    source = result.source
    where = source.origin
    if source.also_in:
        where += f" (et {count(source.also_in, 'autre endroit', 'autres endroits')})"
    lines = [where]
    if source.kind == TITLE:
        lines.append(f"  Bouton : « {source.text} »")
    # Failures first: they block the text.
    for f in sorted(result.findings, key=lambda f: f.level != FAIL):
        lines.append(f"  {LABELS[f.level]} · {f.rule}" + (f" ({f.detail})" if f.detail else ""))
        if f.sentence and source.kind != TITLE:
            lines.append(f"    Phrase : « {f.sentence} »")
        lines.append(f"    À faire : {f.advice}")
    return lines


def summary_lines(summary: Summary) -> list[str]:
    counts = [f"  Alertes : {summary.warnings}", f"  Échecs : {summary.failures}"]
    if not summary.sentences:
        return ["Résumé", *counts]
    share = 100 * summary.over_12 / summary.sentences
    lines = [
        "Résumé",
        f"  Réponses (bulles de texte) : {summary.answers}, phrases : {summary.sentences}",
        f"  Mots par phrase en moyenne : {number(summary.mean_words)}",
        f"  Phrases de plus de 12 mots : {summary.over_12} sur {summary.sentences} "
        f"({number(share)} %) ; de plus de 15 mots : {summary.over_15}",
        f"  Facilité de lecture Kandel–Moles, moyenne des réponses : "
        f"{number(summary.mean_reading_ease)} (toutes les réponses ensemble : "
        f"{number(summary.pooled_reading_ease)})",
    ]
    if summary.mean_reading_ease_long is not None:
        lines.append(f"    sur les {summary.long_answers} réponses de 30 mots ou plus : "
                     f"{number(summary.mean_reading_ease_long)}")
    lines.append(f"    syllabes comptées avec : {counter_name()}")
    return lines + counts


def render(results: list[Result]) -> str:
    counted = {kind: sum(1 for r in results if r.source.kind == kind)
               for kind in (ANSWER, TITLE, EXPLANATION)}
    lines = [f"Vérification FALC de {count(len(results), 'texte')} : "
             f"{count(counted[ANSWER], 'réponse')}, "
             f"{count(counted[TITLE], 'titre de bouton', 'titres de boutons')}, "
             f"{count(counted[EXPLANATION], 'explication du glossaire', 'explications du glossaire')}.",
             ""]
    for result in results:
        if result.findings:
            lines += describe(result) + [""]
    summary = summarise(results)
    lines += summary_lines(summary)
    lines.append("")
    if summary.failures:
        lines.append("Résultat : des textes ne respectent pas les règles FALC. Corrigez les échecs.")
    elif summary.warnings:
        lines.append("Résultat : aucun échec. Relisez les alertes.")
    else:
        lines.append("Résultat : tous les textes respectent les règles FALC vérifiées.")
    return "\n".join(lines)
