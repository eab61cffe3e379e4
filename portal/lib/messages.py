"""Messages as data (docs/architecture.md §2): a code, a text with named fields and their
values, some of them links. As a string a `Message` is its plain text, what the API's problem
details, the Excel reports and the logs carry; on a page (`__html__`, which Django's templates
and `format_html` call) the fields named in `links` are links. A rule never writes HTML."""

from collections.abc import Iterable, Mapping

from django.utils.html import format_html


class Message(str):
    code: str
    text: str
    params: dict
    links: dict[str, str]

    def __new__(cls, code: str, text: str, params: Mapping | None = None, links=None):
        params = dict(params or {})
        message = super().__new__(cls, str(text).format(**{k: str(v) for k, v in params.items()}))
        message.code, message.text, message.params = code, str(text), params
        message.links = dict(links or {})
        return message

    def __str__(self) -> str:
        # str() of a message is the message itself: its links survive a ValidationError.
        return self

    def __reduce__(self):
        return (Message, (self.code, self.text, self.params, self.links))

    def __html__(self) -> str:
        values = {
            name: format_html('<a href="{}">{}</a>', self.links[name], value)
            if name in self.links
            else value
            for name, value in self.params.items()
        }
        return format_html(self.text, **values)

    @classmethod
    def joined(cls, code: str, separator: str, messages: Iterable) -> "Message":
        """One message of several, each keeping its links."""
        parts = list(messages)
        text = separator.join(f"{{m{i}}}" for i in range(len(parts)))
        return cls(code, text, {f"m{i}": part for i, part in enumerate(parts)})
