"""What an import says about a file or a record: a code and its values, said in the reader's
language.

A message is made where the problem is found (often in a worker process, in no reader's
language); it is stored twice: in English (ImportJob.error, ImportRecordError.reason: the
command line, the API, the CSV of errors) and as data (error_data, reason_data), which the
import pages render in the language of whoever reads them.

ImportMessage is a str (its English text), so code that only needs the text (comparisons,
the command's output) is unchanged; it pickles with its code and values between processes.
"""

from __future__ import annotations

import ast
import functools
import re

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": _("The file is empty."),
    "no_records": _("No MARC records found in the file (is it {expected}?)."),
    "xml_invalid": _("Invalid XML at line {line}, column {column}: {reason}"),
    "xml_forbidden": _("XML refused: {reason} (entity declarations and DTDs are not accepted)."),
    "csv_columns": _("CSV header lacks the required column(s) {missing}; found: {found}."),
    "csv_encoding": _("The CSV file is not UTF-8 text (bad byte near line {line})."),
    "csv_error": _("CSV error at line {line}: {error}"),
    "csv_no_rows": _("The CSV file has a header but no rows."),
    "unknown_format": _("Unknown format {fmt}; use one of {formats}."),
    "leader_length": _(
        "Record length in the leader ({declared}) differs from the record's length ({actual})."
    ),
    "leader_not_digits": _("Invalid leader: record length {head} is not five digits."),
    "too_short": _("Record shorter than a MARC leader."),
    "invalid_utf8": _("Invalid UTF-8 (leader/09 = 'a'): byte 0x{byte} at offset {offset} of a field."),
    "corrupt": _("Corrupt MARC record: {error}"),
    "control_tag": _("Invalid control field tag {tag}."),
    "data_tag": _("Invalid data field tag {tag}."),
    "truncated": _("Truncated record: the file ends inside it ({length} bytes, no record terminator)."),
    "xml_encoding": _(
        "The XML declaration at line {line} names the character encoding {encoding!r}, which is not"
        ' a known encoding; nothing was imported. Save the file as UTF-8 (encoding="UTF-8").'
    ),
    "xml_encoding_unreadable": _(
        "The XML declaration at line {line} names the character encoding {encoding!r}, which the"
        " XML reader cannot read (of the multi-byte encodings only UTF-8 and UTF-16 are read);"
        " nothing was imported. Save the file as UTF-8."
    ),
    # A damaged record's reason is itself a message (its code and values: see _render).
    "damaged": _(
        "Damaged record at byte {offset} of the file (the records before and after it are read): {reason}"
    ),
    "terminator": _("Its end-of-record byte (0x1D) is missing, damaged or misplaced."),
    "no_id": _("The record has no local id (001 control number)."),
    "no_title": _("The record has no title (245 $a)."),
    "not_storable": _("Record cannot be stored as MARC21: {error}"),
    "unreadable": _("Unreadable record: {error}"),
    "duplicate_id": _("Local id {local_id} appears again in this file (first at record {first})."),
    "nothing_imported": _("no record could be imported."),
    "internal_error": _("import stopped by an internal error ({error}); run it again to continue."),
}
# Values that are themselves words: said in the reader's language too.
EXPECTED = {"marc": _("MARC21 binary"), "marcxml": _("MARCXML (records in the MARC21/slim schema)")}
NOTHING = _("nothing")


def _render(code: str, params: dict) -> str:
    # A value that is a message of its own ({"code", "params"}) is said in the same language.
    values = {
        key: _render(value["code"], value.get("params") or {})
        if isinstance(value, dict) and "code" in value
        else value
        for key, value in params.items()
    }
    if "expected" in values:
        values["expected"] = str(EXPECTED.get(values["expected"], values["expected"]))
    if values.get("found") == "":
        values["found"] = gettext(NOTHING)
    return str(MESSAGES[code]).format(**values)


class ImportMessage(str):
    """An import message: its English text, with its code and values for other languages."""

    code: str
    params: dict

    def __new__(cls, code: str, **params: object) -> ImportMessage:
        with translation.override("en"):
            text = _render(code, params)
        message = super().__new__(cls, text)
        message.code, message.params = code, params
        return message

    def __reduce__(self):
        return (_rebuild, (self.code, self.params))

    def as_data(self, *, file: str = "") -> dict:
        data = {"code": self.code, "params": self.params}
        return {**data, "file": file} if file else data


def _rebuild(code: str, params: dict) -> ImportMessage:
    return ImportMessage(code, **params)


def message_text(data: dict, stored: str = "") -> str:
    """A stored message in the active language; the stored English when it has no data."""
    if not data or data.get("code") not in MESSAGES:
        return stored
    try:
        text = _render(data["code"], data.get("params") or {})
    except (KeyError, IndexError, ValueError):
        return stored
    return f"{data['file']}: {text}" if data.get("file") else text


# --- reading back messages stored as English text only -----------------------------------

_FIELD = re.compile(r"\{(\w+)(![rs])?\}")


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern, set[str]]]:
    """Each message's English text as a pattern with a group per value; the values written
    with !r ({encoding!r}) are listed so their quotes are read back."""
    patterns = []
    with translation.override("en"):
        for code, message in MESSAGES.items():
            template, pattern, quoted, at = str(message), "", set(), 0
            for field in _FIELD.finditer(template):
                pattern += re.escape(template[at : field.start()]) + f"(?P<{field[1]}>.+?)"
                if field[2] == "!r":
                    quoted.add(field[1])
                at = field.end()
            pattern += re.escape(template[at:])
            patterns.append((code, re.compile(f"^{pattern}$", re.S), quoted))
    return patterns


def data_of_english(text: str) -> dict:
    """The code and values of a message stored as English text only (before messages were
    data), or {} when the text is not one of MESSAGES. A reading is accepted only when the
    message rebuilt from it is the stored text again, letter for letter."""
    with translation.override("en"):
        expected = {str(label): key for key, label in EXPECTED.items()}
        nothing = str(NOTHING)
        for code, pattern, quoted in _patterns():
            if not (match := pattern.match(text)):
                continue
            params: dict = {}
            for name, value in match.groupdict().items():
                if name in quoted:
                    try:
                        value = ast.literal_eval(value)
                    except (ValueError, SyntaxError):
                        break
                elif name == "expected":
                    value = expected.get(value, value)
                elif name == "found" and value == nothing:
                    value = ""
                elif name == "reason" and code == "damaged":
                    value = data_of_english(value) or value
                params[name] = value
            else:
                try:
                    if _render(code, params) == text:
                        return {"code": code, "params": params}
                except (KeyError, IndexError, ValueError):
                    pass
    return {}


def data_of_stored(text: str, *, file: str = "") -> dict:
    """data_of_english for a stored job or record message, which may start with the file's
    name ("books.mrc: The file is empty.")."""
    if file and text.startswith(f"{file}: "):
        data = data_of_english(text[len(file) + 2 :])
        return {**data, "file": file} if data else {}
    return data_of_english(text)
