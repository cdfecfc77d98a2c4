"""What the tests share; no test module imports another test module or conftest.

- api.py:       the API's one error shape, asserted in one place;
- badges.py:    Open Badges to check (OB 2.0 hosted and signed, OB 3.0, baked images)
                and BadgeServer, the issuer's site on loopback;
- browser.py:   Debian's Chromium (BAGOU_CHROMIUM, as scripts/browser.sh reads it), the
                gateway alone on uvicorn with Rasa replaced, a page's script errors;
- cheap.py:     what makes the tests' set-up cheap (one migrated SQLite copied per test,
                argon2id at its cheapest, shared SSL contexts), installed by conftest.py;
- clock.py:     FakeClock, a clock and a sleep that cost no real time;
- course.py:    CourseRasa, the real course action played in place of Rasa;
- console.py:   signing in to the adviser console, its CSRF token, a badge look-up;
- fuzz.py:      hypothesis strategies that mutate badges, and the documented verdicts;
- lti.py:       Platform, an LTI 1.3 platform emulator that behaves like Moodle (launches,
                key sets that hang or rotate, dynamic registration), and the LTI asserts;
- processes.py: the real product started with `bagou run` (RunningBagou);
- services.py:  throwaway PostgreSQL and Redis servers (scripts/services.sh installs them).
"""
