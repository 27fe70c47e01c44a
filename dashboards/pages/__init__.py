"""One router per page of the МЦУ's screen, each built from the shared ``dashboards.web.Web``."""
