"""Comments that the sample advertiser's customers could have written, with their labels.

The sample workspace is a fictional dental group (Brightwater Dental Partners), so its
comments talk about what patients of a dental clinic talk about: booking and
rescheduling appointments, prices and bills, the dentists and front desk, waiting
times, insurance, treatments (cleanings, whitening, implants, Invisalign, emergencies,
children), and the clinics themselves. Every text is generated here from templates
and fillers written for the project (no third-party text, so nothing to license), by a
seeded generator: the same seed gives the same pool byte for byte.

Each template carries its label (positive / neutral / negative) and its topic, so the
Sentiment page's "Needs a reply" tab and its driving words make sense in a demo. The
sentiment model is not trained or evaluated on these texts: its figures come from the
real labelled sets (TweetEval, Rotten Tomatoes, airline tweets, Amazon reviews).

>>> pool = clinic_comment_pool(seed=0, size=200)
>>> sorted(pool["label"].unique())
['negative', 'neutral', 'positive']
>>> pool.equals(clinic_comment_pool(seed=0, size=200))
True
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Filler values: each {name} in a template is replaced by one of these.
FILLERS: dict[str, tuple[str, ...]] = {
    "doctor": ("Dr. Patel", "Dr. Nguyen", "Dr. Alvarez", "Dr. Brooks", "Dr. Okafor", "Dr. Kim", "Dr. Harper"),
    "hygienist": ("Maria", "Jess", "Tanya", "Luis", "Amber", "Keisha", "the hygienist"),
    "desk": ("the front desk", "the receptionist", "the office staff", "the team at the front", "the billing office"),
    "city": ("Austin", "Round Rock", "Dallas", "Plano", "Tulsa", "Oklahoma City", "San Marcos", "Frisco"),
    "minutes": ("25", "30", "40", "45", "50", "an hour", "over an hour", "20"),
    "insurer": ("Delta Dental", "Cigna", "Aetna", "MetLife", "Guardian", "Blue Cross", "United Concordia"),
    "treatment": ("cleaning", "filling", "crown", "root canal", "checkup", "deep cleaning", "wisdom tooth extraction",
                  "whitening", "implant consult", "Invisalign check-in"),
    "price": ("$89", "$120", "$149", "$250", "$399", "$1,200", "$2,800", "$65"),
    "day": ("Saturday", "Monday", "Friday", "next week", "this Thursday", "tomorrow", "Tuesday morning"),
    "kid": ("my son", "my daughter", "my 6 year old", "the kids", "my little one", "our twins"),
}

#: (topic, label, template). Templates are plain sentences with {filler} slots.
TEMPLATES: tuple[tuple[str, str, str], ...] = (
    # appointments
    ("appointments", "positive", "Booked online in two minutes and got a {treatment} slot {day}. So easy!"),
    ("appointments", "positive", "Thank you {desk} for squeezing me in {day}, you saved my week."),
    ("appointments", "positive", "Love the text reminders before my {treatment}, never miss an appointment now."),
    ("appointments", "neutral", "Do you have any openings {day} at the {city} office?"),
    ("appointments", "neutral", "How far ahead do I need to book a {treatment}?"),
    ("appointments", "neutral", "Can I reschedule my {treatment} online or do I have to call?"),
    ("appointments", "negative", "Tried to reschedule three times and nobody called me back. Very frustrating."),
    ("appointments", "negative", "My {treatment} was cancelled the night before with no explanation."),
    ("appointments", "negative", "The online booking showed a slot {day} but {desk} said it did not exist."),
    # waiting
    ("waiting", "positive", "In and out in {minutes} minutes for my {treatment}, right on time."),
    ("waiting", "positive", "Never waited more than five minutes at the {city} clinic. Respect my time, love it."),
    ("waiting", "neutral", "How long does a {treatment} usually take?"),
    ("waiting", "negative", "Waited {minutes} past my appointment time in the lobby. Not coming back."),
    ("waiting", "negative", "Sat in the chair for {minutes} before anyone came in. Nobody apologised."),
    ("waiting", "negative", "Second time in a row I waited {minutes} at the {city} office. Your schedule is a mess."),
    # prices and billing
    ("prices", "positive", "Honest pricing, the quote for my {treatment} was exactly what I paid."),
    ("prices", "positive", "{price} for whitening and the results are amazing. Worth every penny."),
    ("prices", "positive", "They explained every line of the estimate before starting. No surprises, thank you."),
    ("prices", "neutral", "How much is a {treatment} without insurance?"),
    ("prices", "neutral", "Do you offer payment plans for implants?"),
    ("prices", "neutral", "Is the {price} new patient special still on?"),
    ("prices", "negative", "Got a surprise bill of {price} for a {treatment} I was told was covered."),
    ("prices", "negative", "Charged {price} for a visit that lasted ten minutes. Way overpriced."),
    ("prices", "negative", "The estimate said {price} and the final bill was almost double. Still waiting for an answer."),
    # insurance
    ("insurance", "positive", "{desk} sorted out my {insurer} claim in one call. Lifesavers."),
    ("insurance", "positive", "So glad you take {insurer}, finally a dentist that does."),
    ("insurance", "neutral", "Do you accept {insurer} at the {city} location?"),
    ("insurance", "neutral", "Are you in network with {insurer} PPO plans?"),
    ("insurance", "negative", "You told me you take {insurer}, then billed me the full amount. Fix this please."),
    ("insurance", "negative", "Three weeks and my {insurer} claim still has not been filed. Terrible billing office."),
    # staff
    ("staff", "positive", "{doctor} is the gentlest dentist I have ever had. Zero pain."),
    ("staff", "positive", "{hygienist} made {kid} feel so safe during the cleaning. Thank you!"),
    ("staff", "positive", "Shout out to {hygienist} for being so patient with a nervous patient like me."),
    ("staff", "positive", "{doctor} explained everything and never rushed me. Best dental visit ever."),
    ("staff", "neutral", "Is {doctor} still at the {city} office?"),
    ("staff", "neutral", "Which dentist would you recommend for a {treatment}?"),
    ("staff", "negative", "{desk} was rude on the phone and hung up on me."),
    ("staff", "negative", "{doctor} seemed in a hurry and did not answer my questions about the {treatment}."),
    ("staff", "negative", "Felt judged about my teeth the whole visit. Not a kind experience."),
    # treatments
    ("treatment", "positive", "My implant looks and feels like a real tooth. Thank you {doctor}!"),
    ("treatment", "positive", "Six months of Invisalign and my smile is finally straight. So happy."),
    ("treatment", "positive", "Had a {treatment} today and honestly did not feel a thing."),
    ("treatment", "neutral", "How long does whitening last?"),
    ("treatment", "neutral", "Is Invisalign an option for adults over 50?"),
    ("treatment", "neutral", "What is the recovery time after a {treatment}?"),
    ("treatment", "negative", "My filling fell out a week after the visit. Not impressed."),
    ("treatment", "negative", "Still in pain three days after my {treatment} and nobody returns my calls."),
    ("treatment", "negative", "The crown does not fit right and I have to come back again. Third visit now."),
    # emergencies
    ("emergency", "positive", "Broke a tooth on a Sunday and you saw me first thing Monday. Thank you!"),
    ("emergency", "neutral", "Do you take emergency walk-ins at the {city} clinic?"),
    ("emergency", "negative", "Called about a toothache emergency and the earliest slot was three weeks away."),
    # children
    ("children", "positive", "{kid} actually asked when we can go back to the dentist. That says it all."),
    ("children", "neutral", "At what age should {kid} have a first checkup?"),
    ("children", "negative", "{kid} left in tears, nobody took the time to calm them down."),
    # the clinic
    ("clinic", "positive", "Spotless office, friendly faces and coffee in the waiting room. Love the {city} clinic."),
    ("clinic", "positive", "The new {city} office is beautiful and so easy to park at."),
    ("clinic", "neutral", "What are your opening hours on {day}?"),
    ("clinic", "neutral", "Is there parking at the {city} office?"),
    ("clinic", "negative", "No parking anywhere near the {city} office and I was late because of it."),
    ("clinic", "negative", "The waiting room was dirty and the TV was blasting. Not relaxing at all."),
)

#: Short endings that vary the texts without changing their meaning.
ENDINGS: dict[str, tuple[str, ...]] = {
    "positive": ("", "", " Highly recommend.", " 5 stars.", " 😊", " Thanks again!", " See you in six months."),
    "neutral": ("", "", " Thanks!", " Thank you.", " Please let me know."),
    "negative": ("", "", " Disappointed.", " Please call me.", " Not happy.", " 1 star."),
}

_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: np.random.Generator) -> str:
    """A template with every ``{slot}`` replaced by a seeded choice among :data:`FILLERS`.

    >>> fill("Ask {doctor}.", np.random.default_rng(0)).startswith("Ask Dr.")
    True
    """
    def pick(m: re.Match) -> str:
        options = FILLERS[m.group(1)]
        return options[int(rng.integers(len(options)))]

    text = _SLOT.sub(pick, template)
    return text[0].upper() + text[1:]


def clinic_comment_pool(*, seed: int = 0, size: int = 3000) -> pd.DataFrame:
    """``size`` distinct labelled comments (``text, label, source, topic``), seeded and reproducible.

    Templates are drawn evenly, filled, given an ending, and duplicates are dropped until
    ``size`` texts are found (or the templates run out of combinations).
    """
    rng = np.random.default_rng(seed)
    seen: dict[str, tuple[str, str]] = {}
    attempts = 0
    while len(seen) < size and attempts < size * 20:
        attempts += 1
        topic, label, template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        endings = ENDINGS[label]
        text = fill(template, rng) + endings[int(rng.integers(len(endings)))]
        seen.setdefault(text, (label, topic))
    return pd.DataFrame({"text": list(seen), "label": [v[0] for v in seen.values()],
                         "source": "generated (core/sample_comments.py)",
                         "topic": [v[1] for v in seen.values()]})
