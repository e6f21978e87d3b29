"""Vendor formats by name."""

from __future__ import annotations

from shared.vendors.adapters.base import VendorAdapter
from shared.vendors.adapters.generic import GenericAdapter
from shared.vendors.adapters.vidassess import VidassessAdapter
from shared.vendors.adapters.zhiping import ZhipingAdapter

ADAPTERS: dict[str, type[VendorAdapter]] = {
    GenericAdapter.format_name: GenericAdapter,
    VidassessAdapter.format_name: VidassessAdapter,
    ZhipingAdapter.format_name: ZhipingAdapter,
}


def adapter_for(format_name: str) -> VendorAdapter:
    return ADAPTERS[format_name]()
