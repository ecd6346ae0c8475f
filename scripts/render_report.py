"""Rule render_report: write the report's Markdown, then render HTML and PDF from it."""

from pathlib import Path

from archstudy.logs import step
from archstudy.reporting.document import StudyInput, build_context, write_markdown
from archstudy.reporting.render import available_renderer, render_report

with step(snakemake.log[0], "render_report") as log:
    params = snakemake.params
    output = snakemake.output
    studies = [
        StudyInput(
            name=study["name"],
            title=study["title"],
            description=study["description"],
            dataset=study["dataset"],
            seeds=tuple(study["seeds"]),
            tables_dir=Path("results/studies") / study["name"],
            figures_dir=Path("results/studies") / study["name"] / "figures",
            references=study["references"],
            lr_range={name: Path(folder) for name, folder in study["lr_range"].items()},
        )
        for study in params.studies
    ]
    data_files = [Path(path) for path in snakemake.input if path.startswith("results/data/")]
    renderer = available_renderer()
    report_dir = Path(output.markdown).parent
    context = build_context(
        params.title,
        params.author,
        studies,
        {path.stem: path for path in data_files if path.suffix == ".json"},
        params.config_text,
        renderer,
        report_dir,
        params.command,
        dataset_samples={
            path.name.removesuffix(".samples.png"): path
            for path in data_files
            if path.name.endswith(".samples.png")
        },
        config_files=params.config_files,
        overrides=params.config_overrides,
    )
    log(f"writing {output.markdown}")
    write_markdown(context, Path(output.markdown))
    render_report(Path(output.markdown), Path(output.html), Path(output.pdf), renderer, log=log)
