# SPDX-License-Identifier: MIT
"""CoAP codes, message types, options and content formats by name.

The tables come from the registry that qcoapd, libqcoap-glib and qcoapctl
share (generated into :mod:`qcoap._registry` when the module is built).
"""

from typing import Dict, Optional, Union

from ._registry import CODES, CONTENT_FORMATS as _CONTENT_FORMAT_TABLE, OPTIONS

__all__ = ["METHODS", "MESSAGE_TYPES", "CODE_NAMES", "OPTIONS", "CONTENT_FORMATS",
           "code_to_string", "code_description", "parse_code", "parse_message_type",
           "option_name", "option_number", "content_format_number", "content_format_name"]

METHODS: Dict[str, int] = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}
"""The request codes by method name."""

MESSAGE_TYPES: Dict[str, int] = {"CON": 0, "NON": 1, "ACK": 2, "RST": 3}
"""The message types by name."""

CODE_NAMES: Dict[int, str] = dict(CODES)
"""Code number (class*32 + detail) → its name (``69: "Content"``)."""

CONTENT_FORMATS: Dict[str, int] = {name: number
                                   for number, (name, _) in _CONTENT_FORMAT_TABLE.items()}
"""Content type as IANA registers it → content format number."""

_OPTION_NUMBERS = {name.lower(): number for number, (name, _) in OPTIONS.items()}
_FORMAT_NUMBERS = {alias.lower(): number
                   for number, (name, aliases) in _CONTENT_FORMAT_TABLE.items()
                   for alias in [name, *aliases]}


def code_to_string(code: int) -> str:
    """``"2.05"`` for 69."""
    return f"{code >> 5}.{code & 0x1F:02d}"


def code_description(code: int) -> Optional[str]:
    """``"Content"`` for 69, or None."""
    return CODE_NAMES.get(code)


def parse_code(code: Union[int, str]) -> int:
    """A code from 69, ``"2.05"``, ``"69"`` or a method name (``"get"``)."""
    if isinstance(code, int):
        if not 0 <= code <= 255:
            raise ValueError(f"a code is 0-255, not {code}")
        return code
    text = str(code)
    if text.upper() in METHODS:
        return METHODS[text.upper()]
    if "." in text:
        klass, _, detail = text.partition(".")
        if klass.isdigit() and detail.isdigit() and len(detail) == 2:
            if int(klass) <= 7 and int(detail) <= 31:
                return int(klass) << 5 | int(detail)
    elif text.isdigit() and int(text) <= 255:
        return int(text)
    raise ValueError(f"not a CoAP code: {code!r}")


def parse_message_type(message_type: Union[int, str]) -> int:
    """0-3 from 0-3 or ``"con"``, ``"non"``, ``"ack"``, ``"rst"``."""
    if isinstance(message_type, int) and 0 <= message_type <= 3:
        return message_type
    try:
        return MESSAGE_TYPES[str(message_type).upper()]
    except KeyError:
        raise ValueError(f"not a message type: {message_type!r}") from None


def option_name(number: int) -> Optional[str]:
    """``"Uri-Path"`` for 11, or None."""
    entry = OPTIONS.get(number)
    return entry[0] if entry else None


def option_number(option: Union[int, str]) -> int:
    """An option number from a number or a name (any case)."""
    if isinstance(option, int):
        return option
    number = _OPTION_NUMBERS.get(str(option).lower())
    if number is None:
        if str(option).isdigit():
            return int(option)
        raise ValueError(f"unknown option {option!r}")
    return number


def content_format_number(content_format: Union[int, str]) -> int:
    """A content format number from a number, a content type
    (``"application/senml+json"``) or a short name (``"json"``)."""
    if isinstance(content_format, int):
        return content_format
    text = str(content_format).lower()
    if text in _FORMAT_NUMBERS:
        return _FORMAT_NUMBERS[text]
    if text.isdigit():
        return int(text)
    raise ValueError(f"unknown content format {content_format!r}")


def content_format_name(number: int) -> Optional[str]:
    """The content type of a format (``"application/json"`` for 50), or None."""
    entry = _CONTENT_FORMAT_TABLE.get(number)
    return entry[0] if entry else None
