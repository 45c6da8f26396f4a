"""`trafficking-ref export ...`: printed checklists, pocket cards and data exports."""

from __future__ import annotations

import typer

export_app = typer.Typer(
    help="Printed checklists, pocket cards and data exports for trainers.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
