"""The content pools business sites are written from, their phone numbers and site context."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .truth import HTML_UTF8

DASH = "\N{EN DASH}"  # real sites use typographic dashes; spelled out for the linter

# --------------------------------------------------------------------------- content pools

CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("plumbing", "Plumbing", ("Boiler repair", "Leak detection", "Bathroom fitting",
                              "Drain unblocking", "Emergency call-outs", "Central heating")),
    ("bakery", "Bakery", ("Sourdough bread", "Celebration cakes", "French pastries",
                          "Wholesale supply", "Gluten-free baking")),
    ("law", "Law", ("Family law", "Conveyancing", "Wills and probate", "Employment law",
                    "Business contracts")),
    ("dental", "Dental Practice", ("Check-ups", "Teeth whitening", "Orthodontics",
                                   "Dental implants", "Hygienist visits")),
    ("agency", "Creative Agency", ("Brand identity", "Web design", "Social media",
                                   "Copywriting", "Video production")),
    ("cafe", "Cafe", ("Breakfast menu", "Speciality coffee", "Private hire",
                      "Outside catering")),
    ("florist", "Florist", ("Wedding flowers", "Funeral tributes", "Weekly subscriptions",
                            "Corporate displays")),
    ("garage", "Garage", ("MOT testing", "Car servicing", "Tyre fitting", "Diagnostics",
                          "Air conditioning")),
    ("architects", "Architects", ("House extensions", "Loft conversions",
                                  "Planning applications", "Interior design")),
    ("accounting", "Accountants", ("Tax returns", "Bookkeeping", "Payroll",
                                   "Company formation", "Audits")),
    ("fitness", "Fitness Studio", ("Personal training", "Group classes",
                                   "Nutrition coaching", "Spin sessions")),
    ("vets", "Veterinary Clinic", ("Vaccinations", "Dental care for pets", "Surgery",
                                   "Pet insurance advice")),
    ("hotel", "Hotel", ("Rooms and suites", "Restaurant", "Meetings and events", "Spa")),
    ("books", "Bookshop", ("New releases", "Second-hand books", "Book clubs",
                           "Author events")),
    ("electric", "Electricians", ("Rewiring", "Fuse box upgrades", "EV charger installation",
                                  "Lighting design", "Safety inspections")),
    ("photo", "Photography", ("Wedding photography", "Portraits", "Product shots", "Events")),
    ("yoga", "Yoga Studio", ("Beginner classes", "Hot yoga", "Pregnancy yoga", "Retreats")),
    ("brewing", "Brewing Co", ("Taproom", "Brewery tours", "Beer subscriptions",
                               "Private events")),
    ("landscaping", "Landscaping", ("Garden design", "Patios", "Lawn care", "Tree surgery",
                                    "Fencing")),
    ("cleaning", "Cleaning Services", ("Office cleaning", "End of tenancy cleans",
                                       "Carpet cleaning", "Window cleaning")),
    ("tutoring", "Tutoring", ("Maths tuition", "English tuition", "Exam preparation",
                              "Online lessons")),
    ("pharmacy", "Pharmacy", ("Prescriptions", "Travel vaccinations", "Health checks",
                              "Repeat prescriptions")),
    ("optics", "Opticians", ("Eye tests", "Contact lenses", "Designer frames",
                             "Children's eyecare")),
    ("print", "Print Shop", ("Business cards", "Flyers and leaflets", "Large format printing",
                             "Custom stationery")),
    ("roofing", "Roofing", ("Roof repairs", "Flat roofs", "Gutter cleaning", "Chimney work")),
    ("it", "IT Services", ("Managed IT support", "Cloud migration", "Cyber security",
                           "Network installation", "Backup and recovery")),
    ("cycles", "Cycles", ("Bike servicing", "E-bikes", "Bike fitting",
                          "Cycle to work scheme")),
    ("tailors", "Tailors", ("Bespoke suits", "Alterations", "Wedding wear", "Shirt making")),
    ("pets", "Pet Grooming", ("Dog grooming", "Cat grooming", "Nail clipping",
                              "Puppy introductions")),
    ("weddings", "Wedding Planners", ("Full planning", "On-the-day coordination",
                                      "Venue sourcing", "Destination weddings")),
)  # fmt: skip

NAME_PREFIXES = (
    "bluebird", "riverside", "oakridge", "summit", "harbor", "maple", "silverline",
    "greenfield", "redwood", "lakeside", "ironbridge", "brightwater", "stonegate", "willow",
    "copperleaf", "fairview", "highland", "kingsley", "larkspur", "meadowbrook", "pinecrest",
    "quayside", "rosewood", "sterling", "thornbury", "evergreen", "foxglove", "juniper",
    "beacon", "cedar", "driftwood", "elmstead", "granite",
)  # fmt: skip

CITIES = {
    "uk": ("London", "Bristol", "Leeds", "Manchester", "Brighton", "York"),
    "us": ("Portland", "Austin", "Denver", "Springfield", "Madison", "Savannah"),
    "de": ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Düsseldorf"),
}
_LANGS = {"uk": "en-GB", "us": "en-US", "de": "de"}
_STREETS = ("High Street", "Market Square", "Station Road", "Mill Lane", "Church Street",
            "Harbour Road", "Elm Avenue", "Kings Parade")  # fmt: skip
FIRST_NAMES = ("Amelia", "Oliver", "Priya", "Jonas", "Sofia", "Marcus", "Chloe", "Daniel", "Hannah",
          "Lukas", "Grace", "Mateo", "Aisha", "Tom", "Emma", "Felix", "Zara", "Noah", "Lena",
          "Samuel")  # fmt: skip
LAST_NAMES = ("Patel", "Fischer", "Johnson", "Okafor", "Schmidt", "Williams", "Nguyen", "Brown",
         "Meyer", "Garcia", "Taylor", "Kowalski", "Evans", "Rossi", "Murphy")  # fmt: skip
ROLES = ("Founder", "Operations manager", "Senior technician", "Customer care",
          "Office manager", "Lead designer", "Apprentice")  # fmt: skip
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
SENTENCES = (
    "{name} has served customers in {city} since {year}.",
    "We are a small, independent team and we answer the phone ourselves.",
    "Our {service} work comes with a clear written quote before anything starts.",
    "Most enquiries get a reply on the same working day.",
    "We keep things simple: fair prices, honest advice and tidy work.",
    "Many of our customers find us through friends and neighbours in {city}.",
    "Every job is checked twice before we call it finished.",
    "We have invested in better tools so that {service} takes less of your time.",
    "Ask us anything about {service}; there is no such thing as a silly question.",
    "We train every new member of staff ourselves.",
    "Our prices are listed openly and we never add hidden extras.",
    "Bookings for next month are already open.",
    "We work with local suppliers wherever we can.",
    "Parking is available right outside the door.",
    "You can find our reviews on the usual sites, and we read every one of them.",
    "When something goes wrong we fix it quickly and without fuss.",
    "The {label} trade has changed a lot, but good service has not.",
    "We are proud members of the {city} business network.",
    "Weekend appointments are available for a small surcharge.",
    "We publish what we charge, and we stick to it.",
)
POST_TITLES = (
    "Five tips for choosing {service}",
    "What we learned from a busy season",
    "A beginner's guide to {service}",
    "Behind the scenes at {name}",
    "Why {service} costs what it costs",
    "Meet the newest member of our team",
    "Our favourite projects of the year",
    "Common myths about {service}",
    "How to prepare for your first appointment",
    "News from {city}: we are expanding",
    "Ask the expert: {service}",
    "A short history of {label} in {city}",
    "Seasonal checklist from {name}",
    "Case study: {service} done right",
)
EXTRA_PAGES = (
    ("/faq", "Frequently asked questions"),
    ("/privacy", "Privacy policy"),
    ("/pricing", "Pricing"),
    ("/careers", "Careers"),
    ("/testimonials", "What our customers say"),
    ("/locations", "Where to find us"),
)
LANDINGS = ("Spring offer", "Free consultation", "Refer a friend", "Student discount",
             "Gift vouchers")  # fmt: skip
_NAV_DE = {"Home": "Start", "About": "Über uns", "Services": "Leistungen",
           "Contact": "Kontakt", "Team": "Team", "Blog": "Blog"}  # fmt: skip
# Link forms exercising canonicalization; "root" (`/about`) dominates like on real sites.
LINK_FORMS = ("root",) * 12 + (
    "absolute", "absolute", "upper", "port", "scheme_relative", "relative", "relative",
    "fragment", "fragment", "utm", "utm",
)  # fmt: skip
FRAGMENTS = ("top", "main", "details", "form", "more")
BR = ("br", "")
# Heading parts written as blocks (their edges are word breaks); other tags are inline.
BLOCK_TAGS = frozenset({"div"})


# --------------------------------------------------------------------------- phones


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    display: str
    href: str


class PhonePool:
    """Fictional numbers (Ofcom drama range, US 555-01xx, Berlin 901820xx), never reused."""

    def __init__(self, rng: random.Random) -> None:
        self._free: dict[str, list[int]] = {
            "uk": list(range(1000)),
            "us": list(range(100)),
            "de": list(range(100)),
        }
        for numbers in self._free.values():
            rng.shuffle(numbers)
        self._rng = rng

    def take(self, country: str) -> Phone:
        """A fresh number of `country` (falls back to UK when a range runs out)."""
        if not self._free.get(country):
            country = "uk"
        n = self._free[country].pop()
        return make_phone(country, n, self._rng.random() < 0.5)


def make_phone(country: str, n: int, dashed: bool) -> Phone:
    if country == "us":
        e164 = f"+120255501{n:02d}"
        display = f"+1 202-555-01{n:02d}"
        href = f"tel:+1-202-555-01{n:02d}" if dashed else f"tel:{e164}"
    elif country == "de":
        e164 = f"+4930901820{n:02d}"
        display = f"+49 30 901820{n:02d}"
        href = f"tel:+49-30-901820{n:02d}" if dashed else f"tel:{e164}"
    else:
        e164 = f"+442079460{n:03d}"
        display = f"+44 20 7946 0{n:03d}"
        href = f"tel:+44-20-7946-0{n:03d}" if dashed else f"tel:{e164}"
    return Phone(e164, display, href)


# --------------------------------------------------------------------------- site context


@dataclass(slots=True)
class SiteContext:
    """Site-wide identity and rendering settings shared by every page writer."""

    key: str
    host: str
    name: str
    label: str
    services: tuple[str, ...]
    country: str
    city: str
    seed: int
    lang: str | None
    emails: tuple[str, ...]
    phones: tuple[Phone, ...]
    socials: tuple[tuple[str, str], ...]
    address: str
    year: int
    encoding: str = "utf-8"
    content_type: str = HTML_UTF8
    charset_meta: str = '<meta charset="utf-8">'
    # "gzip", "br" or "zstd": how every page is compressed on the wire ("" for none)
    content_encoding: str = ""
    special: str | None = None
    nav_form: str = "root"
    canonical_tags: bool = True
    credit: str | None = None
    partner: str | None = None
    nav: tuple[tuple[str, str], ...] = ()
    footer_links: tuple[tuple[str, str], ...] = ()
    # How the contact page disguises one more address (see `CONTACT_TRICKS`), if at all.
    contact_trick: str = ""

    # the scheme the site is crawled over (its URLs in the truth)
    scheme: str = "https"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def word(self, text: str) -> str:
        """A navigation label in the site's language."""
        return _NAV_DE.get(text, text) if self.country == "de" else text

    def sentence(self, rng: random.Random) -> str:
        return rng.choice(SENTENCES).format(
            name=self.name,
            city=self.city,
            year=self.year,
            service=rng.choice(self.services).lower(),
            label=self.label.lower(),
        )

    def paragraph(self, rng: random.Random, sentences: int = 0) -> str:
        count = sentences or rng.randint(2, 5)
        templates = rng.sample(SENTENCES, count)  # distinct sentences read less robotic
        return " ".join(
            t.format(
                name=self.name,
                city=self.city,
                year=self.year,
                service=rng.choice(self.services).lower(),
                label=self.label.lower(),
            )
            for t in templates
        )


def make_context(
    rng: random.Random,
    seed: int,
    phones: PhonePool,
    key: str,
    name: str,
    category: tuple[str, str, tuple[str, ...]],
    *,
    country: str | None = None,
    host: str | None = None,
) -> SiteContext:
    cat_key, label, services = category
    country = country or rng.choices(("uk", "us", "de"), weights=(4, 4, 2))[0]
    host = host or key
    handle = key.split(".")[0].replace("-", "")
    networks = [
        ("Twitter", f"https://{rng.choice(('twitter.com', 'x.com'))}/{handle}"),
        ("Facebook", f"https://www.facebook.com/{handle}"),
        ("LinkedIn", f"https://www.linkedin.com/company/{key.split('.')[0]}"),
        ("Instagram", f"https://www.instagram.com/{handle}/"),
        ("YouTube", f"https://www.youtube.com/@{handle}"),
        ("GitHub", f"https://github.com/{handle}"),
        ("TikTok", f"https://www.tiktok.com/@{handle}"),
    ]
    socials = tuple(rng.sample(networks, rng.randint(2, 5)))
    domain = host[4:] if host.startswith("www.") else host
    emails = (
        f"{rng.choice(('hello', 'info', 'contact', 'office'))}@{domain}",
        f"{rng.choice(('bookings', 'orders', 'enquiries', 'sales'))}@{domain}",
    )
    site_phones = tuple(phones.take(country) for _ in range(rng.randint(1, 2)))
    city = rng.choice(CITIES[country])
    address = f"{rng.randint(2, 180)} {rng.choice(_STREETS)}, {city}"
    return SiteContext(
        key=key,
        host=host,
        name=name,
        label=label if cat_key != "law" else "Law firm",
        services=services,
        country=country,
        city=city,
        seed=seed,
        lang=_LANGS[country] if rng.random() < 0.9 else None,
        emails=emails,
        phones=site_phones,
        socials=socials,
        address=address,
        year=rng.randint(1952, 2019),
        nav_form=rng.choice(("root",) * 6 + ("absolute", "relative")),
        canonical_tags=rng.random() < 0.8,
    )
