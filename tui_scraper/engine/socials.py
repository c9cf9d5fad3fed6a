"""Social profiles among a page's links: profile pages of the major networks, not content."""

from __future__ import annotations

from yarl import URL

_SOCIAL_HOSTS = frozenset(
    {
        "twitter.com",
        "x.com",
        "facebook.com",
        "instagram.com",
        "linkedin.com",
        "youtube.com",
        "tiktok.com",
        "github.com",
        "pinterest.com",
        "mastodon.social",
        "threads.net",
        "bsky.app",
    }
)
# First path segments (lower-case) that are features of the network, not someone's profile:
# share/intent dialogs, content pages, login and legal pages.
_SOCIAL_NOT_PROFILE: dict[str, frozenset[str]] = {
    "twitter.com": frozenset(
        {
            "intent",
            "share",
            "home",
            "search",
            "hashtag",
            "i",
            "explore",
            "login",
            "signup",
            "settings",
            "messages",
            "notifications",
            "tos",
            "privacy",
            "compose",
        }
    ),
    "facebook.com": frozenset(
        {
            "sharer.php",
            "sharer",
            "share.php",
            "share",
            "dialog",
            "plugins",
            "login",
            "login.php",
            "home.php",
            "watch",
            "hashtag",
            "policies",
            "privacy",
            "help",
            "tr",
            "events",
            "photo.php",
            "photo",
            "story.php",
            "permalink.php",
            "search",
        }
    ),
    "instagram.com": frozenset(
        {"p", "reel", "reels", "tv", "explore", "stories", "accounts", "about", "legal"}
    ),
    "github.com": frozenset(
        {
            "login",
            "join",
            "signup",
            "features",
            "about",
            "pricing",
            "marketplace",
            "topics",
            "explore",
            "settings",
            "search",
            "site",
            "security",
            "contact",
            "collections",
            "trending",
        }
    ),
    "pinterest.com": frozenset({"pin", "search", "ideas", "today", "_", "login", "explore"}),
    "bsky.app": frozenset({"intent", "search", "settings", "notifications", "feeds"}),
}
_SOCIAL_NOT_PROFILE["x.com"] = _SOCIAL_NOT_PROFILE["twitter.com"]
# Networks whose profiles live under known prefixes only; everything else there is content.
_SOCIAL_PROFILE_PREFIXES: dict[str, frozenset[str]] = {
    "linkedin.com": frozenset({"in", "company", "school", "showcase", "pub"}),
    "youtube.com": frozenset({"channel", "c", "user"}),
}
# Networks where a profile is "/@handle" (YouTube also accepts it).
_SOCIAL_AT_HANDLE = frozenset(
    {"youtube.com", "tiktok.com", "mastodon.social", "threads.net", "instagram.com"}
)
_SOCIAL_AT_ONLY = frozenset({"tiktok.com", "mastodon.social", "threads.net"})


def _looks_like_profile(host: str, first: str, segments: list[str]) -> bool:
    """Whether a path (first segment lower-cased) on a social network names a profile."""
    if first.startswith("@") and len(first) > 1:
        return host in _SOCIAL_AT_HANDLE
    if host in _SOCIAL_AT_ONLY:
        return False
    if host in _SOCIAL_PROFILE_PREFIXES:
        return first in _SOCIAL_PROFILE_PREFIXES[host] and len(segments) >= 2
    if first in _SOCIAL_NOT_PROFILE.get(host, ()):
        return False
    if host == "bsky.app":
        return first == "profile" and len(segments) >= 2
    if host in ("twitter.com", "x.com"):
        return "status" not in segments[1:]  # a single post is not the profile
    return True


def social_profile(url: URL) -> str | None:
    """The profile URL (query and fragment dropped) if url is a major network's profile page."""
    host = url.raw_host.lower() if url.raw_host else ""
    if host.startswith("www."):
        host = host[4:]
    elif host.startswith("m."):
        host = host[2:]
    if host not in _SOCIAL_HOSTS:
        return None
    segments = [s for s in url.raw_path.split("/") if s]
    if not segments:
        return None
    first = segments[0].lower()
    if not _looks_like_profile(host, first, segments):
        return None
    if host == "facebook.com" and first == "profile.php":
        # The numeric id is the profile; without it the URL names nobody.
        profile_id = url.query.get("id")
        if not profile_id:
            return None
        return str(url.with_query({"id": profile_id}).with_fragment(None))
    return str(url.with_query(None).with_fragment(None))
