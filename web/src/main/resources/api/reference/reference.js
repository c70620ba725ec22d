// The API reference: swagger-ui reading the document the server serves.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "../v1/openapi.yaml",
    dom_id: "#reference",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
