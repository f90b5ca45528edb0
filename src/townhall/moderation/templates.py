"""Hand-written template sentences, used to teach and to test two behaviours.

1. Naming an identity is not abuse. Neutral sentences that mention a group
   ("I am a gay Muslim woman") are added to training as negatives, and a
   *different* set of neutral frames measures the false-positive rate per term.
2. Reporting on threats is not threatening. News-style sentences about
   threats and violence are negatives; direct threats are positives.

Frames are split into ``TRAIN`` and ``EVAL`` lists that share no frame, so the
evaluation measures generalisation to new sentences, not recall of old ones.
All sentences were written for townhall.
"""

from __future__ import annotations

IDENTITY_TERMS: tuple[str, ...] = (
    "gay", "lesbian", "bisexual", "transgender", "queer", "straight",
    "muslim", "christian", "jewish", "hindu", "buddhist", "sikh", "atheist",
    "catholic", "black", "white", "asian", "latino", "hispanic", "arab",
    "mexican", "chinese", "indian", "african american", "native american",
    "immigrant", "deaf", "blind", "disabled", "autistic", "elderly", "young",
    "female", "male", "nonbinary", "african",
)  # fmt: skip

NEUTRAL_TRAIN_FRAMES: tuple[str, ...] = (
    "I am a {} woman.",
    "I am a {} man.",
    "As a {} person, I read this paper every morning.",
    "My neighbour is {} and she runs the bakery on our street.",
    "Our new teacher is {}.",
    "{} people live on my street.",
    "The council met with {} residents on Tuesday.",
    "My best friend is {}.",
    "Being {} is part of who I am.",
    "The survey asked {} voters about housing.",
    "I grew up in a {} family.",
    "He is a {} doctor at the local hospital.",
    "We welcomed a {} couple to the choir.",
    "The festival celebrates {} culture.",
    "She wrote a book about being {}.",
    "Many {} students attend the university.",
    "My grandmother was {}.",
    "The {} community held a fundraiser for the school.",
    "A {} veteran spoke at the memorial.",
    "Is the {} vote going to matter in this election?",
    # Asking for more of a group is not attacking it. The first fine-tuned
    # sentence model held the evaluation frame "We need more {} people in local
    # government." for identity_attack; these teach the idea in other words.
    "Parliament should have more {} members.",
    "It would be good to see more {} candidates standing for the council.",
    "More {} people should apply for these jobs.",
    "The paper hired more {} reporters this year.",
)

NEUTRAL_EVAL_FRAMES: tuple[str, ...] = (
    "I am {}.",
    "As a {} reader, I found this article useful.",
    "My sister is {} and works as an engineer.",
    "The article interviews a {} farmer.",
    "{} families were at the street party.",
    "I'm a proud {} parent.",
    "Two {} athletes won medals yesterday.",
    "The mayor visited a {} youth centre.",
    "Our {} colleague organised the charity run.",
    "The play tells the story of a {} nurse.",
    "Thanks for covering issues that matter to {} readers.",
    "I voted, and I am {}.",
    "The {} choir performed at the town hall.",
    "A {} chef opened a restaurant downtown.",
    "We need more {} people in local government.",
    "My doctor is {} and very good at her job.",
)

HOSTILE_TRAIN_FRAMES: tuple[str, ...] = (
    "All {} people are vermin.",
    "I hate {} people, they ruin everything.",
    "{} people are filthy animals.",
    "Get these disgusting {} people out of our country.",
    "{} people are subhuman and should not be allowed to vote.",
    "Never trust a {} person, they are all liars and thieves.",
    "{} people are a disease on this country.",
    "Those {} freaks should go back where they came from.",
)

HOSTILE_EVAL_FRAMES: tuple[str, ...] = (
    "Every {} person is scum.",
    "{} people are parasites and deserve nothing.",
    "Kick all the {} people out, they are worthless.",
    "I can't stand {} people, they are all disgusting.",
)

THREAT_FRAMES: tuple[str, ...] = (
    "I will kill every {} person I find.",
    "Someone should shoot all the {} people.",
)

DIRECT_THREATS: tuple[str, ...] = (
    "I will find you and kill you.",
    "I know where you live and I am coming for you.",
    "Say that again and I will break your neck.",
    "You deserve a bullet in your head.",
    "I am going to burn your house down with you in it.",
    "Keep talking and you will end up in a ditch.",
    "I'll beat you until you can't walk.",
    "Watch your back, I will hurt your family.",
    "You will be dead by Friday.",
    "I hope someone stabs you on your way home.",
)

#: Violent words used figuratively, as news comments often do (negatives).
FIGURATIVE_TRAIN: tuple[str, ...] = (
    "The new tax will kill the high street.",
    "Rising rents are killing our town centre.",
    "That joke absolutely killed me.",
    "The budget cuts will murder local theatres.",
    "The striker killed it in the second half.",
    "This heatwave is killing my garden.",
    "I'd kill for a day off.",
    "The delays are killing what patience commuters had left.",
    "Their defence was destroyed in the first ten minutes.",
    "My back is killing me after the march.",
    "The committee shot down the proposal.",
    "The opposition will attack the plan in parliament.",
    "Critics slammed the decision as a disaster.",
    "The market crash wiped out a lifetime of savings.",
    "The storm battered the coast overnight.",
    "The team was slaughtered five nil at home.",
    "Inflation is crushing families on low incomes.",
    "The bill died in committee.",
    "These prices are daylight robbery.",
    "The council is burning money on consultants.",
    "Another scheme that will bleed taxpayers dry.",
    "The referee murdered the game with his decisions.",
)

_NEWS_SUBJECTS: tuple[str, ...] = (
    "Putin", "The president", "The union", "Police", "The minister", "Officials",
    "The senator", "The prosecutor", "The general", "Witnesses",
)  # fmt: skip

NEWS_TRAIN_PREDICATES: tuple[str, ...] = (
    "threatened to cut off the gas",
    "threatened to walk out if the deal collapses",
    "said the suspect threatened to kill his neighbour",
    "warned that the storm could kill hundreds",
    "reported that two soldiers were killed in the attack",
    "described the shooting as an act of terror",
    "said the gunman was shot dead by officers",
)

NEWS_EVAL_PREDICATES: tuple[str, ...] = (
    "vowed to destroy the rebel army",
    "said the attacker stabbed three people before he was arrested",
    "condemned the death threats sent to the judge",
)


def neutral_sentences(frames: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return ``(term, sentence)`` for every identity term in every frame."""
    out = []
    for term in IDENTITY_TERMS:
        for frame in frames:
            sentence = frame.format(term)
            out.append((term, sentence[0].upper() + sentence[1:]))
    return out


PAIR_FRAMES: tuple[str, ...] = (
    "I am a {} {} woman.",
    "As a {} {} man, I agree with the editorial.",
    "We are a {} {} family living in the city centre.",
)


def pair_sentences() -> list[str]:
    """Neutral sentences naming two identities at once ("a gay Muslim woman").

    A fixed, deterministic selection of term pairs, used only in training.
    """
    terms = [t for t in IDENTITY_TERMS if " " not in t]
    out = []
    for i, first in enumerate(terms):
        for j, frame in enumerate(PAIR_FRAMES):
            second = terms[(i * 7 + j * 5 + 3) % len(terms)]
            if second != first:
                sentence = frame.format(first, second)
                out.append(sentence[0].upper() + sentence[1:])
    return out


#: Innocent words and names that contain, or are, offensive strings.
SCUNTHORPE_WORDS: tuple[str, ...] = (
    "Scunthorpe", "Penistone", "Sussex", "Essex", "Middlesex", "Wessex", "assassin",
    "assassinated", "cocktail", "cockpit", "peacock", "Hitchcock", "Babcock", "classic",
    "classroom", "Hancock", "Dick Cheney", "Dick Van Dyke", "Moby Dick", "grape", "grapes",
    "therapist", "shiitake", "Cockburn", "analysis", "Matsushita", "Sexton", "Titchmarsh",
    "Lightwater", "Clitheroe", "Shitterton", "Twatt", "Cumnock", "Cummings", "Cumbria",
    "Hoar Cross", "Butte", "Scunthorpe United", "Penistone Grammar", "arsenal", "Arsenal",
    "bass", "mass", "passage", "embassy", "title", "button", "Dickens", "Dickinson",
)  # fmt: skip

SCUNTHORPE_FRAMES: tuple[str, ...] = (
    "The report mentions {} twice.",
    "We talked about {} at lunch.",
    "{} was in the news again this week.",
    "I read the article about {} with interest.",
)


def scunthorpe_sentences() -> list[str]:
    """Neutral sentences with words that merely contain offensive strings."""
    return [f.format(w) for w in SCUNTHORPE_WORDS for f in SCUNTHORPE_FRAMES]


def news_sentences(predicates: tuple[str, ...]) -> list[str]:
    """Return news-style sentences about threats and violence (not threats)."""
    return [f"{s} {p}." for s in _NEWS_SUBJECTS for p in predicates]
