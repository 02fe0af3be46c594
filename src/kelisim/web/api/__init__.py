"""The JSON API under /api (routes in :mod:`kelisim.web.api.routes`)."""
