"""``lti-tool recommend train|import|evaluate``."""

from __future__ import annotations

import csv
import json
import sys
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import replace
from pathlib import Path

import click
from flask.cli import with_appcontext

from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool_recommend import datasets
from lti_tool_recommend import evaluation
from lti_tool_recommend.data import load_training_set
from lti_tool_recommend.importing import ImportRejected
from lti_tool_recommend.importing import import_interactions
from lti_tool_recommend.store import plugin_state
from lti_tool_recommend.store import retrain_due
from lti_tool_recommend.training import NothingToLearn
from lti_tool_recommend.training import Progress
from lti_tool_recommend.training import TrainingParams
from lti_tool_recommend.training import train


def _fail(message: str, code: int = 1) -> t.NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@contextmanager
def _progress(length: int, label: str) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when the output goes to a file or a pipe."""
    if not sys.stdout.isatty():
        yield None
        return
    with click.progressbar(length=length, label=label) as bar:
        yield bar.update


@click.group("recommend")
def recommend_group() -> None:
    """Train, import and evaluate tutor recommendations."""


@recommend_group.command("train")
@click.option("--if-due", is_flag=True, help="Only train when no model exists or one is due.")
@click.option("--epochs", type=click.IntRange(1, 1000), help="Default: the epochs setting.")
@click.option("--components", type=click.IntRange(1, 512), help="Default: the setting.")
@click.option("--seed", type=int, help="Default: the seed setting.")
@with_appcontext
def train_command(
    if_due: bool, epochs: int | None, components: int | None, seed: int | None
) -> None:
    """Fit the model on everything in the database and swap it in for the running site."""
    state = plugin_state()
    settings = state.settings
    due = retrain_due(settings)
    if if_due and due is None:
        click.echo("No retrain due.")
        return
    flag = settings.flag_path
    flag_text = flag.read_text() if flag.exists() else None
    # Dropped before the data is read: sessions completed from here on count towards the next.
    flag.unlink(missing_ok=True)
    params = TrainingParams.from_settings(settings, epochs=epochs, components=components, seed=seed)
    try:
        now = current_time()
        training_set = load_training_set(db.session(), now)
        with _progress(params.epochs, "Training") as progress:
            model = train(training_set, params, now, state.store.database, progress)
        model.save(settings.model_path)
    except NothingToLearn as exc:
        if flag_text is not None:
            flag.write_text(flag_text)
        if if_due:
            click.echo(f"Nothing to train yet: {exc}.")
            return
        _fail(f"{exc}.")
    except BaseException:
        if flag_text is not None:
            flag.write_text(flag_text)
        raise
    summary = model.meta["summary"]
    click.echo(
        f"Trained on {summary['learners']:,} learners, {summary['tutors']:,} tutors and "
        f"{summary['pairs']:,} learner-tutor pairs in {summary['seconds']:.1f} s"
        + (f" ({due})" if if_due else "")
        + "."
    )
    click.echo(
        f"Saved {settings.model_path} (version {model.meta['version']}, "
        f"trained at {model.meta['trained_at']})."
    )


@recommend_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(csv_file: Path) -> None:
    """Import learner-tutor history: learner_external_id,tutor_external_id,weight,timestamp.

    Any bad line rejects the whole file with a report of every bad line."""
    try:
        with csv_file.open(newline="", encoding="utf-8-sig") as stream:
            result = import_interactions(db.session(), stream, current_time())
    except ImportRejected as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
    except (UnicodeDecodeError, csv.Error) as exc:
        _fail(f"{csv_file} is not a UTF-8 CSV file ({exc}); nothing was imported.")
    click.echo(
        f"Imported {result.written:,} interactions ({result.skipped:,} already there), "
        f"{result.learners_created:,} new learners."
    )


@recommend_group.command("evaluate")
@click.option(
    "--dataset", required=True, help="movielens-100k, or a CSV file in the import format."
)
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--plot", "plot_path", type=click.Path(dir_okay=False), help="PNG of precision@1..20."
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--epochs", type=click.IntRange(1, 1000))
@click.option("--components", type=click.IntRange(1, 512))
@click.option("--learning-rate", type=click.FloatRange(1e-6, 10))
@click.option("--threads", type=click.IntRange(1, 64), help="More is faster, less reproducible.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(
    dataset: str,
    k: int,
    plot_path: str | None,
    seed: int,
    epochs: int | None,
    components: int | None,
    learning_rate: float | None,
    threads: int | None,
    as_json: bool,
) -> None:
    """Precision@k, recall@k and AUC on a held-out 20% for the model, popularity and random."""
    try:
        data = datasets.load(dataset)
    except datasets.DatasetError as exc:
        _fail(str(exc), 2)
    defaults = evaluation.EVALUATION_PARAMS
    params = replace(
        defaults,
        epochs=epochs or defaults.epochs,
        components=components or defaults.components,
        learning_rate=learning_rate or defaults.learning_rate,
        threads=threads or defaults.threads,
        seed=seed,
    )
    with _progress(params.epochs, "Training") as progress:
        report = evaluation.evaluate(data, k=k, seed=seed, params=params, progress=progress)
    if as_json:
        figures = {name: asdict(scores) for name, scores in report.rows.items()}
        click.echo(json.dumps({"dataset": report.dataset, "k": k, "rows": figures}, indent=2))
    else:
        click.echo(evaluation.format_table(report))
    if plot_path:
        evaluation.plot(report, plot_path)
        click.echo(f"Wrote {plot_path}.", err=as_json)
