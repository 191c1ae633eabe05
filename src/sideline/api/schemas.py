"""Request and response shapes shared by the routers."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


async def page_params(limit: int = Query(50, ge=1, le=500, description="Items per page"),
                      offset: int = Query(0, ge=0, le=10_000_000, description="Items to skip")) -> PageParams:
    # async so it runs on the event loop (a class dependency would cost a thread-pool hop).
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: object | None = None
    request_id: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "Bad request"},
    401: {"model": ErrorBody, "description": "Not authenticated"},
    404: {"model": ErrorBody, "description": "Not found (also for other organisations' ids)"},
    422: {"model": ErrorBody, "description": "Validation error"},
    429: {"model": ErrorBody, "description": "Rate limited; see Retry-After"},
}
