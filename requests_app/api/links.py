"""OpenAPI links of the letter endpoints (a drf-spectacular postprocessing hook, settings
SPECTACULAR_SETTINGS): the letter a `POST /api/v1/van-ban/` creates is the one its rows
endpoints (list, add, replace) and every action of the lifecycle table act on, and an action's answer is the letter
the next action takes. Callers (and schemathesis' stateful tests, tests/api/
test_schemathesis.py) chain create → act from the schema alone."""

from requests_app.api.writes import API_ACTIONS

LETTER_ID = "$response.body#/id"


def _links() -> dict:
    links = {
        "van_ban_retrieve": {"operationId": "v1_van_ban_retrieve", "parameters": {"id": LETTER_ID}},
        "van_ban_dong_list": {"operationId": "van_ban_dong_list", "parameters": {"id": LETTER_ID}},
        "van_ban_dong_them": {"operationId": "van_ban_dong_them", "parameters": {"id": LETTER_ID}},
        "van_ban_dong_thay": {"operationId": "van_ban_dong_thay", "parameters": {"id": LETTER_ID}},
    }
    for verb in API_ACTIONS:
        links[f"van_ban_{verb}"] = {
            "operationId": "van_ban_act",
            "parameters": {"id": LETTER_ID, "verb": verb},
            "description": f"POST /api/v1/van-ban/{{id}}/{verb}/",
        }
    return links


def add_letter_links(result, generator, request, public):
    """Attach the links to each answer that carries a letter: 201 of the create, 200 of the rows
    and action endpoints."""
    paths = result.get("paths", {})
    answers = [
        ("/api/v1/van-ban/", "post", "201"),
        ("/api/v1/van-ban/{id}/dong/", "post", "200"),
        ("/api/v1/van-ban/{id}/dong/", "put", "200"),
        ("/api/v1/van-ban/{id}/{verb}/", "post", "200"),
    ]
    for path, method, code in answers:
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(code)
        if response is not None:
            response["links"] = _links()
    return result
