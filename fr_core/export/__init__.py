"""Training-data exports of a stored run: OpenAI, ShareGPT, Hermes/Qwen, FunReason ``<think>``, BFCL, Parquet."""

from fr_core.export.bfcl import bfcl_category, to_bfcl
from fr_core.export.conversation import Round, accepted_rounds, tools_for
from fr_core.export.formats import SYSTEM_PROMPT, preview, to_funreason, to_hermes, to_openai, to_sharegpt
from fr_core.export.quality import Contamination, ContaminationGuard, NearDuplicateFilter, sample_text
from fr_core.export.writer import FORMATS, REVIEW_MODES, ExportReport, answers_path, export_run

__all__ = [
    "FORMATS",
    "REVIEW_MODES",
    "SYSTEM_PROMPT",
    "Contamination",
    "ContaminationGuard",
    "ExportReport",
    "NearDuplicateFilter",
    "Round",
    "accepted_rounds",
    "bfcl_category",
    "answers_path",
    "export_run",
    "preview",
    "sample_text",
    "to_bfcl",
    "to_funreason",
    "to_hermes",
    "to_openai",
    "to_sharegpt",
    "tools_for",
]
