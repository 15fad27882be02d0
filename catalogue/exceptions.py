"""Domain errors of the union catalogue; messages are constants that tests reuse."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from catalogue.import_messages import MESSAGES
from consortium.exceptions import DomainError, error_codes


@error_codes("catalogue")
class ErrorCode(StrEnum):
    """The ``code`` of every catalogue error (an API error body's ``code``): what a client
    can act on without reading the message."""

    UNKNOWN_LIBRARY = "unknown_library"
    NOT_YOUR_LIBRARY = "not_your_library"
    FILE_EMPTY = "file_empty"
    FILE_TOO_BIG = "file_too_big"
    UNKNOWN_FORMAT = "unknown_format"
    IMPORT_NOT_FOUND = "import_not_found"
    IMPORT_FINISHED = "import_finished"
    IMPORT_STILL_RUNNING = "import_still_running"
    SOURCE_NOT_MERGED = "source_not_merged"
    ONE_SOURCE = "one_source"
    MERGE_ITSELF = "merge_itself"
    MERGE_NO_SOURCES = "merge_no_sources"
    # a search the portal cannot run (catalogue.query); the message says why
    INVALID_QUERY = "invalid_query"
    NO_SOURCE_AS_RECEIVED = "no_source_as_received"  # the "source" export of a merged-only record


MSG_TOO_BIG = _("{name}: the file is {size} bytes, over the limit of {limit} bytes.")
MSG_EMPTY_FILE = _("{name}: the file is empty.")
MSG_UNKNOWN_LIBRARY = _("Unknown library code {code}.")
MSG_NOT_YOUR_LIBRARY = _("You may import records only for your own library ({code}).")
MSG_BAD_FORMAT = _("{name}: unknown format {fmt}; use one of marc, marcxml, csv.")
MSG_DUPLICATE_ID = MESSAGES["duplicate_id"]
MSG_NO_SUCH_IMPORT = _("No such import.")
MSG_NO_SOURCE = _("This record has no source record as received: it was built from merged fields.")
MSG_RERUN_DONE = _("This import has finished; it cannot be run again. Upload the file again instead.")
MSG_RERUN_ALIVE = _("This import is still running; it can be run again only if it fails or stops.")
MSG_MAPPING_NOT_OBJECT = _("The mapping must be an object of field names to column names.")
MSG_NOT_MERGED = _("This source record is not part of a merged record.")
MSG_ONE_SOURCE = _("This record has only one source; there is nothing to split.")
MSG_MERGE_ITSELF = _("A record cannot be merged with itself.")
MSG_MERGE_NO_SOURCES = _("Both records need at least one source record to merge.")


class ImportRejected(DomainError):
    """The whole file (or request) is refused before any record is read."""
