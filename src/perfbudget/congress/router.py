from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/fiscal-years", tags=["congress"])
