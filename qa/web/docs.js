// The API docs page (/docs): Swagger UI, served by the service itself (the files of the
// fastapi-offline package under /static/swagger/), over the service's own OpenAPI schema.
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    showExtensions: true,
    showCommonExtensions: true,
  });
});
