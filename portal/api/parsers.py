"""The API's JSON parser: Django REST framework's, refusing a body nested too deeply to decode.

Python's JSON decoder recurses once per array or object level and raises RecursionError (not a
ValueError, the only error DRF's parser turns into a ParseError) at about a thousand levels: a
body of 50,000 `[` was a 500. Here it is the same ParseError as any other unreadable body, a
400 problem with a Vietnamese detail (portal.api.problems; docs/api.md §8). Configured once in
settings (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), so every endpoint gets it."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply") from exc
