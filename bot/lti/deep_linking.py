"""Deep linking: a teacher chooses where the learners start, Bagou answers Moodle with a
signed link (LtiDeepLinkingResponse).

In Moodle, « Sélectionner un contenu » when adding Bagou to a course sends an
LtiDeepLinkingRequest. Bagou shows a page with the starts (`starts()`): the general chat,
a theme, or the course in the chat when there is one. The teacher's choice goes back to
Moodle as one `ltiResourceLink` whose custom parameter `bagou_depart` names the start;
Moodle sends it back in the `custom` claim of every launch of that link, signed, and
`first_message()` turns it into the first message of the learner's conversation.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource

from bot.chat.topics import all_topics
from bot.settings import PROJECT_ROOT
from bot.texts import text

DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
START_PARAM = "bagou_depart"
GENERAL = "discussion"
COURSE = "cours"
# The course in the chat (actions/formation.py): the payload that starts it, as the
# course's buttons send it (bot/chat/service.py COURSE_START).
COURSE_START = "/autoformation_module"
COURSE_FILE = PROJECT_ROOT / "formation" / "formation.yml"
# The themes a teacher may start on: the topics a course about badges most often needs.
THEMES = ("badge_definition", "obtenir_badge", "recevoir_badge", "partager_badge",
          "enrichir_badge", "badges_moodle")


@dataclass(frozen=True)
class Start:
    value: str          # what `bagou_depart` holds
    label: str          # what the teacher reads in the choice
    title: str          # the activity's name offered to Moodle
    message: str | None  # the first message sent in the learner's conversation


def starts(course_file: Path = COURSE_FILE) -> list[Start]:
    topics = all_topics()
    found = [Start(GENERAL, text("lti_depart_discussion"), text("lti_titre_page"), None)]
    for topic_id in THEMES:
        if topic_id in topics:
            title = topics[topic_id].title
            found.append(Start(f"theme:{topic_id}", title, f"Bagou : {title}", title))
    if course_file.exists():
        found.append(Start(COURSE, text("lti_depart_cours"),
                           f"Bagou : {text('lti_depart_cours')}", COURSE_START))
    return found


def find_start(value: object) -> Start | None:
    return next((s for s in starts() if s.value == value), None)


def first_message(claims: dict) -> str | None:
    """The first message of a launch of a link made by deep linking, or None (general)."""
    custom = claims.get(CUSTOM)
    value = custom.get(START_PARAM) if isinstance(custom, dict) else None
    start = find_start(value) if isinstance(value, str) else None
    return start.message if start else None


def response_jwt(registration, deployment_id: str, settings: dict, start: Start,
                 launch_url: str) -> str:
    """The signed LtiDeepLinkingResponse (pylti1p3's DeepLink) with the chosen link."""
    resource = (DeepLinkResource().set_url(launch_url).set_title(start.title)
                .set_custom_params({START_PARAM: start.value}))
    return DeepLink(registration, deployment_id, cast(Any, settings)).get_response_jwt([resource])
