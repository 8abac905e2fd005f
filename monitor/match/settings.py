"""keywords.yaml as pydantic models: places, and topics with their rules (the rule language is the rest of match/)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from monitor.settings import StrictModel, identifier

TopicId = Annotated[str, AfterValidator(identifier("knife-crime"))]
FIELDS = ("title", "summary", "body")


class TopicConfig(StrictModel):
    id: TopicId
    name: str
    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    not_: list[str] = Field(default_factory=list, alias="not")
    ignore: list[str] = Field(default_factory=list)
    place: str | list[str] | None = None
    fields: list[str] = Field(default_factory=lambda: list(FIELDS))
    urgent: bool = False
    stem: bool = False

    model_config = ConfigDict(populate_by_name=True)  # with StrictModel's: unknown keys are errors, frozen

    @field_validator("any", "all", "not_", "ignore", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: object) -> object:
        # Staff often leave `not:` with nothing after it; that means "none", not a mistake.
        return [] if value is None else value

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in FIELDS]
        if unknown or not value:
            raise ValueError(f"fields must be some of {', '.join(FIELDS)}; got {', '.join(unknown) or 'nothing'}")
        return value

    @model_validator(mode="after")
    def _something_to_find(self) -> TopicConfig:
        if not self.any and not self.all:
            raise ValueError(
                "a topic needs at least one term in 'any' or 'all'; add the words that make a story relevant"
            )
        return self

    @property
    def places(self) -> list[str]:
        if self.place is None:
            return []
        return [self.place] if isinstance(self.place, str) else list(self.place)


class KeywordsFile(StrictModel):
    places: dict[str, list[str]] = Field(default_factory=dict)
    topics: list[TopicConfig]
