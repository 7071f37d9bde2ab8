"""Loading the user's strategy files: what is registered, what is skipped, and load errors.

Every case writes real files into a temporary directory and loads them the way a run
does; an error must name the file, the line in that file and the problem. Also
:func:`strategy_classes` and ``create_strategy(classes=...)`` of the registry, which
put the user's strategies beside the built-in ones.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from quantbot.strategies import STRATEGIES, EmaCross, UnknownStrategy, create_strategy
from quantbot.strategies.errors import UserStrategyError
from quantbot.strategies.registry import strategy_classes
from quantbot.strategies.user_strategies import (
    MODULE_PREFIX,
    load_user_strategies,
    strategy_name_problem,
)

from factories import SYMBOL

HEADER = """\
from quantbot.strategies import Bar, Strategy, StrategyContext, StrategyParams
"""


def strategy_source(class_name: str, name: str | None, *, params: str = "size: float = 1.0") -> str:
    """A complete strategy class; ``name`` None leaves the name out."""
    name_line = "" if name is None else f"    name = {name!r}\n"
    return (
        f"\n\nclass {class_name}Params(StrategyParams):\n    {params}\n\n\n"
        f"class {class_name}(Strategy):\n{name_line}    Params = {class_name}Params\n\n"
        "    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:\n        return\n"
    )


def write(directory: Path, file_name: str, text: str) -> Path:
    path = directory / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    """1-based number of the first line of ``path`` containing ``marker``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if marker in line)


def user_modules() -> set[str]:
    return {name for name in sys.modules if name.startswith(MODULE_PREFIX)}


def load_error(directory: Path) -> UserStrategyError:
    with pytest.raises(UserStrategyError) as caught:
        load_user_strategies(directory, built_ins=STRATEGIES)
    return caught.value


# -- what is loaded --------------------------------------------------------------------


def test_a_missing_directory_holds_no_strategy(tmp_path: Path) -> None:
    assert load_user_strategies(tmp_path / "absent") == {}


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "user_strategies", "not a directory")

    error = load_error(path)

    assert str(error) == f"{path}: not a directory of strategy files"


def test_every_named_strategy_class_of_every_file_is_loaded_by_its_name(tmp_path: Path) -> None:
    write(tmp_path, "b_file.py", HEADER + strategy_source("Beta", "beta"))
    write(
        tmp_path,
        "a_file.py",
        HEADER + strategy_source("Alpha", "alpha") + strategy_source("Gamma", "gamma"),
    )

    loaded = load_user_strategies(tmp_path)

    assert list(loaded) == ["alpha", "gamma", "beta"]  # file order, then definition order
    assert [cls.__name__ for cls in loaded.values()] == ["Alpha", "Gamma", "Beta"]
    strategy = loaded["beta"](loaded["beta"].Params(), symbols=[SYMBOL])
    assert strategy.describe()["params"] == {"size": 1.0}


def test_a_file_named_like_a_real_module_does_not_replace_it(tmp_path: Path) -> None:
    write(tmp_path, "json.py", HEADER + strategy_source("Jason", "jason"))

    loaded = load_user_strategies(tmp_path)

    assert sys.modules["json"] is json
    assert loaded["jason"].__module__.startswith(f"{MODULE_PREFIX}.")
    assert loaded["jason"].__module__ != "json"


def test_same_file_name_in_two_directories_gives_two_modules(tmp_path: Path) -> None:
    first = write(tmp_path / "one", "mine.py", HEADER + strategy_source("One", "one")).parent
    second = write(tmp_path / "two", "mine.py", HEADER + strategy_source("Two", "two")).parent

    one = load_user_strategies(first)["one"]
    two = load_user_strategies(second)["two"]

    assert one.__module__ != two.__module__
    assert sys.modules[one.__module__].One is one
    assert sys.modules[two.__module__].Two is two


def test_imported_strategy_classes_are_not_the_files_own(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mine.py",
        HEADER + "from quantbot.strategies import EmaCross\n" + strategy_source("Mine", "mine"),
    )

    assert list(load_user_strategies(tmp_path, built_ins=STRATEGIES)) == ["mine"]


def test_helper_classes_without_a_name_are_skipped(tmp_path: Path) -> None:
    text = HEADER + dedent(
        """
        from abc import abstractmethod


        class AbstractBase(Strategy):
            @abstractmethod
            def signal(self) -> bool: ...


        class _Private(Strategy):
            def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
                return
        """
    )
    write(tmp_path, "helpers.py", text + strategy_source("Real", "real"))

    assert list(load_user_strategies(tmp_path)) == ["real"]


def test_private_editor_and_test_files_are_not_imported(tmp_path: Path) -> None:
    broken = "raise RuntimeError('must not be imported')\n"
    for file_name in ("_private.py", ".#editor.py", "test_mine.py", "tests/test_other.py"):
        write(tmp_path, file_name, broken)
    write(tmp_path, "notes.txt", broken)
    write(tmp_path, "mine.py", HEADER + strategy_source("Mine", "mine"))

    assert list(load_user_strategies(tmp_path)) == ["mine"]


# -- what fails, and where --------------------------------------------------------------


def test_a_syntax_error_names_the_file_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.py", HEADER + "\n\ndef broken(:\n    pass\n")

    error = load_error(tmp_path)

    assert error.path == path
    assert error.line == line_of(path, "def broken(")
    assert str(error).startswith(f"{path}:{error.line}: SyntaxError: ")


def test_an_import_error_names_the_line_of_the_import(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.py", HEADER + "import numpy\nimport no_such_module_here\n")

    error = load_error(tmp_path)

    assert str(error) == (
        f"{path}:{line_of(path, 'no_such_module_here')}: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    )


def test_an_exception_while_the_file_runs_names_the_deepest_line_in_that_file(
    tmp_path: Path,
) -> None:
    text = HEADER + dedent(
        """
        def lookup() -> int:
            return {"a": 1}["missing"]


        LIMIT = lookup()
        """
    )
    path = write(tmp_path, "bad.py", text)

    error = load_error(tmp_path)

    assert error.line == line_of(path, '["missing"]')
    assert error.problem == "KeyError: 'missing'"


def test_an_exception_raised_in_a_library_is_blamed_on_the_line_that_called_it(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "bad.py", HEADER + "import json\nCONFIG = json.loads('{nope')\n")

    error = load_error(tmp_path)

    assert error.line == line_of(path, "json.loads")
    assert error.problem.startswith("JSONDecodeError: ")


def test_an_exit_while_the_file_runs_is_a_load_error_not_an_exit(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.py", "import sys\nsys.exit(3)\n")

    error = load_error(tmp_path)

    assert str(error) == f"{path}:2: SystemExit: 3"


def test_an_unnamed_public_strategy_class_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.py", HEADER + strategy_source("Nameless", None))

    error = load_error(tmp_path)

    assert error.line == line_of(path, "class Nameless(Strategy)")
    assert error.problem.startswith("class Nameless has no name of its own")


def test_a_strategy_without_a_params_model_is_refused_at_its_line(tmp_path: Path) -> None:
    text = HEADER + dedent(
        """
        class NoParams(Strategy):
            name = "no_params"

            def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
                return
        """
    )
    path = write(tmp_path, "bad.py", text)

    error = load_error(tmp_path)

    assert error.line == line_of(path, "class NoParams")
    assert error.problem == (
        "class NoParams: Params must be a StrategyParams subclass (its parameter model), got None"
    )


def test_a_params_that_is_not_a_strategy_params_model_is_refused(tmp_path: Path) -> None:
    text = HEADER + strategy_source("Plain", "plain").replace(
        "Params = PlainParams", "Params = dict"
    )
    write(tmp_path, "bad.py", text)

    assert "Params must be a StrategyParams subclass" in load_error(tmp_path).problem


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("My-Strat", "must be lowercase letters, digits and underscores"),
        ("9lives", "must be lowercase letters, digits and underscores"),
        ("", "must be lowercase letters, digits and underscores"),
        ("class", "is a Python keyword"),
    ],
)
def test_an_invalid_name_is_refused_at_the_class(tmp_path: Path, name: str, problem: str) -> None:
    path = write(tmp_path, "bad.py", HEADER + strategy_source("Odd", name))

    error = load_error(tmp_path)

    assert error.line == line_of(path, "class Odd(Strategy)")
    assert error.problem.startswith(f"class Odd: name {name!r} ")
    assert problem in error.problem


def test_a_name_that_is_not_text_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", HEADER + strategy_source("Odd", "odd").replace("'odd'", "42"))

    assert load_error(tmp_path).problem == "class Odd: name must be text, got 42"


def test_a_named_strategy_without_on_candle_is_refused(tmp_path: Path) -> None:
    text = HEADER + strategy_source("Idle", "idle").replace("def on_candle", "def on_idle")
    write(tmp_path, "bad.py", text)

    assert load_error(tmp_path).problem == "class Idle does not implement on_candle"


def test_a_name_used_in_two_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a_first.py", HEADER + strategy_source("First", "twin"))
    second = write(tmp_path, "b_second.py", HEADER + strategy_source("Second", "twin"))

    error = load_error(tmp_path)

    first_line = line_of(first, "class First(Strategy)")
    assert error.path == second
    assert error.line == line_of(second, "class Second(Strategy)")
    assert error.problem == (
        f"class Second: name 'twin' is already used by class First at {first}:{first_line}; "
        "pick another"
    )


def test_a_built_in_name_is_refused_naming_the_built_in(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.py", HEADER + strategy_source("MyCross", "ema_cross"))

    error = load_error(tmp_path)

    assert error.path == path
    assert error.problem == (
        "class MyCross: name 'ema_cross' is the built-in strategy EmaCross "
        "(quantbot.strategies.ema_cross); pick another"
    )


def test_a_relative_directory_gives_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "user_strategies", "bad.py", "x = 1\nundefined_name\n")

    error = load_error(Path("user_strategies"))

    assert str(error) == (
        f"{Path('user_strategies', 'bad.py')}:2: NameError: name 'undefined_name' is not defined"
    )


def test_a_failed_load_leaves_no_module_behind_and_a_fixed_one_loads(tmp_path: Path) -> None:
    before = user_modules()
    write(tmp_path, "a_good.py", HEADER + strategy_source("Good", "good"))
    broken = write(tmp_path, "b_bad.py", "undefined_name\n")

    load_error(tmp_path)

    assert user_modules() == before
    broken.write_text(HEADER + strategy_source("Fixed", "fixed"), encoding="utf-8")
    assert list(load_user_strategies(tmp_path)) == ["good", "fixed"]


def test_strategy_name_problem_accepts_a_valid_name() -> None:
    assert strategy_name_problem("my_breakout_2") is None


# -- the registry with the user's strategies ---------------------------------------------


def test_strategy_classes_without_a_user_directory_are_the_built_ins(tmp_path: Path) -> None:
    assert strategy_classes(None) == STRATEGIES
    assert strategy_classes(tmp_path / "absent") == STRATEGIES


def test_strategy_classes_add_the_users_after_the_built_ins(tmp_path: Path) -> None:
    write(tmp_path, "mine.py", HEADER + strategy_source("Mine", "mine"))

    classes = strategy_classes(tmp_path)

    assert list(classes) == [*STRATEGIES, "mine"]
    assert classes["ema_cross"] is EmaCross
    assert classes["mine"].__name__ == "Mine"


def test_strategy_classes_refuse_a_user_class_with_a_built_in_name(tmp_path: Path) -> None:
    write(tmp_path, "mine.py", HEADER + strategy_source("MyGrid", "grid"))

    with pytest.raises(UserStrategyError, match=r"name 'grid' is the built-in strategy Grid"):
        strategy_classes(tmp_path)


def test_create_strategy_builds_a_user_strategy_from_the_merged_classes(tmp_path: Path) -> None:
    write(tmp_path, "mine.py", HEADER + strategy_source("Mine", "mine", params="size: float = 1"))

    strategy = create_strategy(
        "mine", {"size": "2.5"}, symbols=[SYMBOL], classes=strategy_classes(tmp_path)
    )

    assert type(strategy).__name__ == "Mine"
    assert strategy.describe()["params"] == {"size": 2.5}


def test_create_strategy_lists_the_classes_it_was_given(tmp_path: Path) -> None:
    write(tmp_path, "mine.py", HEADER + strategy_source("Mine", "mine"))
    classes = strategy_classes(tmp_path)

    with pytest.raises(UnknownStrategy, match=r"known: .*ema_cross.*mine"):
        create_strategy("nope", symbols=[SYMBOL], classes=classes)
    with pytest.raises(UnknownStrategy, match="no strategy named 'mine'"):
        create_strategy("mine", symbols=[SYMBOL])
