"""Shapes of the chat API (documented in the OpenAPI page at /docs).

With bot/errors.py, the API's contract: the routes (bot/api/) answer with these shapes
and the chat service (bot/chat/) builds them. A reply also validates from an object with
the same attributes (`from_attributes`): the badge checker's own replies
(bot/verify/answer.py), which know nothing of this module.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field

from bot import pictograms
from bot.texts import printable

# A string as people and programs send it, cleaned once here for every route.
Text = Annotated[str, AfterValidator(printable)]


class ChatRequest(BaseModel):
    session_id: Text | None = Field(
        None, description="Conversation id returned by an earlier answer; empty to start one."
    )
    text: Text = Field(..., description="The person's message, 1 to 1000 signs.")
    site_token: Text | None = Field(
        None,
        description="Optional JWT (HS256) signed by the host site that identifies the "
        "learner (claims iss, email, exp, name). Binds the learner to the session.",
    )


class Button(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    payload: str


class Link(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    url: str


class Reply(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    text: str
    buttons: list[Button] = Field([], description="Choices: send `payload` as the next text.")
    links: list[Link] = Field([], description="Pages to open, in a new tab.")
    id: int | None = Field(None, description="Message id: give it to /api/feedback.")


class Pictogram(BaseModel):
    """The picture of a topic's theme (OpenMoji, widget/pictogrammes.yml)."""

    id: str
    url: str = Field(..., description="The SVG file, relative to the gateway's address.")
    name: str = Field(..., description="Short French name, shown beside the picture.")


def _pictogram(topic: str | None) -> Pictogram | None:
    found = pictograms.for_topic(topic)
    return Pictogram(id=found.id, url=found.url, name=found.name) if found else None


class ChatResponse(BaseModel):
    session_id: str
    replies: list[Reply]
    topic: str = Field(..., description="Topic id from topics.yml that this turn answers.")

    @computed_field(description="The pictogram of the topic's theme, if it has one.")  # type: ignore[prop-decorator]
    @property
    def pictogram(self) -> Pictogram | None:
        return _pictogram(self.topic)


class ErrorResponse(BaseModel):
    """Every error of the API has this shape; `message` and `replies` are FALC French."""

    error: str = Field(..., description="Stable error code, for programs.")
    message: str
    session_id: str | None = None
    replies: list[Reply]
    topic: str | None = None


class Health(BaseModel):
    status: str = Field(..., description="ok when every part answers; partial when some "
                        "Rasa instances do not but Bagou can answer; else degraded.")
    rasa: bool = Field(..., description="at least one Rasa instance answers")
    rasa_instances: dict[str, bool] = Field(
        default_factory=dict, description="whether each Rasa instance answers, by URL")
    actions: bool
    database: bool


# --- The widget: history of a conversation, feedback on an answer ------------------


class HistoryMessage(BaseModel):
    id: int
    sender: Literal["user", "bot"]
    text: str = Field(..., description="As the person saw it: their own texts are stored "
                      "with e-mail addresses and phone numbers masked; a chosen button "
                      "shows its title.")
    buttons: list[Button] = []
    links: list[Link] = []
    topic: str | None = None
    feedback: Literal["up", "down"] | None = Field(None, description="The thumb given, if any.")

    @computed_field(description="The pictogram of the answer's topic, if it has one.")  # type: ignore[prop-decorator]
    @property
    def pictogram(self) -> Pictogram | None:
        return _pictogram(self.topic) if self.sender == "bot" else None


class History(BaseModel):
    session_id: str
    messages: list[HistoryMessage]


class FeedbackRequest(BaseModel):
    session_id: Text
    message_id: int = Field(..., description="`id` of a reply of the assistant.")
    value: Literal["up", "down"]


class Feedback(BaseModel):
    session_id: str
    message_id: int
    value: Literal["up", "down"]
    topic: str | None = Field(None, description="Topic of the answer that got the thumb.")
