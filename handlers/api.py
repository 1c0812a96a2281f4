"""Lambda entry of ApiFunction: the FastAPI app behind API Gateway (HTTP API, payload v2) via Mangum."""

from __future__ import annotations

from mangum import Mangum

from handlers.app import create_app

app = create_app()
# lifespan="off": Mangum would otherwise run startup on every invocation; clients live at module scope.
handler = Mangum(app, lifespan="off")
