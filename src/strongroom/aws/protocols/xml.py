"""XML for the query, ec2 and rest-xml protocols: shapes written as AWS writes them, request bodies read.

Writing follows what botocore's XML response parser reads (flattened lists and maps, `locationName`,
`xmlNamespace`, `xmlAttribute`); reading follows what botocore's rest-xml serializer writes.
Request bodies are parsed by expat into an ElementTree with DTDs and entities refused, so no
entity expansion or external fetch can happen (the defusedxml rules, without the dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from botocore.model import ListShape, MapShape, Shape, StructureShape

from strongroom.aws.errors import SerializationError
from strongroom.aws.protocols import values
from strongroom.aws.protocols.error_shapes import WireError, extra_members

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def escape_text(text: str) -> str:
    return text.translate(_TEXT_ESCAPES)


def escape_attribute(text: str) -> str:
    return text.translate(_ATTR_ESCAPES)


def text_element(name: str, text: str) -> str:
    return f"<{name}>{escape_text(text)}</{name}>"


# --- writing -------------------------------------------------------------------------------------


def member_element_name(member_name: str, shape: Shape) -> str:
    """The element a structure member is written as (a flattened list takes its member's name)."""
    if isinstance(shape, ListShape) and shape.serialization.get("flattened"):
        item_name = shape.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(shape.serialization.get("name", member_name))


def write_structure_members(shape: StructureShape, value: Mapping[str, Any]) -> str:
    """The child elements of a structure (members with an HTTP location are left out)."""
    parts: list[str] = []
    for member_name, member_shape in shape.members.items():
        member_value = value.get(member_name)
        if member_value is None:
            continue
        if member_shape.serialization.get("location") or member_shape.serialization.get("xmlAttribute"):
            continue
        _write(parts, member_element_name(member_name, member_shape), member_shape, member_value)
    return "".join(parts)


def write_element(name: str, shape: Shape, value: Any, namespace: str | None = None) -> str:
    """One value as the element `name` (a root element gets `namespace` as its xmlns)."""
    parts: list[str] = []
    _write(parts, name, shape, value, namespace)
    return "".join(parts)


def _start_tag(name: str, shape: Shape, value: Any, namespace: str | None) -> str:
    attributes: list[str] = []
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, Mapping):
        prefix = ns.get("prefix")
        if prefix:
            attributes.append(f' xmlns:{prefix}="{escape_attribute(ns["uri"])}"')
        else:
            namespace = namespace or ns.get("uri")
    elif isinstance(ns, str):
        namespace = namespace or ns
    if namespace:
        attributes.insert(0, f' xmlns="{escape_attribute(namespace)}"')
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for member_name, member_shape in shape.members.items():
            if member_shape.serialization.get("xmlAttribute") and value.get(member_name) is not None:
                text = _scalar_text(member_shape, value[member_name])
                attributes.append(f' {member_shape.serialization["name"]}="{escape_attribute(text)}"')
    return f"<{name}{''.join(attributes)}>"


def _write(parts: list[str], name: str, shape: Shape, value: Any, namespace: str | None = None) -> None:
    if isinstance(shape, ListShape):
        item_shape = shape.member
        if shape.serialization.get("flattened"):
            for item in value:
                if item is not None:
                    _write(parts, name, item_shape, item)
            return
        item_name = item_shape.serialization.get("name", "member")
        parts.append(_start_tag(name, shape, value, namespace))
        for item in value:
            if item is not None:
                _write(parts, item_name, item_shape, item)
        parts.append(f"</{name}>")
        return
    if isinstance(shape, MapShape):
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            parts.append(_start_tag(name, shape, value, namespace))
        for key, item in value.items():
            parts.append(f"<{name}>" if flattened else "<entry>")
            _write(parts, key_name, shape.key, key)
            if item is not None:
                _write(parts, value_name, shape.value, item)
            parts.append(f"</{name}>" if flattened else "</entry>")
        if not flattened:
            parts.append(f"</{name}>")
        return
    parts.append(_start_tag(name, shape, value, namespace))
    if isinstance(shape, StructureShape):
        parts.append(write_structure_members(shape, value))
    else:
        parts.append(escape_text(_scalar_text(shape, value)))
    parts.append(f"</{name}>")


def _scalar_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        stamp = value if isinstance(value, datetime) else values.parse_timestamp(value)
        return str(values.format_timestamp(stamp, shape.serialization.get("timestampFormat", "iso8601")))
    return values.format_scalar(shape.type_name, value)


def error_fields(wire: WireError) -> str:
    """`<Code>`, `<Message>` and the error shape's extra members, as XML elements."""
    parts = [text_element("Code", wire.code), text_element("Message", wire.message)]
    for name, shape, value in extra_members(wire):
        parts.append(
            write_element(name, shape, value) if shape is not None else text_element(name, str(value))
        )
    return "".join(parts)


# --- reading -------------------------------------------------------------------------------------


def _refuse(*_: object) -> None:
    raise SerializationError("XML documents with a DTD or entity declarations are not accepted")


def _refuse_external(*_: object) -> int:
    raise SerializationError("XML documents with external entities are not accepted")


def parse_xml(body: bytes) -> Element:
    """The root element of an XML document; `SerializationError` if malformed or it declares a DTD."""
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse_external
    parser.buffer_text = True

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_qualified(name), {_qualified(k): v for k, v in attributes.items()})

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_qualified(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise SerializationError(f"The XML you provided was not well-formed: {exc}") from None
    except AssertionError:  # TreeBuilder.close on a document without a root element
        raise SerializationError("The XML you provided was empty") from None


def _qualified(name: str) -> str:
    return "{" + name if "}" in name else name


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_element(shape: Shape, element: Element) -> Any:
    """An element's value as plain values, following the shape."""
    if isinstance(shape, StructureShape):
        return read_structure(shape, element)
    if isinstance(shape, ListShape):
        return [read_element(shape.member, child) for child in element]
    if isinstance(shape, MapShape):
        return _read_map_entries(shape, list(element))
    return values.parse_scalar(shape.type_name, element.text or "")


def read_structure(shape: StructureShape, element: Element) -> dict[str, Any]:
    """The members of a structure element (HTTP-located members are not in the body)."""
    children: dict[str, list[Element]] = {}
    for child in element:
        children.setdefault(local_name(child.tag), []).append(child)
    attributes = {local_name(k): v for k, v in element.attrib.items()}
    result: dict[str, Any] = {}
    for member_name, member_shape in shape.members.items():
        serialization = member_shape.serialization
        if serialization.get("location"):
            continue
        name = str(serialization.get("name", member_name))
        if serialization.get("xmlAttribute"):
            attribute = attributes.get(local_name(name.replace(":", "}")))
            if attribute is not None:
                result[member_name] = values.parse_scalar(member_shape.type_name, attribute)
            continue
        found = children.get(name) or children.get(member_element_name(member_name, member_shape))
        if not found:
            continue
        if isinstance(member_shape, ListShape) and serialization.get("flattened"):
            result[member_name] = [read_element(member_shape.member, item) for item in found]
        elif isinstance(member_shape, MapShape) and serialization.get("flattened"):
            result[member_name] = _read_map_entries(member_shape, found)
        else:
            result[member_name] = read_element(member_shape, found[-1])
    return result


def _read_map_entries(shape: MapShape, entries: list[Element]) -> dict[str, Any]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    result: dict[str, Any] = {}
    for entry in entries:
        key: Any = None
        item: Any = None
        for part in entry:
            tag = local_name(part.tag)
            if tag == key_name:
                key = read_element(shape.key, part)
            elif tag == value_name:
                item = read_element(shape.value, part)
        if key is not None:
            result[key] = item
    return result
