"""A fixture world of local crime news for grouping stories: syndicated copies and look-alike incidents.

Every article belongs to an incident (the truth a grouping is judged against). The world holds:

- originals: one outlet's report of an incident, written from its kind's sentence templates in that outlet's house
  phrasing, with the Essex Police appeal most crime copy ends with and the outlet's own stock lines;
- copies: another outlet's version of an original under a rewritten headline, keeping 80-95% of the text (sentences
  dropped, a few words changed, its own stock lines instead of the first outlet's), hours later;
- updates: the first outlet republishing its report under a new link and headline with a new opening paragraph;
- look-alikes: different incidents under templated headlines from one outlet on one day ("Man stabbed in Westcliff
  street" / "Man stabbed in Southend street"), written from the same templates in the outlet's usual phrasing, so they
  share its stock lines and the police appeal and differ in the facts;
- police releases: short appeals from the police under one headline template (two sentences and the appeal), one of
  them run by the Echo under its own headline;
- briefs: different police appeals relayed by other outlets as one sentence and the appeal (mostly shared wording);
- short items: feed summaries only (a page that could not be read), of one sentence: a wire item repeated word for
  word by several outlets under the same headline, and stock summaries an outlet puts under every story.

Everything comes from a seeded generator: the same seed gives the same world.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

OUTLETS = {
    "echo": "Southend Echo",
    "yellow": "Yellow Advertiser",
    "nub": "Leigh Nub News",
    "bbc": "BBC Essex",
    "police": "Essex Police",
    "standard": "Basildon Standard",
    "wire": "Essex Wire",
}

# Each outlet's stock lines, as page extraction leaves them around the story.
STOCK = {
    "echo": "Do you have a story for the Echo? Email the newsdesk or message us on our social media pages. Sign up to "
    "our free crime newsletter to get the latest court and crime news sent to your inbox every weekday.",
    "yellow": "Follow the Yellow Advertiser on Facebook and X for the latest news from across south Essex. Got a "
    "story? Get in touch with our reporters.",
    "nub": "Leigh Nub News is a free local news site run by local people. Support independent local journalism by "
    "becoming a member today.",
    "bbc": "Follow BBC Essex on Facebook, X and Instagram. Send your story ideas to the BBC Essex newsroom.",
    "police": "You can also report information online at the Essex Police website. Our officers work around the clock "
    "to keep Essex safe.",
    "standard": "Read more of the latest news from Basildon, Billericay and Wickford in the Standard every week.",
    "wire": "This story was supplied by Essex Wire, the county's news agency, to its subscribers.",
}

APPEAL = (
    "Anyone who saw what happened, or who has dashcam, doorbell or mobile phone footage of the area at the time, is "
    "asked to contact Essex Police quoting incident {incident} of {date}. You can submit information online or call "
    "101. Alternatively, contact the independent charity Crimestoppers anonymously on 0800 555 111 or through their "
    "website."
)

PLACES = ("Westcliff", "Southend", "Leigh-on-Sea", "Shoeburyness", "Prittlewell", "Eastwood", "Rochford", "Basildon",
          "Benfleet", "Canvey Island", "Hadleigh", "Rayleigh", "Thorpe Bay", "Wickford")  # fmt: skip
STREETS = ("London Road", "Hamlet Court Road", "Victoria Avenue", "Southchurch Road", "Fairfax Drive", "Station Road",
           "Eastwood Road", "Broadway", "North Road", "Queensway", "Sutton Road", "Bournemouth Park Road",
           "Chalkwell Avenue", "Leigh Hall Road", "Elm Road", "Ness Road", "Marine Parade", "Hobleythick Lane",
           "Kent Elms Close", "Carlton Avenue")  # fmt: skip
OFFICERS = ("Detective Constable Sam Hart", "Detective Sergeant Priya Shah", "Inspector Tom Reilly",
            "Detective Inspector Claire Dunn", "Chief Inspector Leon Marsh", "Sergeant Amy Cole",
            "Detective Constable Joe Patel", "Inspector Ruth Okafor")  # fmt: skip
WITNESSES = ("Karen Moss", "Julie Ward", "Sandra Bright", "Michelle Doyle", "Tina Patel", "Lorraine Hughes",
             "Denise Clarke", "Paula Grant")  # fmt: skip
COUNCILLORS = ("Helen Boyd", "Daniel Cowan", "Marie Fenton", "James Kirby", "Anita Rowe", "Stephen Lees")
SHOPS = ("the Co-op", "Costa Coffee", "the Railway pub", "a kebab shop", "Tesco Express", "the post office",
         "the launderette", "the bookmakers")  # fmt: skip
HEIGHTS = ("5ft 6in", "5ft 8in", "5ft 10in", "6ft", "6ft 2in")
COLOURS = ("black", "grey", "navy", "white", "red", "green", "silver", "blue")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMES = ("about 9.15pm", "shortly after 11pm", "around 2am", "about 4.30pm", "just before 7pm", "around 1.45am",
         "about 10.40am", "shortly before midnight")  # fmt: skip
VICTIMS = ("man", "woman", "teenage boy", "teenage girl", "man in his 40s", "woman in her 30s", "man in his 20s")
WEAPONS = ("knife", "machete", "bladed article", "kitchen knife", "screwdriver")
INJURIES = ("injuries which are not thought to be life-threatening", "serious but stable injuries",
            "a wound to the leg", "life-changing injuries", "cuts to the arm and hand")  # fmt: skip


@dataclass(frozen=True)
class Article:
    source: str
    incident: str  # the truth: articles of one incident are one story
    role: str  # "original", "copy", "update", "look-alike", "release", "brief", "wire-short", "stock-short"
    title: str
    text: str  # what page extraction gave, else the feed summary
    url: str
    published: datetime

    @property
    def words(self) -> int:
        return len(self.text.split())


# --- the kinds of incident: headline templates and sentence templates, each slot in several phrasings -----------------

# Headlines an outlet writes; look-alikes of one outlet use the same one, copies another.
HEADLINES = {
    "stabbing": ("{Victim} stabbed in {place} street", "{Victim} taken to hospital after {place} stabbing",
                 "Arrest after {victim} stabbed on {street}", "{Place} stabbing: {victim} injured in {street} attack",
                 "Police appeal after {victim} stabbed in {place}"),
    "robbery": ("{Victim} robbed at knifepoint in {place}", "Knifepoint robbery on {street}, {place}",
                "Appeal after {victim} robbed in {place} street", "{Place} robbery: {victim} threatened with knife",
                "Phone snatched at knifepoint on {street}"),
    "cannabis": ("Cannabis factory found in {place} house", "Hundreds of cannabis plants seized in {place}",
                 "{Place} cannabis farm raid: arrest made", "Police find cannabis farm on {street}",
                 "Drugs raid uncovers {place} cannabis grow"),
    "burglary": ("Burglars target {place} home", "{Place} burglary: jewellery stolen from {street} house",
                 "Appeal after {street} burglary in {place}", "Homeowner wakes to burglars in {place}",
                 "Police hunt burglars after {place} break-in"),
}  # fmt: skip

SENTENCES = {
    "stabbing": (
        ("A {victim} has been taken to hospital after being stabbed in {street}, {place}, on {day} night.",
         "A {victim} was stabbed in {street} in {place} on {day} and taken to hospital.",
         "Police were called to {street}, {place}, on {day} after reports a {victim} had been stabbed."),
        ("Emergency services were called at {time} following reports of a fight outside {shop}.",
         "Officers and paramedics arrived outside {shop} at {time}, a few minutes after the first 999 call.",
         "The alarm was raised at {time} by staff at {shop}, who saw the {victim} collapse on the pavement."),
        ("The victim suffered {injury} after being attacked with a {weapon}.",
         "The {victim} was found with {injury}; a {weapon} is believed to have been used.",
         "Paramedics treated the victim for {injury} at the scene before taking them to Southend Hospital."),
        ("{witness}, who lives nearby, said she heard shouting and saw two people running towards {street2}.",
         "{witness}, who works at {shop}, said: \"It was over in seconds, and then there was blood everywhere.\"",
         "Neighbour {witness} said she had called the police about groups gathering in {street} {count} times."),
        ("A {age}-year-old from {home} was arrested on suspicion of wounding with intent and remains in custody.",
         "A {age}-year-old {home} man has been arrested on suspicion of grievous bodily harm.",
         "Officers later arrested a {age}-year-old from {home}, who is being questioned at Southend police station."),
        ("A cordon was put in place between {street} and {street2} and was lifted on {day2} morning.",
         "Part of {street} was closed for {count} hours while forensic officers examined the scene.",
         "The {bus} bus was diverted away from {street} until the early hours of {day2}."),
        ("{officer} said: \"This was a frightening incident for the victim and for the people who live in {place}, "
         "and we are doing everything we can to establish exactly what happened in {street}.\"",
         "{officer} said: \"We believe this was an isolated incident and there is no wider risk to the public, but "
         "we still need to hear from anyone who was near {shop} that night.\"",
         "{officer} said: \"Knife crime has no place in {place}, and the arrest of a {age}-year-old shows how "
         "quickly we act.\""),
        ("Councillor {councillor}, who represents {place}, said residents of {street} deserved to feel safe.",
         "{place} ward councillor {councillor} said she would raise the attack at the next community safety meeting.",
         "Councillor {councillor} called for more patrols in {place} after the {count}th stabbing this year."),
        ("Extra patrols will be carried out in {place} over the coming days to reassure residents.",
         "Neighbourhood officers will be at {shop} on {day2} and residents can speak to them about any concerns.",
         "Knife arches will be used at {place} station this weekend, police said."),
    ),
    "robbery": (
        ("A {victim} was threatened with a {weapon} and robbed in {street}, {place}, on {day}.",
         "Police are appealing for witnesses after a {victim} was robbed at knifepoint on {street} in {place}.",
         "A {victim} had their phone and wallet taken by a man carrying a {weapon} in {place} on {day}."),
        ("The robbery happened at {time} as the victim walked home from {place} station.",
         "It happened at {time} near the junction of {street} and {street2}.",
         "The victim was approached at {time} outside {shop} by two men on bicycles."),
        ("The robbers took a mobile phone, bank cards and {value} in cash before running off towards {street2}.",
         "They demanded the victim's phone and bag and fled towards {street2} on foot.",
         "The men made off with a phone and a watch worth {value}, heading in the direction of {street2}."),
        ("The victim, a {age2}-year-old, was not injured but was left badly shaken.",
         "The {age2}-year-old victim escaped without physical injury but is said to be extremely distressed.",
         "Although not hurt, the victim was described by {witness} as shaken by the ordeal."),
        ("One suspect is described as white, around {height} tall, and was wearing a {colour} tracksuit and a mask.",
         "The first man, about {height}, wore a {colour} puffer jacket; the second, a balaclava and {colour2} joggers.",
         "Both suspects were in their late teens, one in a {colour} hoodie and the other about {height} tall."),
        ("It is the {count}th robbery reported in {place} since September, according to police figures.",
         "Shopkeepers on {street} say robberies have become more common since the {bus} bus route was cut.",
         "{witness}, who runs {shop}, said she had handed footage from her shop camera to detectives."),
        ("{officer} said: \"Robberies like this have a lasting effect on victims, and we are determined to find the "
         "people responsible for this one in {place}.\"",
         "{officer} said: \"We are reviewing CCTV from {street} and speaking to businesses, including {shop}.\"",
         "{officer} said: \"If you were in {street} at {time}, please get in touch, however small the detail.\""),
        ("Councillor {councillor} said the robbery showed why {place} needed its police station counter reopened.",
         "Residents will be able to raise their concerns with officers at a street meeting in {street2} on {day2}.",
         "Police said patrols around {place} station would be stepped up in the evenings."),
    ),
    "cannabis": (
        ("Officers found {plants} cannabis plants when they raided a house in {street}, {place}, on {day}.",
         "More than {plants} cannabis plants were seized from a property in {street}, {place}, on {day}.",
         "A cannabis factory containing {plants} plants was discovered at a house in {place} on {day}."),
        ("The plants, with an estimated street value of {value}, were spread across {rooms} rooms.",
         "Police estimate the crop would have been worth {value} on the street.",
         "The set-up, across {rooms} rooms and the loft, had a potential value of {value}, officers said."),
        ("The electricity supply had been bypassed, creating a serious fire risk to the homes either side in {street}.",
         "Officers found the meter had been tampered with, putting {count} neighbouring houses at risk of fire.",
         "An illegal connection to the mains was found, which firefighters from {home} described as dangerous."),
        ("A {age}-year-old from {home} was arrested on suspicion of producing a controlled drug.",
         "A {age}-year-old man from {home} was detained at the address and later charged.",
         "Two men, aged {age} and {age2}, were arrested at the scene in {street}."),
        ("Neighbours had reported a strong smell and windows covered with foil {count} weeks before the raid.",
         "{witness}, who lives opposite, said she had noticed people visiting the house at {time} most nights.",
         "The house, near {shop}, had been rented out {count} months ago, neighbours said."),
        ("{officer} said: \"Cannabis farms are often linked to organised crime and exploitation, and this one in "
         "{place} was no different.\"",
         "{officer} said: \"Information from the community led us to {street}, and we will act on every report.\"",
         "{officer} said: \"Drugs bring violence to our streets; taking {plants} plants out of {place} matters.\""),
        ("The plants will be destroyed, and the landlord of the {place} house has been told about the damage.",
         "Council officers are working with the landlord to make the house in {street} safe.",
         "Councillor {councillor} thanked residents of {street} for reporting their suspicions."),
    ),
    "burglary": (
        ("Burglars broke into a house in {street}, {place}, on {day} and stole jewellery and cash.",
         "A home in {street} in {place} was burgled on {day} while the family slept upstairs.",
         "Police are investigating a burglary at a house in {place} on {day}."),
        ("The intruders got in through a rear window at {time}.",
         "They forced the back door at {time}, police said.",
         "Entry was gained through a side gate and a kitchen window at {time}."),
        ("Items taken include a gold necklace, two watches and a laptop worth about {value}.",
         "They took car keys, a handbag and jewellery worth around {value}.",
         "The stolen items, valued at {value}, include a wedding ring of great sentimental value."),
        ("A neighbour saw two people leaving in a small {colour} car towards {street2} at about {time2}.",
         "A witness reported seeing a man climbing over a fence into {street2} shortly afterwards.",
         "Doorbell footage from {street2} showing a man in a {colour} jacket is being examined by detectives."),
        ("The homeowner, {witness}, said: \"We have lived in {place} for {count} years and never had anything like "
         "this happen.\"",
         "{witness}, whose mother lives in the house, said the family felt violated and would be fitting new locks.",
         "It is the {count}th burglary in {street} this year, according to residents who have set up a watch group."),
        ("{officer} said: \"Being burgled is deeply upsetting, and we are checking doorbell and CCTV footage from "
         "{street} and the roads around it.\"",
         "{officer} said: \"We are urging residents in {place} to keep windows and doors locked, even when home.\"",
         "{officer} said: \"The ring taken from this house in {place} is irreplaceable to its owner.\""),
        ("Crime prevention officers will be giving advice at {shop} on {day2} morning.",
         "Police are offering free property marking to residents of {street} and {street2}.",
         "Councillor {councillor} said the council would look at better street lighting in {street2}."),
    ),
}  # fmt: skip

HOUSE_STYLE = 0.5  # how often a report uses its outlet's usual phrasing of a sentence

# How a copy rewords: a few of these swaps, where the text has them.
SWAPS = (("Police", "Officers"), ("police", "officers"), (" said:", " added:"), ("was arrested", "has been arrested"),
         ("on suspicion of", "on suspicion of"), ("taken to hospital", "rushed to hospital"), ("victim", "casualty"),
         ("residents", "neighbours"), ("house", "property"), ("about", "around"))  # fmt: skip


# --- making the world -----------------------------------------------------------------------------------------------


def build_world(*, seed: int = 10, incidents_per_day: int = 8, days: int = 3) -> list[Article]:
    """Articles of ``days`` days, oldest first: each day ``incidents_per_day`` incidents (originals, with their copies
    and updates), a set of look-alike incidents per outlet, a wire item in several outlets and stock summaries."""
    maker = _WorldMaker(random.Random(seed))
    for day in range(days):
        maker.day(day, incidents_per_day)
    return sorted(maker.articles, key=lambda article: (article.published, article.url))


class _WorldMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.articles: list[Article] = []
        self.incidents = 0

    def day(self, day: int, count: int) -> None:
        morning = START + timedelta(days=day)
        for _ in range(count):
            self.incident(self.rng.choice(tuple(SENTENCES)), morning + timedelta(minutes=self.rng.randrange(0, 720)))
        for outlet in ("echo", "police", "yellow"):
            self.look_alikes(outlet, self.rng.choice(tuple(SENTENCES)), morning, self.rng.randrange(3, 5))
        self.police_releases(morning, self.rng.randrange(3, 6))
        self.relayed_appeals(morning)
        self.wire_item(morning + timedelta(hours=self.rng.randrange(1, 12)))
        self.stock_summaries("nub", morning)

    def incident(self, kind: str, when: datetime) -> None:
        name, facts = self._new_incident(kind, when)
        first, *others = self.rng.sample([o for o in OUTLETS if o != "wire"], self.rng.randrange(2, 5))
        sentences = _sentences(kind, self._phrasing(first, kind), facts)
        headline = self.rng.randrange(len(HEADLINES[kind]))
        original = self._article(first, name, "original", _headline(kind, headline, facts), sentences, when)
        for number, outlet in enumerate(others, start=1):
            later = when + timedelta(hours=self.rng.uniform(0.5, 30))
            title = _headline(kind, (headline + number) % len(HEADLINES[kind]), facts)
            kept = self._keep(sentences, self.rng.uniform(0.80, 0.95))
            reworded = [self._reword(sentence) for sentence in kept]
            self._article(outlet, name, "copy", title, reworded, later)
        if self.rng.random() < 0.3:
            update = (
                f"A {facts['age2']}-year-old has now been charged and will appear before Southend Magistrates' Court."
            )
            later = when + timedelta(hours=self.rng.uniform(20, 60))
            title = "Charged: " + original.title
            self._article(first, name, "update", title, [update, *sentences], later, slug="charged")

    def look_alikes(self, outlet: str, kind: str, morning: datetime, count: int) -> None:
        """``count`` different incidents the outlet writes up the same way on one day."""
        headline = self.rng.randrange(len(HEADLINES[kind]))
        for _ in range(count):
            when = morning + timedelta(minutes=self.rng.randrange(0, 900))
            name, facts = self._new_incident(kind, when)
            sentences = _sentences(kind, self._phrasing(outlet, kind), facts)
            self._article(outlet, name, "look-alike", _headline(kind, headline, facts), sentences, when)

    def police_releases(self, morning: datetime, count: int) -> None:
        """Short appeals from the police under one headline template, each two sentences and the appeal; the Echo
        runs the first under its own headline, without the police's stock line."""
        kind = self.rng.choice(tuple(SENTENCES))
        for number in range(count):
            when = morning + timedelta(minutes=self.rng.randrange(0, 900))
            name, facts = self._new_incident(kind, when)
            sentences = _sentences(kind, self._phrasing("police", kind), facts)
            short = [*sentences[:2], sentences[-1]]
            self._article("police", name, "release", _headline(kind, 4, facts), short, when)
            if number == 0:
                title = _headline(kind, 0, facts)
                self._article("echo", name, "copy", title, short, when + timedelta(hours=2))

    def relayed_appeals(self, morning: datetime) -> None:
        """Different police appeals, each relayed by another outlet as a brief: one sentence and the appeal."""
        for outlet in ("echo", "yellow", "nub", "standard"):
            when = morning + timedelta(minutes=self.rng.randrange(0, 900))
            kind = self.rng.choice(tuple(SENTENCES))
            name, facts = self._new_incident(kind, when)
            sentences = _sentences(kind, self._phrasing("police", kind), facts)
            title = _headline(kind, self.rng.randrange(len(HEADLINES[kind])), facts)
            self._short(outlet, name, "brief", title, f"{sentences[0]}\n\n{sentences[-1]}", when)

    def wire_item(self, when: datetime) -> None:
        """A one-sentence wire item that several outlets run word for word when its page cannot be read."""
        name, facts = self._new_incident("stabbing", when)
        title = _headline("stabbing", 0, facts)
        text = _fill(
            "A {victim} was stabbed in {street}, {place}, on {day} and a {age}-year-old has been arrested.", facts
        )
        for number, outlet in enumerate(self.rng.sample(["bbc", "standard", "yellow", "wire"], 3)):
            self._short(outlet, name, "wire-short", title, text, when + timedelta(minutes=20 * number))

    def stock_summaries(self, outlet: str, morning: datetime) -> None:
        """Different incidents whose feed summary is the outlet's stock line, the page not read."""
        for _ in range(3):
            when = morning + timedelta(minutes=self.rng.randrange(0, 900))
            kind = self.rng.choice(tuple(SENTENCES))
            name, facts = self._new_incident(kind, when)
            title = _headline(kind, self.rng.randrange(len(HEADLINES[kind])), facts)
            self._short(outlet, name, "stock-short", title, "Read the full story on our website.", when)

    # -- pieces --

    def _new_incident(self, kind: str, when: datetime) -> tuple[str, dict[str, str]]:
        self.incidents += 1
        rng = self.rng
        place, home = rng.sample(PLACES, 2)
        street, street2 = rng.sample(STREETS, 2)
        victim = rng.choice(VICTIMS)
        colour, colour2 = rng.sample(COLOURS, 2)
        facts = {
            "place": place,
            "home": home,
            "street": street,
            "street2": street2,
            "victim": victim,
            "day": DAYS[when.weekday()],
            "day2": DAYS[(when.weekday() + 1) % 7],
            "time": rng.choice(TIMES),
            "age": str(rng.randrange(16, 60)),
            "age2": str(rng.randrange(16, 60)),
            "officer": rng.choice(OFFICERS),
            "weapon": rng.choice(WEAPONS),
            "injury": rng.choice(INJURIES),
            "plants": str(rng.randrange(40, 600)),
            "rooms": str(rng.randrange(2, 6)),
            "value": f"£{rng.randrange(5, 250)},000",
            "incident": str(rng.randrange(100, 1500)),
            "witness": rng.choice(WITNESSES),
            "councillor": rng.choice(COUNCILLORS),
            "shop": rng.choice(SHOPS),
            "bus": str(rng.randrange(1, 30)),
            "count": str(rng.randrange(3, 9)),
            "height": rng.choice(HEIGHTS),
            "colour": colour,
            "colour2": colour2,
            "time2": rng.choice(TIMES),
            "date": f"{when.day} November",
        }
        return f"{kind}-{self.incidents}", facts

    def _article(
        self, outlet: str, incident: str, role: str, title: str, sentences: list[str], when: datetime, slug: str = ""
    ) -> Article:
        text = "\n\n".join([*sentences, STOCK[outlet]])
        return self._add(outlet, incident, role, title, text, when, slug)

    def _short(self, outlet: str, incident: str, role: str, title: str, text: str, when: datetime) -> Article:
        return self._add(outlet, incident, role, title, text, when, "")

    def _add(self, outlet: str, incident: str, role: str, title: str, text: str, when: datetime, slug: str) -> Article:
        number = len(self.articles) + 1
        path = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        url = f"https://{outlet}.example.test/news/{number}-{path}{'-' + slug if slug else ''}"
        article = Article(outlet, incident, role, title, text, url, when)
        self.articles.append(article)
        return article

    def _keep(self, sentences: list[str], share: float) -> list[str]:
        """The sentences a copy keeps: whole sentences dropped, in a random order, while at least ``share`` of the words
        remain (the opening sentence and the appeal always stay)."""
        sizes = [len(sentence.split()) for sentence in sentences]
        total, kept = sum(sizes), sum(sizes)
        dropped = set()
        for index in self.rng.sample(range(1, len(sentences) - 1), len(sentences) - 2):
            if (kept - sizes[index]) / total >= share:
                dropped.add(index)
                kept -= sizes[index]
        return [sentence for index, sentence in enumerate(sentences) if index not in dropped]

    def _phrasing(self, outlet: str, kind: str) -> list[int]:
        """The variant of each slot one report uses: the outlet's house phrasing, seven times in ten."""
        house = _house_phrasing(outlet, kind)
        return [
            usual if self.rng.random() < HOUSE_STYLE else self.rng.randrange(len(slot))
            for usual, slot in zip(house, SENTENCES[kind], strict=True)
        ]

    def _reword(self, sentence: str) -> str:
        if self.rng.random() < 0.6:
            return sentence
        old, new = self.rng.choice(SWAPS)
        return sentence.replace(old, new, 1)


def _house_phrasing(outlet: str, kind: str) -> list[int]:
    """An outlet's house phrasing of a kind: which variant of each slot it usually writes."""
    rng = random.Random(f"{outlet}/{kind}")
    return [rng.randrange(len(slot)) for slot in SENTENCES[kind]]


def _sentences(kind: str, phrasing: list[int], facts: dict[str, str]) -> list[str]:
    written = [_fill(slot[choice], facts) for slot, choice in zip(SENTENCES[kind], phrasing, strict=True)]
    return [*written, _fill(APPEAL, facts)]


def _headline(kind: str, which: int, facts: dict[str, str]) -> str:
    return _fill(HEADLINES[kind][which], facts)


def _fill(template: str, facts: dict[str, str]) -> str:
    capitalised = {name.capitalize(): value[:1].upper() + value[1:] for name, value in facts.items()}
    return template.format(**facts, **capitalised)
