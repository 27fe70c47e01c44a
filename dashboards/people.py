"""How the author of a post is shown, by who is looking (152-ФЗ: the minimum personal data).

Posts already carry only a pseudonym of the author, but the post's address on the platform
leads to the author's profile. Roles that answer residents (``User.sees_identities``) get the
link; the others get a display alias — a further keyed hash, stable within the installation so
an analyst can still see "the same resident wrote five times" — and no link.
"""

from __future__ import annotations

import hashlib

from infopole.domain.user import User


def author_label(viewer: User, author_id: str, community: bool = False, salt: str = "") -> str:
    if community:
        return "сообщество"
    if not author_id:
        return "автор неизвестен"
    if viewer.sees_identities:
        return f"автор {author_id}"
    alias = hashlib.blake2b(author_id.encode(), key=salt.encode()[:64], digest_size=4).hexdigest()
    return f"житель №{alias}"


def post_link(viewer: User, url: str) -> str:
    """The platform address, only for roles that may see who wrote."""
    return url if viewer.sees_identities else ""
