"""The stage walls, as contracts: which package modules may import which, thin scripts, and
templates that only lay out what the package computed. Read from the source (AST), not run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes
from paths import ROOT

PACKAGE = ROOT / "src" / "archstudy"
STAGES = ("config", "data", "train", "aggregate", "plots", "reporting")
# Support modules any stage may import; they import no stage. provenance (the report's
# software, git and hardware record) is support too, but reads pandas: training asks the
# standard-library-only `machine` for its CPU name instead.
SUPPORT = ("errors", "atomic", "logs", "machine", "provenance")
# Entry points: the CLI (and `python -m archstudy`), the reviewer's tools behind `archstudy
# verify / compare / bundle`, and the workflow's map of paths (imports the stages' name modules).
ENTRY = ("cli", "__main__", "review", "layout")
# Per stage (or support module), the archstudy groups and outside packages it never imports.
FORBIDDEN: dict[str, set[str]] = {
    "config": {"train", "aggregate", "plots", "reporting", *ENTRY},
    "data": {"config", "train", "aggregate", "plots", "reporting", *ENTRY},
    "train": {"aggregate", "plots", "reporting", "provenance", *ENTRY, "matplotlib"},
    "aggregate": {"plots", "reporting", *ENTRY, "keras"},
    "plots": {"reporting", *ENTRY, "keras"},
    "reporting": {*ENTRY, "keras", "matplotlib"},
    **{module: {*STAGES, *ENTRY} for module in SUPPORT},
}


def group(module: str) -> str:
    """'archstudy.train.models' -> 'train'; 'archstudy.atomic' -> 'atomic'; 'numpy.x' -> 'numpy'."""
    parts = module.split(".")
    return parts[1] if parts[0] == "archstudy" and len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module `path` imports, lazily inside functions too unless `top_level_only`
    (imports under `if TYPE_CHECKING:` never run, so they are left out)."""
    tree = ast.parse(path.read_text())
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if top_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join([*(package or "").split(".")[: 1 - child.level or None], base])
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_package_module_has_a_place_in_the_layering():
    for path in MODULES:
        name = group(module_name(path))
        assert name in (*STAGES, *SUPPORT, *ENTRY, "archstudy"), f"{path}: not placed"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_stage_walls(path: Path):
    name = group(module_name(path))
    imported = {group(module) for module in imports(path)}
    assert "snakemake" not in imported, f"{path} imports snakemake: only scripts/ may"
    crossed = imported & FORBIDDEN.get(name, set())
    assert not crossed, f"{module_name(path)} ({name}) imports {sorted(crossed)}"


def test_no_import_cycles():
    graph = {
        module_name(path): {
            module
            for module in imports(path, top_level_only=True)
            if module.startswith("archstudy.")
        }
        for path in MODULES
    }
    graph = {name: {m for m in targets if m in graph} for name, targets in graph.items()}
    done: set[str] = set()

    def walk(name: str, stack: tuple[str, ...]) -> None:
        assert name not in stack, "import cycle: " + " -> ".join([*stack, name])
        if name in done:
            return
        for target in graph[name]:
            walk(target, (*stack, name))
        done.add(name)

    for name in graph:
        walk(name, ())


def test_the_workflow_start_imports_nothing_heavy():
    # The Snakefile imports these at every start (and dry run); jobs import what they need.
    import subprocess
    import sys

    code = (
        "import sys, archstudy.layout, archstudy.config.plan, archstudy.train.jobs; "
        "print(sorted({'pandas', 'numpy', 'keras', 'matplotlib'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src")},
    )
    # numpy too: train.jobs sizes the math libraries' thread pools before they are imported.
    assert result.stdout.strip() == "[]"


SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_scripts_read_snakemake_and_make_one_call(path: Path):
    tree = ast.parse(path.read_text())
    logic = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.comprehension, ast.Lambda)
    assert not [node for node in ast.walk(tree) if isinstance(node, logic)], path.name
    (block,) = [node for node in tree.body if isinstance(node, ast.With)]
    calls = [
        statement
        for statement in block.body
        if not (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and ast.unparse(statement.value.func) == "log"
        )
    ]
    assert len(calls) == 1 and isinstance(calls[0], ast.Expr), f"{path.name}: one call"
    for node in tree.body:
        assert isinstance(node, ast.Import | ast.ImportFrom | ast.With | ast.Expr), path.name


# What a template may do: output, loops, conditions, includes, attribute access, filters
# (md, num, count, length), `.items()` to loop over a mapping, and comparisons for if.
TEMPLATE_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.Tuple,
    nodes.Filter,
    nodes.Test,
    nodes.For,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Include,
)
TEMPLATES = sorted((ROOT / "report").rglob("*.j2"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_templates_compute_nothing(path: Path):
    environment = jinja2.Environment(comment_start_string="{##", comment_end_string="##}")
    for node in environment.parse(path.read_text()).find_all(nodes.Node):
        if isinstance(node, nodes.Call):
            method = node.node
            is_items = isinstance(method, nodes.Getattr) and method.attr == "items"
            assert is_items and not node.args, f"{path.name}: calls {method}"
            continue
        assert isinstance(node, TEMPLATE_NODES), f"{path.name}: {type(node).__name__} {node}"


def test_every_job_records_its_resources_under_its_rule_name():
    """Each rule that runs a script has a `benchmark:` record (results/job_resources/{rule}/):
    the report's cost table and the SLURM profiles' memory defaults come from them."""
    for path in sorted((ROOT / "rules").glob("*.smk")):
        for block in re.split(r"^rule ", path.read_text(), flags=re.M)[1:]:
            name = block.split(":", 1)[0]
            if "script:" in block:
                assert f'layout.job_resources("{name}"' in block, f"{path.name}: rule {name}"


def test_the_review_tools_name_files_through_their_owners():
    """`archstudy verify / compare / bundle` read what the stages wrote: they take each file's
    name from its owner module and each path from layout, never spell one out."""
    from archstudy import layout
    from archstudy.data.registry import MANIFEST_NAME
    from archstudy.train import learning_rate, run_files

    owned = {MANIFEST_NAME, layout.CONSTRAINTS, *learning_rate.LR_RANGE_FILES}
    owned |= {value for name, value in vars(run_files).items() if name.endswith("_FILE")}
    reports = (layout.REPORT_HTML, layout.REPORT_PDF, layout.REPORT_MARKDOWN)
    owned |= {Path(report).name for report in reports}
    for path in sorted((PACKAGE / "review").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                assert text not in owned, f"{path.name}: spells out {text!r}"
                assert not text.startswith((f"{layout.RESULTS}/", "resources/")), path.name
