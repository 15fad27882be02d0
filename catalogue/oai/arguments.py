"""OAI-PMH requests: the verbs and their arguments, dates, identifiers, resumption tokens."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings

from catalogue.xml_formats import MARC_NS, MARC_SCHEMA, OAI_DC_NS, OAI_DC_SCHEMA

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

METADATA_FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "marc21": (MARC_SCHEMA, MARC_NS),
}
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DELETED_RECORD = "persistent"

# Arguments each verb takes: (required, optional); resumptionToken is exclusive.
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
}
# The OAI-PMH schema's patterns for setSpec and metadataPrefix.
SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DOMAIN_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")
_MAX_ID = 2**63 - 1


# Messages (tests reuse them): what is wrong, and with which argument.
MSG_BAD_VERB = "{verb!r} is not an OAI-PMH verb: use one of " + ", ".join(VERBS) + "."
MSG_NO_VERB = "The verb argument is missing: use one of " + ", ".join(VERBS) + "."
MSG_REPEATED_VERB = "The verb argument is given more than once."
MSG_REPEATED = "The argument {name} is given more than once."
MSG_EMPTY = "The argument {name} is empty."
MSG_ILLEGAL = "{verb} does not take the argument {name}."
MSG_MISSING = "{verb} needs the argument {name}."
MSG_EXCLUSIVE = (
    "resumptionToken is exclusive: {verb} with a resumptionToken takes no other argument ({names})."
)
MSG_BAD_DATE = "{name}={value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC)."
MSG_GRANULARITIES = "from and until must have the same granularity (one is a day, the other a second)."
MSG_FROM_AFTER_UNTIL = "from ({start}) is later than until ({end})."
MSG_BAD_SET = "set={value!r} is not a setSpec (letters, digits and -_.!~*'() in parts joined by colons)."
MSG_BAD_PREFIX = "metadataPrefix={value!r} is not a metadata prefix."
MSG_FORMAT = (
    "This repository cannot disseminate the format {prefix!r}: it offers " + ", ".join(METADATA_FORMATS) + "."
)
MSG_NO_ID = "{identifier!r} is not an identifier of this repository (they look like {sample})."
MSG_BAD_TOKEN = "This resumptionToken is not one this repository issued for {verb}, or it was altered."  # noqa: S105 - a message, not a secret
MSG_SETS_TOKEN = "ListSets answers with one complete list: it issues no resumptionToken to resume with."  # noqa: S105
MSG_NO_RECORDS = "No records match these arguments{which}."


@dataclass
class OaiError(Exception):
    code: str
    message: str


@dataclass
class Window:
    """What a list request selects: format, set, datestamp range [start, end)."""

    prefix: str
    set_spec: str = ""
    start: datetime | None = None
    end: datetime | None = None
    from_text: str = ""
    until_text: str = ""


@dataclass
class ListState:
    """A list request's arguments and how far it got: what a resumptionToken carries."""

    window: Window
    after: int = 0
    cursor: int = 0
    size: int | None = None


# --- configuration -----------------------------------------------------------------


def base_url() -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + "/oai"


def repository_identifier() -> str:
    return settings.OAI_REPOSITORY_IDENTIFIER or (urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost")


def oai_identifier(record_id: int) -> str:
    return f"oai:{repository_identifier()}:bib/{record_id}"


def parse_identifier(identifier: str) -> int | None:
    prefix = f"oai:{repository_identifier()}:bib/"
    if not identifier.startswith(prefix):
        return None
    rest = identifier[len(prefix) :]
    if not rest.isascii() or not rest.isdigit() or len(rest) > 19:
        return None
    number = int(rest)
    return number if 0 < number <= _MAX_ID and rest == str(number) else None


def page_size() -> int:
    return max(1, int(settings.OAI_PAGE_SIZE))


# --- dates ---------------------------------------------------------------------------


def datestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(name: str, value: str) -> tuple[datetime, str]:
    """A from/until value as a UTC datetime and its granularity ("day" or "second")."""
    try:
        if _DAY_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), "day"
        if _SECOND_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), "second"
    except ValueError:
        pass
    raise OaiError("badArgument", MSG_BAD_DATE.format(name=name, value=value[:40]))


def list_window(prefix: str, set_spec: str, from_text: str, until_text: str) -> Window:
    """Validate a list request's selective-harvesting arguments (badArgument on error)."""
    window = Window(prefix=prefix, set_spec=set_spec, from_text=from_text, until_text=until_text)
    granularities = []
    if from_text:
        window.start, g = _parse_date("from", from_text)
        granularities.append(g)
    if until_text:
        moment, g = _parse_date("until", until_text)
        granularities.append(g)
        # until is inclusive at its own granularity: the whole day, or the whole second.
        window.end = moment + (timedelta(days=1) if g == "day" else timedelta(seconds=1))
    if len(set(granularities)) > 1:
        raise OaiError("badArgument", MSG_GRANULARITIES)
    if window.start and window.end and window.start >= window.end:
        raise OaiError("badArgument", MSG_FROM_AFTER_UNTIL.format(start=from_text, end=until_text))
    if set_spec and not SPEC_RE.match(set_spec):
        raise OaiError("badArgument", MSG_BAD_SET.format(value=set_spec[:60]))
    return window


# --- resumption tokens -----------------------------------------------------------------


def encode_token(verb: str, state: ListState) -> str:
    w = state.window
    payload = {
        "v": verb,
        "m": w.prefix,
        "s": w.set_spec,
        "f": w.from_text,
        "u": w.until_text,
        "a": state.after,
        "c": state.cursor,
        "n": state.size,
    }
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(verb: str, token: str) -> ListState:
    """The list state a token carries; badResumptionToken for anything else."""
    bad = OaiError("badResumptionToken", MSG_BAD_TOKEN.format(verb=verb))
    if not token or len(token) > 2000 or not re.fullmatch(r"[A-Za-z0-9_\-]+", token):
        raise bad
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(payload, dict) or set(payload) != {"v", "m", "s", "f", "u", "a", "c", "n"}:
        raise bad
    texts = [payload[k] for k in ("v", "m", "s", "f", "u")]
    numbers = [payload["a"], payload["c"]]
    size = payload["n"]
    if (
        payload["v"] != verb
        or payload["m"] not in METADATA_FORMATS
        or not all(isinstance(t, str) for t in texts)
        or not all(type(n) is int and 0 <= n <= _MAX_ID for n in numbers)
        or not (size is None or (type(size) is int and 0 <= size <= _MAX_ID))
    ):
        raise bad
    try:
        window = list_window(payload["m"], payload["s"], payload["f"], payload["u"])
    except OaiError:
        raise bad from None
    return ListState(window=window, after=payload["a"], cursor=payload["c"], size=size)
