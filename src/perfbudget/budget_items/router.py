from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/budget-items", tags=["budget-items"])
