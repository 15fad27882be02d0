"""Patrons rate the interlibrary loans they asked for: evidence of how well cooperation serves
them, for the consortium's report (ill.reports.satisfaction).

When a patron's request ends (a requester status flagged terminal in ill/states.py:
completed, cancelled, refused; filled or not) the patron is invited once, on its page and
by email, to rate it 1 to 5 with an optional comment. They may change their answer for
``RATING_CHANGE_WINDOW`` after first giving it; then it is final. Requests without a
patron (staff's citations, a library system's requests) are not rated. Who rated and
what they wrote stay with the patron and their library (ill.visibility.rating).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import formats

from consortium import clock
from ill import exceptions as err
from ill import notices, states
from ill.actors import actor_roles
from ill.models import RATING_COMMENT_MAX, RATING_SCORES, IllRequest, Rating
from ill.states import Role
from policies.calendar import pakistan_date


def rating_invite(*, request: IllRequest) -> Rating | None:
    """Invite the patron of a request that has just ended to rate it; once per request
    (the rating row is the marker, unique per request). Called in the transition's
    transaction, with the request's row locked; the email goes after commit."""
    if request.patron_id is None or request.status not in states.TERMINAL:
        return None
    rating, created = Rating.objects.get_or_create(request=request, defaults={"invited_at": clock.now()})
    if not created:
        return None
    notices.queue_rating_invitation(request=request)
    return rating


def is_final(rating: Rating, now: datetime) -> bool:
    """Whether an answer can no longer be changed (a week after it was first given)."""
    until = rating.changeable_until
    return until is not None and now >= until


def _checked(score: Any, comment: str) -> tuple[int, str]:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in RATING_SCORES:
        raise err.IllError(err.RATING_SCORE, code=err.ErrorCode.RATING_SCORE, field="score")
    comment = (comment or "").strip()
    if len(comment) > RATING_COMMENT_MAX:
        raise err.IllError(
            err.RATING_COMMENT_TOO_LONG.format(length=len(comment), limit=RATING_COMMENT_MAX),
            code=err.ErrorCode.RATING_COMMENT_TOO_LONG,
            field="comment",
        )
    return score, comment


@transaction.atomic
def rating_answer(*, request_id: int, actor: Any, score: Any, comment: str = "") -> Rating:
    """The request's own patron rates it, or changes their rating within the week."""
    req = IllRequest.objects.filter(pk=request_id).first()
    roles = actor_roles(actor, req) if req is not None else set()
    if not roles:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    if Role.PATRON not in roles:
        raise err.IllPermissionDenied(err.ONLY_PATRON_RATES, code=err.ErrorCode.ONLY_PATRON_RATES)
    rating = Rating.objects.select_for_update().filter(request_id=request_id).first()
    if rating is None:
        raise err.InvalidTransition(err.RATING_NOT_OPEN, code=err.ErrorCode.RATING_NOT_OPEN)
    score, comment = _checked(score, comment)
    now = clock.now()
    if is_final(rating, now):
        day = formats.date_format(pakistan_date(rating.changeable_until), "j F Y")
        raise err.InvalidTransition(err.RATING_LOCKED.format(date=day), code=err.ErrorCode.RATING_LOCKED)
    rating.score, rating.comment, rating.updated_at = score, comment, now
    rating.answered_at = rating.answered_at or now
    rating.save(update_fields=["score", "comment", "answered_at", "updated_at"])
    return rating
