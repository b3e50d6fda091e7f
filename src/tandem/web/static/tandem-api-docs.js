// Tandem: start Swagger UI on /api/v1/docs. A file rather than an inline script, so that the
// page keeps the Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // A bearer token typed into "Authorize" is a credential to patient data: keep it in the
    // page's memory only, never in localStorage, where it would outlive the tab.
    persistAuthorization: false,
    // The default sends the API description to an outside validator for a badge.
    validatorUrl: null
  });
})();
