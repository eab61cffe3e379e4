// Starts the vendored Swagger UI on /api/tai-lieu/ (templates/portal/api_docs.html): a static
// file, not an inline script, so that the page needs no exemption from the site's
// Content-Security-Policy. The schema's address comes from the page (data-schema-url).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No badge from the public validator: the portal calls nothing outside itself.
    validatorUrl: null,
  });
})();
