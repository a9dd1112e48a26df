"""The HTTP API (``/api/v1``): JSON in, the library's records out, on the server of the web UI.

It only translates. Sign-in is HTTP Basic over the server's users file (``assistant.access``);
the records are those of the CLI's ``--json`` (``records.search_record``, ``Answer.to_dict``,
``DocumentInfo`` without the server-side ``origin`` path); every error is
``{"error": "one line"}`` with a 4xx status (503 while the model loads). The OpenAPI page is
``/api/v1/docs``.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures (closures) at run time.

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ..corpus import DocumentInfo, list_documents
from ..errors import (
    AccessError,
    AssistantError,
    ConfigError,
    CorpusError,
    IndexBusyError,
    IndexStateError,
    NotReadyError,
    QueryError,
    SourceError,
    UnknownDocumentError,
)
from ..filters import Filters
from ..records import search_record
from ..search import check_query
from ..uploads import safe_name
from ..users import User
from .service import UIService

log = logging.getLogger(__name__)

STATUS = ((AccessError, 403), (UnknownDocumentError, 404), (NotReadyError, 503), (IndexBusyError, 409),
          (IndexStateError, 409), (QueryError, 400), (SourceError, 400), (ConfigError, 400), (CorpusError, 400))


class SearchRequest(BaseModel):
    query: str = Field(description="The question, Arabic or English.")
    k: int | None = Field(None, ge=1, description="How many passages (default: the server's top_k).")
    doc: list[str] = Field([], description="Only these document ids (either doc or outlet matches).")
    outlet: list[str] = Field([], description="Only documents of these outlets.")
    since: str = Field("", description="Only documents dated on or after YYYY-MM-DD.")
    until: str = Field("", description="Only documents dated on or before YYYY-MM-DD.")
    id: str | int | None = Field(None, description="Echoed back, as in `search --batch`.")


class AskRequest(BaseModel):
    question: str = Field(description="The question.")
    k: int | None = Field(None, ge=1, description="Passages the answer may cite (default: answer_k).")
    history: list[str] = Field([], description="The conversation's earlier questions, oldest first.")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    line = " ".join(str(message).split())[:500] or "error"
    return JSONResponse({"error": line}, status_code=status, headers=headers)


def _public_document(info: DocumentInfo, mine: bool) -> dict:
    record = info.to_dict()
    record.pop("origin")  # a path on the server
    return {**record, "uploaded_by_you": mine}


def api_app(service: UIService) -> FastAPI:
    """The ``/api/v1`` application over ``service`` (mounted beside the Gradio UI)."""
    access, config = service.access, service.config
    app = FastAPI(title="Arabic document assistant API", version="1",
                  description="Search, ask and manage the documents of this server. Sign in with HTTP "
                              "Basic (the server's users file) when the server requires it.",
                  docs_url=None, redoc_url=None, openapi_url=None)  # served below, behind the sign-in
    basic = HTTPBasic(auto_error=False, realm="assistant")

    @app.exception_handler(AssistantError)
    def library_error(request: Request, exc: AssistantError):
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return _error(status, str(exc))

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or "request"
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}")

    def signed_in(credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> User:
        user = access.anonymous()
        if access.sign_in:
            user = access.authenticate(credentials.username, credentials.password) if credentials else None
        if user is None:
            raise HTTPException(401, "sign in with HTTP Basic (a user of the server's users file)",
                                headers={"WWW-Authenticate": 'Basic realm="assistant"'})
        return user

    def writer(user: Annotated[User, Depends(signed_in)]) -> User:
        return service.writer(user.name)

    @app.post("/search", summary="Cited passages for a question")
    def search(body: SearchRequest, user: Annotated[User, Depends(signed_in)]) -> dict:
        query = check_query(body.query, config.max_query_chars)
        filters = Filters(frozenset(body.doc), frozenset(body.outlet), body.since.strip(), body.until.strip())
        k = min(body.k or config.top_k, config.max_results)
        return search_record(body.id, query, service.current().search(query, k, filters=filters))

    @app.post("/ask", summary="A cited answer, with where the sources differ")
    def ask(body: AskRequest, user: Annotated[User, Depends(signed_in)]) -> dict:
        from ..answer import answer_question

        question = check_query(body.question, config.max_query_chars)
        history = [check_query(q, config.max_query_chars) for q in body.history[-config.max_history:] if q.strip()]
        k = min(body.k or config.answer_k, config.max_results)
        return answer_question(service.current(), question, k, previous=history).to_dict()

    @app.get("/documents", summary="The documents of the collection")
    def documents(user: Annotated[User, Depends(signed_in)]) -> dict:
        mine = _uploaded_by(service, user)
        return {"documents": [_public_document(i, i.doc_id in mine) for i in list_documents(config.index_dir)]}

    @app.get("/documents/{doc_id:path}", summary="One document, with its full text")
    def document(doc_id: str, user: Annotated[User, Depends(signed_in)]) -> dict:
        info = next((i for i in list_documents(config.index_dir) if i.doc_id == doc_id), None)
        doc = service.index().documents.get(doc_id)
        if info is None or doc is None:
            raise HTTPException(404, f"no document with the id {doc_id[:80]!r}")
        return {**_public_document(info, doc_id in _uploaded_by(service, user)), "text": doc.text}

    @app.post("/documents", summary="Upload documents (editors)")
    def upload(files: Annotated[list[UploadFile], File(description="Document files")],
               user: Annotated[User, Depends(writer)]) -> dict:
        folder = Path(tempfile.mkdtemp(prefix="assistant-upload-"))
        try:
            paths = []
            for i, f in enumerate(files):  # own names per file: two uploads may share a name
                target = folder / str(i) / safe_name(f.filename or "upload")
                target.parent.mkdir()
                with target.open("wb") as out:
                    shutil.copyfileobj(f.file, out)
                paths.append(str(target))
            result = service.upload(paths, user.name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        record = result.to_dict()
        if result.report is None:
            return _error(400, "; ".join(record["rejected"]) or "no file was added")
        return record

    @app.delete("/documents/{doc_id:path}", summary="Remove a document you uploaded (editors)")
    def remove(doc_id: str, user: Annotated[User, Depends(writer)]) -> dict:
        return service.remove(doc_id, user.name)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: Annotated[User, Depends(signed_in)]) -> dict:
        return app.openapi()

    @app.get("/docs", include_in_schema=False)
    def docs(user: Annotated[User, Depends(signed_in)]):
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title=app.title)

    @app.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def unknown(rest: str):
        raise HTTPException(404, f"no API route /api/v1/{rest[:80]}; see /api/v1/docs")

    return app


def _uploaded_by(service: UIService, user: User) -> set[str]:
    from ..uploads import uploaded_by

    return uploaded_by(service.config.index_dir, user.name)
