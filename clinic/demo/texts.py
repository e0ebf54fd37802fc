"""What demo patients write, how they found the clinic, and what coordinators note down.

Weights follow what a regenerative-medicine clinic sees: joint and autoimmune questions dominate,
lupus is about one inquiry in seven, most people arrive from search or paid social.
"""

from __future__ import annotations

import random

from clinic.demo.chance import Weighted, between, one_of

# ((condition slug, share of inquirers who are women), share of inquiries)
CONDITIONS = Weighted(
    (
        (("lupus", 0.88), 15),
        (("multiple-sclerosis", 0.72), 12),
        (("rheumatoid-arthritis", 0.72), 16),
        (("knee-osteoarthritis", 0.58), 22),
        (("copd", 0.50), 10),
        (("parkinsons-disease", 0.40), 9),
        (("other", 0.60), 16),
    )
)

CONDITION_WORDS = {
    "lupus": ("lupus", "SLE", "lupus"),
    "multiple-sclerosis": ("MS", "multiple sclerosis", "relapsing-remitting MS"),
    "rheumatoid-arthritis": ("rheumatoid arthritis", "RA", "rheumatoid arthritis"),
    "knee-osteoarthritis": ("knee arthritis", "osteoarthritis in both knees", "a worn-out knee"),
    "copd": ("COPD", "emphysema", "COPD"),
    "parkinsons-disease": ("Parkinson's", "Parkinson's disease", "early Parkinson's"),
    "other": ("back pain", "a rotator cuff tear", "fibromyalgia"),
}

MEDICINES = {
    "lupus": ("hydroxychloroquine", "Benlysta", "prednisone", "CellCept"),
    "multiple-sclerosis": ("Ocrevus", "Tecfidera", "Copaxone", "Kesimpta"),
    "rheumatoid-arthritis": ("methotrexate", "Humira", "Enbrel", "Xeljanz"),
    "knee-osteoarthritis": ("cortisone shots", "gel injections", "ibuprofen", "physical therapy"),
    "copd": ("Trelegy", "Spiriva", "oxygen at night", "albuterol"),
    "parkinsons-disease": ("carbidopa-levodopa", "Azilect", "pramipexole", "Rytary"),
    "other": ("physical therapy", "cortisone shots", "gabapentin", "chiropractic care"),
}

# Who the question is about: (has, was) as the sentence needs them.
WHO = (
    ("I have", "I was"),
    ("my mother has", "my mother was"),
    ("my husband has", "my husband was"),
    ("my wife has", "my wife was"),
    ("my father has", "my father was"),
    ("my sister has", "my sister was"),
)
WHO_DRAW = Weighted(tuple(zip(WHO, (70, 9, 6, 6, 6, 3), strict=True)))

OPENINGS = (
    "Hello, {was} diagnosed with {condition} {years} years ago.",
    "Hi. {Has} had {condition} for about {years} years.",
    "Good afternoon, {has} been living with {condition} since {since}.",
    "{Was} diagnosed with {condition} in {since} and a friend told me about your clinic.",
    "I read your article about {condition} and have a few questions.",
    "My doctor mentioned stem cell therapy for {condition}.",
)
HISTORY = (
    "Currently on {medicine} but it is not helping much anymore.",
    "We tried {medicine} and {medicine2} with side effects.",
    "The fatigue is the worst part, some days I can't work.",
    "Walking more than a block is hard now.",
    "My rheumatologist says there is not much more to try.",
    "Symptoms got worse over the last year.",
    "I'm otherwise healthy and active, {age} years old.",
)
QUESTIONS = (
    "Is this treatment an option for me?",
    "How much does treatment cost, and do you offer payment plans?",
    "Does insurance cover any of it?",
    "How many visits would it take, and how long until people see results?",
    "What do the studies actually show for {condition}?",
    "Can I keep taking {medicine} during treatment?",
    "Do you have openings for a consultation next month?",
    "Is there an age limit?",
    "Could I speak with someone who had the treatment?",
)
CLOSINGS = (
    "Thank you.",
    "Thanks so much!",
    "Please call after 5 pm.",
    "Email is best, I work nights.",
    "Looking forward to hearing from you.",
    "",
)
SPANISH = (
    "Hola, me diagnosticaron {condition} hace {years} años. ¿Cuánto cuesta el tratamiento?",
    "Buenas tardes. Mi mamá tiene {condition} y quisiera información sobre la terapia. Gracias.",
    "¿Aceptan seguro médico? Tengo {condition} desde {since}. Prefiero que me llamen por la tarde.",
    "Quisiera una cita de valoración. ¿Hablan español en la clínica?",
)

NOTES = (
    "Asked about cost; sent the price sheet and financing options.",
    "Wants to talk it over with family first. Call back next week.",
    "Sent the published studies summary as requested.",
    "Prefers afternoons. Husband will join the consultation.",
    "Needs records from the rheumatologist before a consult.",
    "Concerned about travel distance; offered a video consult.",
    "Spanish speaker, booked with a bilingual coordinator.",
    "Asked whether insurance covers it; explained self-pay.",
    "Very motivated; wants the earliest possible date.",
    "Referred by a former patient.",
)
# Notes on contact attempts, by channel ("" for none).
CONTACT_NOTES = {
    "call": (
        "Left a message with callback number.",
        "Line busy, will retry.",
        "Spoke briefly, asked to call back later.",
        "",
        "",
    ),
    "email": ("Sent the intro email with consult options.", "", ""),
    "sms": ("Texted consult availability.", "", ""),
}

# Consultations: how they happen, how long they take, where, and what staff note about them.
CONSULTATION_KINDS = Weighted((("phone", 35), ("video", 35), ("in_person", 30)))
CONSULTATION_MINUTES = Weighted(((30, 60), (45, 25), (60, 15)))
CONSULTATION_LOCATIONS: dict[str, tuple[str | None, ...]] = {
    "phone": (None,),
    "video": ("Video link in the confirmation email",),
    "in_person": ("Consultation room 1", "Consultation room 2", "Room 3, second floor"),
}
CONSULTATION_NOTES = (
    None, None, None, None, None, None,
    "Interpreter needed (Spanish).",
    "Bringing recent MRI results.",
    "Parking: use the rear entrance.",
    "Daughter will join by phone.",
)  # fmt: skip

# Where people came from: (share, utm source, medium, campaign stem, referrer, content)
CHANNELS: tuple[tuple[float, str | None, str | None, str | None, str | None, str | None], ...] = (
    (28, None, None, None, "https://www.google.com/", None),
    (18, "google", "cpc", "search", "https://www.google.com/", None),
    (12, "facebook", "paid_social", "stories", "https://m.facebook.com/", "video-a"),
    (5, "instagram", "paid_social", "reels", "https://l.instagram.com/", "carousel"),
    (4, None, None, None, "https://www.bing.com/", None),
    (6, "newsletter", "email", "newsletter", None, None),
    (4, None, None, None, "https://forum.example.org/t/stem-cells/", None),
    (3, "referral", "partner", "physician-referral", None, None),
    (16, None, None, None, None, None),
    (2, None, None, None, "https://duckduckgo.com/", None),
    (2, "youtube", "video", "explainer", "https://www.youtube.com/", "patient-story"),
)
CHANNEL = Weighted(tuple((index, channel[0]) for index, channel in enumerate(CHANNELS)))

# Pages with the inquiry form; "{slug}" is the condition's page.
FORM_PAGES = Weighted(
    (("/conditions/{slug}", 60), ("/inquire", 27), ("/about/stem-cell-therapy", 9), ("/faq", 4))
)

PREFERRED_CONTACT = Weighted((("phone", 60), ("email", 30), ("sms", 10)))
BEST_TIME = Weighted((("any", 40), ("morning", 25), ("afternoon", 20), ("evening", 15)))
PAYMENT = Weighted((("not_sure", 55), ("self_pay", 30), ("insurance", 15)))

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# US geographic area codes in which every 555-xxxx line is a valid number to `phonenumbers`.
# The 555 exchange is the one the telephone industry keeps out of ordinary subscribers' hands.
_AREA_CODES = """
    201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223 224 225 227 228
    229 231 234 235 239 240 248 251 252 253 254 256 260 262 267 269 270 272 274 276 279 281 283
    301 302 303 304 305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 324 325 326
    327 329 330 331 332 334 336 337 339 341 346 347 350 351 352 353 360 361 363 364 369 380 385
    386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435
    440 442 443 445 447 448 458 463 464 469 470 472 475 478 479 480 484 501 502 503 504 505 507
    508 509 510 512 513 515 516 517 518 520 530 531 534 539 540 541 551 557 559 561 562 563 564
    567 570 571 572 573 574 575 580 582 585 586 601 602 603 605 606 607 608 609 610 612 614 615
    616 617 618 619 620 623 626 628 629 630 631 636 640 641 645 646 650 651 656 657 659 660 661
    662 667 669 678 680 681 682 686 689 701 702 703 704 706 707 708 712 713 714 715 716 717 718
    719 720 724 725 726 727 728 730 731 732 734 737 738 740 743 747 748 754 757 760 762 763 765
    769 770 771 772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815
    816 817 818 820 821 826 828 830 831 832 835 838 839 840 843 845 847 848 850 854 856 857 858
    859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917
    918 919 920 925 928 929 930 931 934 936 937 938 940 941 943 945 947 948 949 951 952 954 956
    959 970 971 972 973 975 978 979 980 983 984 985 986 989
"""
AREA_CODES = tuple(int(code) for code in _AREA_CODES.split())
PHONE_CAPACITY = len(AREA_CODES) * 10_000


def write_message(rng: random.Random, condition: str, year: int, spanish: bool) -> str:
    """A patient's question in their own words, assembled from everyday sentences."""
    words = CONDITION_WORDS[condition]
    medicines = MEDICINES[condition]
    years = between(rng, 1, 15 + 1)
    fields = {
        "condition": one_of(rng, words),
        "years": years,
        "since": year - years,
        "medicine": one_of(rng, medicines),
        "medicine2": one_of(rng, medicines),
        "age": between(rng, 28, 79 + 1),
    }
    if spanish:
        return one_of(rng, SPANISH).format(**fields)
    if rng.random() < 0.12:
        return ""
    has, was = WHO_DRAW.draw(rng)
    fields.update(has=has, was=was, Has=has[0].upper() + has[1:], Was=was[0].upper() + was[1:])
    parts = [one_of(rng, OPENINGS)]
    if rng.random() < 0.6:
        parts.append(one_of(rng, HISTORY))
    parts.append(one_of(rng, QUESTIONS))
    if rng.random() < 0.3:
        parts.append(one_of(rng, QUESTIONS))
    parts.append(one_of(rng, CLOSINGS))
    return " ".join(part for part in parts if part).format(**fields)
