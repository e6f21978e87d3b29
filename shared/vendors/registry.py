"""Vendor formats by name."""

from __future__ import annotations

from shared.vendors.adapters.base import VendorAdapter
from shared.vendors.adapters.generic import GenericAdapter

ADAPTERS: dict[str, type[VendorAdapter]] = {
    GenericAdapter.format_name: GenericAdapter,
}


def adapter_for(format_name: str) -> VendorAdapter:
    return ADAPTERS[format_name]()
