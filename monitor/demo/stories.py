"""The stories of the demo's sample site, one row each: ``sample_site`` makes their pages, the two feeds, the council's
newsroom listing and the index page from this table, so a story added here is on the site and in its outlet's feed or
listing.

Half the stories are on the demo's beat (``demo/config/keywords.yaml``) and most of the others are decoys a plain
keyword search would report: a knife-edge vote, a team without killer instinct, a stabbing in another city, a chef's
knife skills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

# The Southend Echo (demo), with an RSS feed; Essex Police (demo), with Atom; the council's newsroom, without a feed
Outlet = Literal["echo", "police", "council"]
OUTLET_NAMES: dict[Outlet, str] = {
    "echo": "Southend Echo (demo)",
    "police": "Essex Police (demo)",
    "council": "Southend-on-Sea City Council (demo)",
}


@dataclass(frozen=True)
class Story:
    slug: str  # the page is /articles/<slug>.html
    outlet: Outlet
    title: str
    published: datetime
    summary: str  # what the feed says about it
    text: str  # the article's paragraphs, separated by blank lines; line breaks inside a paragraph are spaces
    author: str | None = None  # named in the feed and the byline (police news carries no byline)
    role: str | None = None  # after the author's name in the byline: "crime reporter"
    comments: tuple[tuple[str, str], ...] = ()  # (reader, what they wrote) under the article

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(paragraph.split()) for paragraph in self.text.strip().split("\n\n")]


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


STORIES = (
    Story(
        slug="high-street-disorder",
        outlet="echo",
        title="Man taken to hospital after disorder in Southend High Street",
        published=_utc(2026, 11, 22, 9, 40),
        author="Priya Calloway",
        role="crime reporter",
        summary="Emergency services were called to the High Street in Southend late on Saturday night.",
        text="""
A man is in hospital after disorder in Southend High Street in the early hours of Sunday morning.

Police were called at about 1.20am to reports of a fight between two groups near the junction with Clifftown Road.

Witnesses said one of the men was carrying a machete. A 27-year-old man from Southchurch was stabbed in the arm
before the group ran off towards Victoria Circus.

He was treated at the scene by paramedics and taken to Southend Hospital. His injuries are not thought to be
life-threatening.

A 22-year-old man from Rochford was arrested nearby on suspicion of wounding with intent and possession of an
offensive weapon. He remains in custody.

Chief Inspector Nadia Fairbrother said: "This was a frightening incident for people enjoying a night out. Patrols
will be stepped up in the town centre over the coming weekends."

Anyone with information, or footage from phones or doorbell cameras, should call 101 quoting incident 98 of 22
November.
""",
        comments=(
            ("NightOwl", "Hope the lad recovers quickly."),
            ("SeafrontSue", "Was there on Saturday, the High Street needs more lighting."),
        ),
    ),
    Story(
        slug="more-officers-southend",
        outlet="echo",
        title="Forty more officers for Southend as commissioner sets out policing plan",
        published=_utc(2026, 11, 24, 16, 0),
        author="Jonah Wetherell",
        role="local democracy reporter",
        summary="The commissioner says neighbourhood teams in the city will be strengthened over the next two years.",
        text="""
Southend will get 40 more officers over the next two years under plans set out by Essex's Police, Fire and Crime
Commissioner.

Commissioner Rowena Blakesley told the police, fire and crime panel on Tuesday that officer numbers in the city had
fallen by 12 per cent since 2019 while calls for service had risen.

Twenty-four of the new posts will join neighbourhood teams covering Westcliff, Southchurch and Shoeburyness, with
the rest going to a town centre team based at Southend police station.

Panel member Cllr Tariq Doumbia said residents would believe the promise "when they see the uniforms on the street"
and asked for quarterly figures to be published.

The posts will be paid for from the precept rise agreed in February and a share of a national recruitment grant.
""",
        comments=(
            ("Prittlewell Pete", "About time. We never see anyone on the beat."),
            ("Realist", "Forty across a city of 180,000? Not enough."),
        ),
    ),
    Story(
        slug="budget-knife-edge-vote",
        outlet="echo",
        title="Councillors face knife-edge vote on Southend budget",
        published=_utc(2026, 11, 23, 12, 15),
        author="Jonah Wetherell",
        role="local democracy reporter",
        summary="Neither side is sure of a majority ahead of Thursday's meeting at the Civic Centre.",
        text="""
Southend councillors will decide on Thursday whether to approve a budget that closes a £9.4 million gap, with
neither side confident of a majority.

The ruling coalition holds 26 of the 51 seats on the city council, but two of its members have said they cannot
support plans to cut opening hours at three libraries.

Opposition leader Harriet Moorcroft said the proposals would "hollow out" services in Shoeburyness and Eastwood, and
urged the coalition to use reserves instead.

Finance portfolio holder Dev Raithatha said the alternative was to raise council tax by the maximum allowed without
a referendum.

If the vote is tied, the mayor will be asked to use a casting vote, something that has not happened at a budget
meeting since 2011.
""",
        comments=(
            ("Westy77", "Knife crime in Southend is out of control and they are arguing about libraries."),
            ("Bookworm", "Save our libraries!"),
        ),
    ),
    Story(
        slug="southend-united-killer-instinct",
        outlet="echo",
        title="Southend United lack killer instinct in goalless draw",
        published=_utc(2026, 11, 21, 17, 45),
        author="Callum Featherstone",
        role="sports reporter",
        summary="The Shrimpers hit the woodwork twice at Roots Hall but had to settle for a point.",
        text="""
Southend United had more than enough chances to beat Harborough Rovers at Roots Hall on Saturday, but once again
lacked the killer instinct in front of goal.

The Shrimpers hit the post twice in the first half, and substitute Kieran Ashdown saw a header cleared off the line
in stoppage time.

Manager Lena Brightwater said the performance deserved three points and that the goals would come if the team kept
creating openings.

The draw leaves Southend seventh in the table, two points off the play-off places, with a trip to the north-west to
come on Tuesday night.
""",
        comments=(
            ("ShrimperSince82", "Sign a striker in January or we are going nowhere."),
            ("RootsHallRegular", "Best home performance of the season, just no end product."),
        ),
    ),
    Story(
        slug="manchester-stabbing",
        outlet="echo",
        title="Teenager stabbed in Manchester city centre",
        published=_utc(2026, 11, 25, 7, 30),
        author="Press Association (demo)",
        summary=(
            "Greater Manchester Police have launched an appeal after a 17-year-old boy was hurt on Tuesday evening."
        ),
        text="""
A 17-year-old boy was stabbed in Manchester city centre on Tuesday evening.

Officers were called to Piccadilly Gardens at about 6.45pm and found the boy with a wound to his back. He was taken
to the Manchester Royal Infirmary, where he is in a stable condition.

Two boys, aged 15 and 16, have been arrested on suspicion of wounding with intent.

Detective Inspector Olu Bankole said: "We understand the concern this will cause, and there will be a visible
presence in the area while our inquiries continue."

Anyone with information is asked to contact Greater Manchester Police or Crimestoppers.
""",
        comments=(("NorthernLass", "Terrible news, hope he is OK."),),
    ),
    Story(
        slug="knife-skills-winter-veg",
        outlet="echo",
        title="Knife skills: a Leigh-on-Sea chef's guide to winter vegetables",
        published=_utc(2026, 11, 20, 11, 0),
        author="Imogen Thwaite",
        role="food writer",
        summary="Five techniques that make a squash, a celeriac and a bag of sprouts less daunting.",
        text="""
Chef Rafael Oyelaran, who runs a small kitchen on Leigh-on-Sea's Broadway, says most home cooks struggle with winter
vegetables because their knife is blunt, not because the vegetables are hard.

Start with the claw grip: tuck your fingertips under and let the flat of the blade rest against your knuckles.

For butternut squash, cut off both ends first so it stands flat, then peel downwards in long strips before halving
it.

Celeriac needs a heavy chef's knife and patience: slice away the knobbly skin a section at a time, then cut the
flesh into batons.

Sprouts only need their base trimmed and a cross cut into it, and a sharpening steel used little and often keeps the
whole job quicker and safer.
""",
        comments=(("HungryInHadleigh", "Made the celeriac soup, lovely!"),),
    ),
    Story(
        slug="westcliff-county-lines",
        outlet="police",
        title="Three arrested in Westcliff county lines operation",
        published=_utc(2026, 11, 25, 10, 20),
        summary="Officers executed warrants at two addresses on Tuesday morning.",
        text="""
Three people have been arrested after warrants were executed at two addresses in Westcliff on Tuesday morning as
part of our work against county lines drug dealing.

Officers forced entry to a flat in Station Road and a house in Ditton Court Road shortly after 6am.

A vulnerable man whose home had been taken over by dealers, a practice known as cuckooing, has been moved to a safe
place and is being supported by our partners.

Officers seized around 80 wraps of suspected Class A drugs, £2,800 in cash and four mobile phones.

Two men aged 19 and 24, both from London, and a 17-year-old boy from Southend were arrested on suspicion of being
concerned in the supply of Class A drugs. They remain in custody.

Detective Inspector Grace Okonkwo said: "County lines gangs exploit children and vulnerable adults. If you are
worried about someone, please tell us."
""",
    ),
    Story(
        slug="leigh-dispersal-order",
        outlet="police",
        title="Dispersal order in place in Leigh-on-Sea this weekend",
        published=_utc(2026, 11, 20, 16, 0),
        summary="Officers have been given extra powers for the Broadway, Leigh cliffs and Old Leigh.",
        text="""
A dispersal order is in force in parts of Leigh-on-Sea from 6pm on Friday until 6am on Monday.

It follows reports of anti-social behaviour by groups of young people near the Broadway and on the cliffs, including
fireworks being thrown at passers-by and damage to shelters.

The order allows officers to direct anyone they believe is causing or likely to cause harassment, alarm or distress
to leave the area for up to 48 hours.

Inspector Hollis Martindale said: "Most young people in Leigh do nothing wrong, and we want the seafront to be a
place everyone can enjoy. We will also be working with youth services over the winter."

You can report anti-social behaviour online or by calling 101.
""",
    ),
    Story(
        slug="seafront-rules-renewed",
        outlet="council",
        title="Seafront rules to stay for three more years",
        published=_utc(2026, 11, 26, 11, 0),
        summary="Cabinet has agreed to renew the rules that cover the seafront and the city centre.",
        text="""
The public spaces protection order covering Southend seafront and the city centre will be renewed for three years
from January, the council's cabinet agreed on Wednesday.

The order lets council wardens and police officers stop drinking in the street, ban groups from returning to an
area, and seize fireworks. A consultation this autumn drew 1,240 replies, and seven in ten backed renewal.

Reports of anti-social behaviour on the seafront fell by a fifth in the two summers since the order was last
renewed, a report to cabinet said.

The cabinet member for community safety, Cllr Imogen Tasker, said: "Residents and visitors told us clearly that
they want these powers kept. We will review how they are used every six months."
""",
    ),
    Story(
        slug="winter-gritting-routes",
        outlet="council",
        title="Winter gritting routes published",
        published=_utc(2026, 11, 19, 9, 0),
        summary="Our gritters will treat 140 miles of roads when frost or snow is forecast.",
        text="""
The council has published the roads its gritters will treat this winter, covering main routes, bus routes and
the roads to schools, the hospital and the fire stations.

Grit bins have been refilled across the city, and residents can report an empty one online. Pavements in the
city centre and outside stations will be cleared by hand when snow settles.
""",
    ),
)
