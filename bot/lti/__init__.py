"""Bagou as an LTI 1.3 tool of Moodle (or any LTI 1.3 platform), built on pylti1p3.

Read it top-down (docs/moodle.md is the administrator's side):

- routes.py:        /lti/login, /lti/launch, /lti/lien, /lti/inscription/…, /lti/jwks,
                    /lti/ouvrir: a module-level router with a rate limit per address;
- deps.py:          LtiTool, the services of the routes, on `app.state.lti`;
- registry.py:      LtiRegistry, the platforms Bagou knows (the JSON file of
                    BAGOU_LTI_CONFIG, and the approved registrations of the database);
- registrations.py: dynamic registration (Moodle registers Bagou from one URL), the
                    one-time URLs and the approvals of the console (bot/console/moodle.py);
- deep_linking.py:  « Sélectionner un contenu »: where the learners start, the signed
                    LtiDeepLinkingResponse, the first message of a chosen link;
- keyset.py:        the platforms' key sets, fetched on the event loop, bounded, cached;
- adapter.py:       pylti1p3 on Starlette/FastAPI (request, cookies, redirect), the stricter
                    checks of a launch, and the server-side storage of states, nonces and
                    launch data in the gateway's database;
- claims.py:        who the launched person is (learner or adviser);
- organisations.py: the OBF organisations whose badges a platform's learners may see;
- config.py:        the tool's key pair and pylti1p3's configuration from entries;
- pages.py:         the HTML pages (Bagou full page, choice of start, FALC refusals).
"""
