"""Logging and metrics in one neutral module. Logs carry ids and counts, never personal data.

Tracer is left out on purpose: X-Ray is switched on at the Lambda level (CDK), and the SDK
nearly doubles cold-start import time (see benchmarks/coldstart.py).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="hirelens")
metrics = Metrics(namespace="Hirelens", service="hirelens")
