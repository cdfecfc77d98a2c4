"""Shapes of the chat API (documented in the OpenAPI page at /docs)."""

from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    session_id: str | None = Field(
        None, description="Conversation id returned by an earlier answer; empty to start one."
    )
    text: str = Field(..., description="The person's message, 1 to 1000 signs.")


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
    status: str = Field(..., description="ok when every part answers, else degraded.")
    rasa: bool
    actions: bool
    database: bool
