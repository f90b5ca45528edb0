"""Built-in word lists used by normalisation and span finding.

These lists are not banned-word lists: a site's banned and suspect words come
from its :class:`~townhall.moderation.types.Policy`. They serve two purposes:

* ``EVASION_TARGETS`` are the words people disguise (``f**k``, ``sh1t``,
  ``f u c k``). Normalisation only rewrites a disguised token when the rewrite
  lands on one of them, so ordinary words with digits or dots are left alone.
* ``NAME_SAFE`` lists words that are also common names or place names; such a
  word next to another capitalised word ("Dick Cheney") is read as a name.

All entries are lower-case ASCII, as produced by :func:`normalise`.
"""

from __future__ import annotations

OBSCENE: frozenset[str] = frozenset(
    """
    fuck fucks fucked fucker fuckers fucking fuckin fuckhead fuckface motherfucker
    motherfuckers motherfucking mofo shit shits shitty shithead shitheads bullshit
    horseshit dipshit shite crap crappy piss pissed pissing asshole assholes arse
    arsehole arseholes ass asses jackass dumbass smartass badass bitch bitches
    bitching bitchy sonofabitch bastard bastards damn goddamn dammit hell bollocks
    bugger wanker wankers wank twat twats prick pricks douche douchebag douchebags
    cunt cunts cock cocks cocksucker cocksuckers dick dicks dickhead dickheads
    dickface pussy pussies tit tits titties boob boobs slut sluts slutty whore
    whores hoe hoes skank skanks jizz cum semen dildo porn porno blowjob handjob
    rimjob boner hardon penis vagina clit anal anus butthole buttplug orgasm
    masturbate masturbating wtf stfu gtfo milf bellend knobhead tosser minger
    """.split()
)

SEXUAL: frozenset[str] = frozenset(
    """
    sex sexy sexual cock cocks cocksucker dick dicks penis vagina pussy pussies tit
    tits titties boob boobs slut sluts slutty whore whores hoe hoes skank jizz cum
    semen dildo porn porno blowjob handjob rimjob boner hardon clit anal anus orgasm
    masturbate masturbating horny naked nude nudes rape raped raping rapist milf
    erection genitals testicles balls
    """.split()
)

INSULT: frozenset[str] = frozenset(
    """
    idiot idiots idiotic moron morons moronic stupid stupidity dumb dumber dumbest
    imbecile imbeciles cretin retard retards retarded loser losers pathetic
    scum scumbag scumbags trash garbage worthless clown clowns fool fools foolish
    ignorant dimwit halfwit nitwit twit jerk jerks creep creeps pig pigs freak
    freaks ugly fat lame lunatic lunatics psycho hypocrite hypocrites liar liars
    coward cowards disgusting vile filthy sleazy
    """.split()
)

# Slurs against protected groups. Needed so that disguised spellings are
# recognised; a plain mention of a group ("gay", "muslim") is never here.
SLURS: frozenset[str] = frozenset(
    """
    nigger niggers nigga niggas negro negroes coon coons spic spics spick wetback
    wetbacks beaner beaners chink chinks gook gooks jap japs kike kikes heeb
    raghead ragheads towelhead towelheads sandnigger paki pakis faggot faggots fag
    fags faggy dyke dykes tranny trannies shemale retard retards mongoloid
    cripple gyppo gypsy gypsies pikey redskin redskins squaw zipperhead
    """.split()
)

THREAT: frozenset[str] = frozenset(
    """
    kill killing murder shoot stab hang lynch behead strangle choke burn die
    """.split()
)

EVASION_TARGETS: frozenset[str] = (
    OBSCENE
    | SEXUAL
    | INSULT
    | SLURS
    | frozenset({"kill", "murder", "rape", "rapist", "die", "stfu", "nazi", "nazis"})
)

# Words that double as given names, surnames or place names. A match is only
# treated as the offensive sense when it is not part of a capitalised name.
NAME_SAFE: frozenset[str] = frozenset(
    """
    dick cock cox hancock willy wang bush johnson fanny randy hooker butt
    """.split()
)

# Multi-word names that must never be read as abuse.
NAME_PHRASES: tuple[str, ...] = (
    "dick cheney",
    "dick van dyke",
    "moby dick",
    "philip k dick",
    "dick's sporting goods",
    "dick tracy",
    "dick smith",
)
