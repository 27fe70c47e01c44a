"""Placeholder until the reports are wired (see the end of the session)."""

from fastapi import APIRouter

from dashboards.web import Web


def available() -> bool:
    return False


def router(web: Web) -> APIRouter:
    return APIRouter()
