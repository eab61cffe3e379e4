"""axe-core (the axe.min.js that axe-playwright-python ships) on every page the browser tests
visit, so a walk-through fails on a critical or serious accessibility violation.

Every browser context the tests open (`browser.new_context`, patched by the `axe_audit` fixture
of tests/browser/conftest.py) carries axe as an init script: each top-level HTML page runs it
once loaded and reports back through a binding, so the check sees the page in the state the walk
reached (a form refused with its errors, a list after a filter). A page the walk left before axe
was done is opened again (GET pages only) in the same context when the context closes, and
checked then. The admin (Django's own pages under /quan-tri/) is left out. Injected by the
browser itself, axe is not subject to the portal's Content-Security-Policy, which stays as
strict as in production.
"""

from dataclasses import dataclass, field

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Error as PlaywrightError

FAILING = ("critical", "serious")
# Django's own admin is left out: its markup and styles are Django's (and axe, reading the
# admin's stylesheets, trips the Content-Security-Policy that tests/browser/test_csp.py watches).
ADMIN = "/quan-tri/"
# The page runs axe on `load` (top-level HTML documents only) and reports what fails. Rules that
# can only find minor or moderate violations (neither the rule's impact nor any of its checks'
# is serious or critical: 32 of axe 4.12's 105, `region` among the costly ones) are left out:
# what they would find never fails a test, and they took a quarter of axe's time.
RUNNER = """
(() => {
  const MILD_RULES_OFF = () => {
    const failing = new Set(["serious", "critical"]);
    const checks = (axe._audit && axe._audit.checks) || {};
    const can_fail = (rule) => failing.has(rule.impact) ||
      [...rule.any, ...rule.all, ...rule.none].some(
        (check) => failing.has(((checks[check.id || check] || {}).metadata || {}).impact));
    const off = {};
    for (const rule of (axe._audit && axe._audit.rules) || []) {
      if (!can_fail(rule)) off[rule.id] = {enabled: false};
    }
    return off;
  };
  if (window.top !== window || document.contentType !== "text/html") return;
  if (location.protocol === "about:") return;  // a popup's initial empty document
  if (location.pathname.startsWith(ADMIN)) return;
  const url = location.href;
  window.addEventListener("load", () => {
    window.__axeStarted(url);
    axe.run(document, {resultTypes: ["violations"], rules: MILD_RULES_OFF()}).then(
      (results) => window.__axeReport(url, results.violations),
      (error) => window.__axeReport(url, [{id: "axe-error", impact: "critical",
                                            help: String(error), nodes: []}]),
    );
  });
})();
"""


def failing(violations: list[dict]) -> list[dict]:
    """The critical and serious violations, each with the first few elements it names."""
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation.get("help", ""),
            "targets": [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]],
        }
        for violation in violations
        if violation.get("impact") in FAILING
    ]


@dataclass
class AxeAudit:
    """What axe found on every page of one test: url → failing violations."""

    checked: dict[str, list[dict]] = field(default_factory=dict)
    reports: int = 0
    started: dict[int, set[str]] = field(default_factory=dict)  # per context, not yet reported
    navigations: dict[int, dict[str, str]] = field(default_factory=dict)  # url → method

    def attach(self, context) -> None:
        key = id(context)
        self.started[key] = set()
        self.navigations[key] = {}

        def on_started(_source, url):
            self.started[key].add(url)

        def on_report(_source, url, violations):
            self.started[key].discard(url)
            self.checked[url] = failing(violations)
            self.reports += 1

        def on_request(request):
            if not request.is_navigation_request():
                return
            try:
                top_level = request.frame.parent_frame is None
            except PlaywrightError:  # a popup's first navigation comes before its frame
                top_level = True
            if top_level:
                self.navigations[key][request.url] = request.method

        context.expose_binding("__axeStarted", on_started)
        context.expose_binding("__axeReport", on_report)
        context.add_init_script(AXE_SCRIPT)
        context.add_init_script(RUNNER.replace("ADMIN", repr(ADMIN)))
        context.on("request", on_request)

    def wait_for_report(self, page, since: int, timeout_ms: int = 20_000) -> None:
        waited = 0
        while self.reports == since and waited < timeout_ms:
            page.wait_for_timeout(100)
            waited += 100

    def finish(self, context) -> None:
        """Check again, by opening them anew, the GET pages left before axe had reported."""
        key = id(context)
        missed = [
            url
            for url in sorted(self.started.get(key, set()))
            if url not in self.checked and self.navigations[key].get(url, "GET") == "GET"
        ]
        if missed:
            # The context's bindings still report here: its bookkeeping is dropped only after.
            page = context.new_page()
            for url in missed:
                since = self.reports
                response = page.goto(url)
                content_type = response.headers.get("content-type", "") if response else ""
                if "text/html" in content_type:
                    self.wait_for_report(page, since)
        self.started.pop(key, None)
        self.navigations.pop(key, None)

    def failures(self) -> dict[str, list[dict]]:
        return {url: found for url, found in self.checked.items() if found}
