"""chat-acceptance: the suite as one command (pip install . gives it; the Makefile calls it).

    chat-acceptance run [--profile staging] [--jobs N] [--shard K/N] [behave options: --tags, --name, -D ...]
    chat-acceptance baseline [--profile staging] [behave options]   # record today's failures as known defects
    chat-acceptance report                                           # the HTML report and reports/promises.md
    chat-acceptance serve [--fault NAME ...]                         # the reference platform, ports 3000-3002
    chat-acceptance config [--profile staging] [-D name=value ...]   # the resolved settings, secrets redacted

Reports go to ./reports. The features run from the checkout or, installed, from the copies the wheel carries.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

PROGRAM = "chat-acceptance"
RESULTS, JUNIT = Path("reports/allure-results"), Path("reports/junit")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in (
        (
            "run",
            "run the suite (against the embedded reference platform, or the profile's deployment), then the "
            "reports; with a baseline file, fail only on what changed",
        ),
        ("baseline", "run the suite and record its failures as the known defects (the baseline setting's file)"),
    ):
        command = commands.add_parser(
            name,
            help=summary,
            description=summary,
            allow_abbrev=False,
            epilog="Any other option goes to behave: --tags=@core, --name=..., "
            "-D name=value (docs/configuration.md), feature paths.",
        )
        _profile_option(command)
        if name == "run":
            command.add_argument(
                "--jobs",
                type=int,
                default=1,
                help="behave processes at once (behavex; needs the 'parallel' extra); default 1",
            )
            command.add_argument(
                "--scheme",
                choices=("feature", "scenario"),
                default="feature",
                help="with --jobs: one process per feature (default) or per scenario",
            )
            command.add_argument(
                "--shard",
                metavar="K/N",
                help="only shard K of N of the scenarios (a CI matrix "
                "job); no HTML report: merge the shards, then `report`",
            )
    commands.add_parser(
        "report",
        help="build the HTML report and reports/promises.md from reports/allure-results",
        description="build the HTML report and reports/promises.md from reports/allure-results",
    )
    commands.add_parser(
        "serve", help="run the reference platform until Ctrl-C (its own --help lists options)", add_help=False
    )
    config = commands.add_parser(
        "config",
        help="print the resolved configuration, secrets redacted",
        description="print every setting, its value and where it came from",
    )
    _profile_option(config)
    config.add_argument("-D", "--define", action="append", default=[], metavar="NAME=VALUE", help="set a setting")
    config.add_argument("--table", action="store_true", help="print the settings table of docs/configuration.md")

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # every option is the reference platform's
        from reference_services.__main__ import main as serve

        return serve(argv[1:])
    arguments, rest = parser.parse_known_args(argv)
    if arguments.command in ("report", "config") and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if arguments.command == "config":
        return _show_config(arguments)
    if arguments.command == "report":
        return _report()
    behave_args = (["-D", f"profile={_profile(arguments.profile)}"] if arguments.profile else []) + rest
    if arguments.command == "baseline":
        return _run(behave_args, record=True)
    return _run(behave_args, jobs=arguments.jobs, scheme=arguments.scheme, shard=arguments.shard)


def _profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="a deployment's profile: a name (profiles/NAME.toml) or a path")


def _profile(reference: str) -> str:
    from chat_acceptance.config.sources import profile_path

    return str(profile_path(reference).resolve())


def _show_config(arguments: argparse.Namespace) -> int:
    from chat_acceptance.config.sources import ConfigError
    from chat_acceptance.config.suite_config import SuiteConfig, settings_table

    if arguments.table:
        print(settings_table())
        return 0
    defines = dict(item.split("=", 1) if "=" in item else (item, "true") for item in arguments.define)
    if arguments.profile:
        defines["profile"] = _profile(arguments.profile)
    try:
        config = SuiteConfig.from_sources(defines, list(defines), os.environ)
    except ConfigError as problem:
        print(f"{PROGRAM}: configuration: {problem}", file=sys.stderr)
        return 2
    where = "the embedded reference platform" if config.embedded else "a deployment"
    print(f"chat-acceptance configuration ({where}):")
    print(config.describe(origins=True))
    return 0


def _run(
    behave_args: list[str], *, jobs: int = 1, scheme: str = "feature", shard: str | None = None, record: bool = False
) -> int:
    """What `make acceptance` did: a clean results folder, the run, the reports, the baseline's verdict."""
    from chat_acceptance.config.sources import ConfigError
    from chat_acceptance.config.suite_config import SuiteConfig
    from chat_acceptance.reporting import baseline
    from suite_tools.parallel_suite import defines_in

    defines = defines_in(behave_args)
    try:
        config = SuiteConfig.from_sources(defines, list(defines), os.environ)
    except ConfigError:
        config = SuiteConfig()  # the defaults' files; before_all says what is wrong, in the reports too
    known = os.path.abspath(config.baseline_file) if config.baseline_file else ""
    baseline_file = "" if record else known
    outcomes = os.path.abspath(config.outcomes_dir)
    if jobs > 1 and shard:
        print(f"{PROGRAM}: --shard and --jobs cannot be combined: a shard runs in one process", file=sys.stderr)
        return 2
    if jobs > 1 and importlib.util.find_spec("behavex") is None:
        print(f"{PROGRAM}: --jobs needs behavex: pip install 'chat-acceptance[parallel]'", file=sys.stderr)
        return 2
    for folder in (RESULTS, JUNIT, Path(outcomes)):
        shutil.rmtree(folder, ignore_errors=True)
    # Last, so they win: the same files made absolute (parallel runs start behave from a scratch directory), and
    # no known defects while recording them.
    behave_args = [*behave_args, "-D", f"baseline={baseline_file}", "-D", f"scenario_outcomes={outcomes}"]
    if shard:
        selected = _shard(shard)
        if selected is None:
            return 2
        behave_args += selected
    if jobs > 1:
        from suite_tools.parallel_suite import main as parallel

        status = parallel(["--jobs", str(jobs), "--scheme", scheme, *behave_args])
    else:
        status = behave(behave_args)
    if record:
        return baseline.main(
            [
                "record",
                "--outcomes",
                outcomes,
                "--baseline",
                known or baseline.DEFAULT_BASELINE,
                "--behave-status",
                str(status),
            ]
        )
    if shard:
        print(f"shard {shard}: {RESULTS} and {JUNIT} (merge the shards for the HTML report)")
    else:
        if jobs > 1:  # each process wrote findings of its own scenarios: one file over the whole run
            from chat_acceptance.reporting import findings

            findings.main(["--outcomes", outcomes])
        _report()
    if baseline_file and Path(baseline_file).is_file():
        return baseline.main(
            ["check", "--outcomes", outcomes, "--baseline", baseline_file, "--behave-status", str(status)]
        )
    return status


def _shard(shard: str) -> list[str] | None:
    from suite_tools.shards import ShardError, parse_shard, scenario_locations, select

    try:
        index, total = parse_shard(shard)
        chosen = select(index, total, scenario_locations())
        if not chosen:
            raise ShardError(f"shard {index}/{total} has no scenario: the suite has fewer than {total}")
    except ShardError as problem:
        print(f"{PROGRAM}: {problem}", file=sys.stderr)
        return None
    from suite_tools.suite_runs import ROOT

    return [str(ROOT / location) for location in chosen]  # "features/x.feature:12" is the checkout's


def _report() -> int:
    from chat_acceptance.reporting import html_report, promise_table

    return promise_table.main([]) or html_report.main([])


def behave(arguments: Sequence[str]) -> int:
    """behave in this process, with the suite's [tool.behave] settings wherever it runs from (installed, there is
    no pyproject.toml in the current directory): the features, formatters, the Allure and JUnit outputs."""
    from behave import __main__ as behave_main
    from behave.configuration import Configuration, read_toml_config

    from chat_acceptance.files import SUITE_FILES

    settings = read_toml_config(str(SUITE_FILES / "pyproject.toml"))
    # behave made the outputs relative to that file's folder: they belong in the current one.
    settings["outfiles"] = [os.path.relpath(path, SUITE_FILES) for path in settings.get("outfiles", [])]
    settings.pop("userdata", None)
    try:
        return behave_main.run_behave(Configuration(list(arguments), load_config=False, **settings))
    except (behave_main.ConfigError, behave_main.TagExpressionError) as problem:  # as behave's own main catches
        print(f"{PROGRAM}: behave: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
