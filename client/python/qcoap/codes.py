"""CoAP codes, message types, options and content formats by name."""

METHODS = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}

MESSAGE_TYPES = {"CON": 0, "NON": 1, "ACK": 2, "RST": 3}

CODE_NAMES = {
    0x00: "Empty", 0x01: "GET", 0x02: "POST", 0x03: "PUT", 0x04: "DELETE",
    0x41: "Created", 0x42: "Deleted", 0x43: "Valid", 0x44: "Changed", 0x45: "Content",
    0x5F: "Continue",
    0x80: "Bad Request", 0x81: "Unauthorized", 0x82: "Bad Option", 0x83: "Forbidden",
    0x84: "Not Found", 0x85: "Method Not Allowed", 0x86: "Not Acceptable",
    0x88: "Request Entity Incomplete", 0x8C: "Precondition Failed",
    0x8D: "Request Entity Too Large", 0x8F: "Unsupported Content-Format",
    0xA0: "Internal Server Error", 0xA1: "Not Implemented", 0xA2: "Bad Gateway",
    0xA3: "Service Unavailable", 0xA4: "Gateway Timeout", 0xA5: "Proxying Not Supported",
}

# number: (name, D-Bus type of the value)
OPTIONS = {
    1: ("If-Match", "ay"), 3: ("Uri-Host", "s"), 4: ("ETag", "ay"), 5: ("If-None-Match", "ay"),
    6: ("Observe", "u"), 7: ("Uri-Port", "u"), 8: ("Location-Path", "s"), 11: ("Uri-Path", "s"),
    12: ("Content-Format", "u"), 14: ("Max-Age", "u"), 15: ("Uri-Query", "s"),
    17: ("Accept", "u"), 20: ("Location-Query", "s"), 23: ("Block2", "u"), 27: ("Block1", "u"),
    28: ("Size2", "u"), 35: ("Proxy-Uri", "s"), 39: ("Proxy-Scheme", "s"), 60: ("Size1", "u"),
}

_OPTION_NUMBERS = {name.lower(): number for number, (name, _) in OPTIONS.items()}

CONTENT_FORMATS = {
    "text/plain": 0,
    "application/link-format": 40,
    "application/xml": 41,
    "application/octet-stream": 42,
    "application/exi": 47,
    "application/json": 50,
    "application/cbor": 60,
}

_CONTENT_FORMAT_NAMES = {number: name for name, number in CONTENT_FORMATS.items()}
_SHORT_FORMATS = {"text": 0, "link": 40, "xml": 41, "octets": 42, "exi": 47, "json": 50,
                  "cbor": 60}


def code_to_string(code):
    """``"2.05"`` for 69."""
    return f"{code >> 5}.{code & 0x1F:02d}"


def code_description(code):
    """``"Content"`` for 69, or None."""
    return CODE_NAMES.get(code)


def parse_code(code):
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


def parse_message_type(message_type):
    """0-3 from 0-3 or ``"con"``, ``"non"``, ``"ack"``, ``"rst"``."""
    if isinstance(message_type, int) and 0 <= message_type <= 3:
        return message_type
    try:
        return MESSAGE_TYPES[str(message_type).upper()]
    except KeyError:
        raise ValueError(f"not a message type: {message_type!r}") from None


def option_name(number):
    """``"Uri-Path"`` for 11, or None."""
    entry = OPTIONS.get(number)
    return entry[0] if entry else None


def option_number(option):
    """An option number from a number or a name (any case)."""
    if isinstance(option, int):
        return option
    number = _OPTION_NUMBERS.get(str(option).lower())
    if number is None:
        if str(option).isdigit():
            return int(option)
        raise ValueError(f"unknown option {option!r}")
    return number


def content_format_number(content_format):
    """A content format number from a number, a media type or a short name."""
    if isinstance(content_format, int):
        return content_format
    text = str(content_format).lower()
    if text in CONTENT_FORMATS:
        return CONTENT_FORMATS[text]
    if text in _SHORT_FORMATS:
        return _SHORT_FORMATS[text]
    if text.isdigit():
        return int(text)
    raise ValueError(f"unknown content format {content_format!r}")


def content_format_name(number):
    """``"application/json"`` for 50, or None."""
    return _CONTENT_FORMAT_NAMES.get(number)
