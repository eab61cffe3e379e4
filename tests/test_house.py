"""The house rules that the import contract (lint-imports) cannot see, read from the syntax
trees of the project's own code (docs/architecture.md §1, "Imports"):

- no import placed inside a function, except the few listed in ALLOWED_IN_FUNCTIONS with
  their reason (an import inside a function is how a circle hides);
- no circle of imports between the modules of one app, counting every import wherever it is
  written (a model looked up in the app registry, `apps.get_model`, is not an import);
- no private name (`_helper`, `_module`) of the project imported by another module: what another
  module needs is public where it is defined.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["agencies", "approvals", "bulk", "certificates", "config", "dashboard", "demand",
        "devices", "exchange", "mailing", "orgmerge", "paperwork", "portal", "privacy",
        "remote_signing", "requests_app", "webhooks"]  # fmt: skip

# (file, imported module) → why it stays inside its function.
READY = "AppConfig.ready(): signal handlers and registrations, once the app registry is ready"
ALLOWED_IN_FUNCTIONS = {
    ("agencies/apps.py", "agencies.accounts"): READY,
    ("agencies/apps.py", "agencies.code_imports"): READY,
    ("agencies/apps.py", "agencies.tasks"): READY,
    ("agencies/apps.py", "portal.imports"): READY,
    ("certificates/apps.py", "certificates"): READY,
    ("devices/apps.py", "devices.stock_jobs"): READY,
    ("orgmerge/apps.py", "orgmerge"): READY,
    ("devices/apps.py", "devices.tasks"): READY,
    ("devices/apps.py", "portal.imports"): READY,
    ("portal/apps.py", "portal"): READY,
    ("portal/apps.py", "portal.lib"): READY,
    ("webhooks/apps.py", "webhooks"): READY,
    ("portal/apps.py", "portal.lib.folding"): READY,
    ("requests_app/apps.py", "portal.imports"): READY,
    ("requests_app/apps.py", "requests_app.excel.jobs"): READY,
    ("paperwork/apps.py", "devices.extensions"): READY,
    ("paperwork/apps.py", "paperwork.views.signing"): READY,
    ("approvals/apps.py", "approvals"): READY,
    ("bulk/apps.py", "bulk"): READY,
    ("mailing/apps.py", "mailing"): READY,
    ("exchange/apps.py", "exchange.edxml.outbox"): READY,
    ("exchange/apps.py", "exchange.querysets"): READY,
    ("exchange/apps.py", "exchange.services.mail"): READY,
    ("exchange/apps.py", "exchange.views.letter_panel"): READY,
    ("exchange/apps.py", "mailing.attachments"): READY,
    ("exchange/apps.py", "requests_app"): READY,
    ("requests_app/apps.py", "agencies.models"): READY,
    ("requests_app/apps.py", "privacy.access"): READY,
    ("requests_app/apps.py", "privacy.reveal"): READY,
    ("requests_app/apps.py", "requests_app.models"): READY,
    ("devices/apps.py", "devices.models"): READY,
    ("devices/apps.py", "privacy.access"): READY,
    ("devices/apps.py", "privacy.reveal"): READY,
    # WeasyPrint takes over a second to import and needs Pango: loaded when a PDF is drawn,
    # so `manage.py` commands, the worker and `make run` start without it.
    ("portal/lib/pdf.py", "weasyprint"): "WeasyPrint: heavy, needs Pango; loaded to draw a PDF",
    ("portal/lib/pdf.py", "weasyprint.urls"): "WeasyPrint: heavy, needs Pango; loaded to draw",
}


def project_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports_of(node) -> list[str]:
    """Modules (and `module.name` candidates) an import statement names; relative ones skipped."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def imports_in_functions() -> set[tuple[str, str]]:
    found = set()
    for path in project_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        module = imports_of(node)[0] if imports_of(node) else "(relative)"
                        found.add((str(path.relative_to(ROOT)), module))
    return found


def circles_inside_apps() -> list[list[str]]:
    """Strongly connected groups of more than one module, edges between modules of one app."""
    modules = {module_name(path): path for path in project_files()}

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in imports_of(node):
                found = known(target)
                if found and found != name and found.split(".")[0] == name.split(".")[0]:
                    edges[name].add(found)
    # Tarjan's strongly connected components, iteratively.
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_inside_a_function_except_the_listed_ones():
    found = imports_in_functions()
    assert found - set(ALLOWED_IN_FUNCTIONS) == set()


def test_every_listed_exception_is_still_needed():
    assert set(ALLOWED_IN_FUNCTIONS) - imports_in_functions() == set()


def test_no_circle_of_imports_inside_an_app():
    assert circles_inside_apps() == []


def private_names_imported() -> list[str]:
    found = []
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                continue
            if node.module.split(".")[0] not in APPS:
                continue  # a library's own private names (python-docx's _Cell) are its business
            parts = node.module.split(".") + [alias.name for alias in node.names]
            private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
            if private:
                found.append(f"{path.relative_to(ROOT)}: from {node.module} import {private}")
    return found


def test_no_private_name_is_imported_from_another_module():
    assert private_names_imported() == []


def test_the_architecture_map_is_read_in_an_afternoon():
    """docs/architecture.md stays a map (at most 600 lines); detail lives in the documents it
    points to, benchmark runs in bench/HISTORY.md."""
    lines = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 600
