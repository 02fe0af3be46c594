// Swagger UI for /docs, served from the package (no CDN, no inline script).
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});
