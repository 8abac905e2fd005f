"""keywords.yaml as pydantic models: places, and topics with their rules (the rule language is the rest of match/)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from monitor.settings import PlaceRef, StrictModel, identifier, place_names

TopicId = Annotated[str, AfterValidator(identifier("knife-crime"))]
FIELDS = ("title", "summary", "body")


def _blank_is_empty(value: object) -> object:
    # Staff often leave `not:` with nothing after it; that means "none", not a mistake.
    return [] if value is None else value


Terms = Annotated[list[str], BeforeValidator(_blank_is_empty)]  # a list of terms as staff write it


class TopicConfig(StrictModel):
    id: TopicId
    name: str
    any: Terms = Field(default_factory=list)
    all: Terms = Field(default_factory=list)
    not_: Terms = Field(default_factory=list, alias="not")
    ignore: Terms = Field(default_factory=list)
    place: PlaceRef = None
    fields: list[str] = Field(default_factory=lambda: list(FIELDS))
    urgent: bool = False
    stem: bool = False

    model_config = ConfigDict(populate_by_name=True)  # with StrictModel's: unknown keys are errors, frozen

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
        return place_names(self.place)


class PlaceList(StrictModel):
    """One list under `places:`: the names that count as the place (`any`), and names inside which they do not
    (`not`: "Southend United" is not a mention of Southend)."""

    any: Terms
    not_: Terms = Field(default_factory=list, alias="not")

    model_config = ConfigDict(populate_by_name=True)


def _plain_list_is_any(value: object) -> object:
    """`southend: [Southend, Westcliff]` is short for `southend: {any: [Southend, Westcliff]}`."""
    if value is None or isinstance(value, list):
        return {"any": value}
    if isinstance(value, dict):
        return value
    raise ValueError(
        "must be a list of place names, or any: and not: lists of names; "
        "e.g. [Southend, Westcliff], or {any: [Southend, Westcliff], not: [Southend United]}"
    )


class KeywordsFile(StrictModel):
    places: dict[str, Annotated[PlaceList, BeforeValidator(_plain_list_is_any)]] = Field(default_factory=dict)
    topics: list[TopicConfig]
