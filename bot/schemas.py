"""Shapes of the chat API (documented in the OpenAPI page at /docs)."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

# Control characters (line breaks and tabs excepted) and lone surrogates (halves of a
# UTF-16 pair, which JSON's « \ud800 » can carry but no database can store).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(value: str) -> str:
    return _UNPRINTABLE.sub("", value)


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
    title: str
    payload: str


class Link(BaseModel):
    title: str
    url: str


class Reply(BaseModel):
    text: str
    buttons: list[Button] = Field([], description="Choices: send `payload` as the next text.")
    links: list[Link] = Field([], description="Pages to open, in a new tab.")
    id: int | None = Field(None, description="Message id: give it to /api/feedback.")


class ChatResponse(BaseModel):
    session_id: str
    replies: list[Reply]
    topic: str = Field(..., description="Topic id from topics.yml that this turn answers.")


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
