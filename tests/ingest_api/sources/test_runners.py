# ruff: noqa: E501  (real tool outputs are kept verbatim, long lines included)
"""Command classification and outcome reading, on real outputs and real-shaped ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from achilles_core.vocab import RUN_STATUSES
from ingest_api.sources import runners
from ingest_api.sources.runners import (
    CommandClass,
    classify_command,
    error_lines,
    read_outcome,
)

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "runners"


def real(name: str) -> str:
    return (REAL / f"{name}.txt").read_text()


# ---------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("cmd", "kind", "runner"),
    [
        ("pytest", "test", "pytest"),
        ("python -m pytest tests/x.py -k foo", "test", "pytest"),
        ("python3 -m unittest discover", "test", "unittest"),
        ("py.test -q", "test", "pytest"),
        ("cd backend && FOO=1 uv run pytest -x 2>&1 | tail -20", "test", "pytest"),
        ("poetry run pytest", "test", "pytest"),
        (".venv/bin/python -m pytest tests/ingest_api -x -q", "test", "pytest"),
        ("timeout 600 uv run --with pytest-cov pytest --cov", "test", "pytest"),
        ("tox -e py311", "test", "tox"),
        ("nox -s tests", "test", "nox"),
        ("npx jest src/a.test.ts", "test", "jest"),
        ("npx vitest run", "test", "vitest"),
        ("yarn vitest run", "test", "vitest"),
        ("./node_modules/.bin/mocha", "test", "mocha"),
        ("npm test", "test", "npm test"),
        ("npm run test:unit -- --watch=false", "test", "npm run test:unit"),
        ("pnpm --filter web test", "test", "pnpm test"),
        ("yarn test", "test", "yarn test"),
        ("bun test", "test", "bun test"),
        ("mix test test/a_test.exs:12", "test", "mix test"),
        ("MIX_ENV=test mix test --failed", "test", "mix test"),
        ("mix do compile, test", "test", "mix test"),
        ("go test ./... -run TestX", "test", "go test"),
        ("cargo test --workspace", "test", "cargo test"),
        ("cargo +nightly nextest run", "test", "cargo nextest"),
        ("bundle exec rspec spec/models", "test", "rspec"),
        ("bin/rails test", "test", "rails test"),
        ("vendor/bin/phpunit", "test", "phpunit"),
        ("dotnet test", "test", "dotnet test"),
        ("./gradlew test", "test", "gradle test"),
        ("mvn -q test", "test", "maven test"),
        ("ctest --output-on-failure", "test", "ctest"),
        ("deno test -A", "test", "deno test"),
        ("make test", "test", "make test"),
        ("python manage.py test", "test", "django test"),
        ("ruff check .", "check", "ruff"),
        ("ruff format --check .", "check", "ruff format"),
        ("flake8 src", "check", "flake8"),
        ("pylint pkg", "check", "pylint"),
        ("uv run mypy ingest_api", "check", "mypy"),
        ("npx pyright", "check", "pyright"),
        ("black --check .", "check", "black"),
        ("npx eslint . --ext .ts", "check", "eslint"),
        ("npx tsc --noEmit", "check", "tsc"),
        ("npx prettier --check .", "check", "prettier"),
        ("mix credo --strict 2>&1 | tail -5", "check", "mix credo"),
        ("mix dialyzer", "check", "mix dialyzer"),
        ("mix format --check-formatted", "check", "mix format"),
        ("mix compile --warnings-as-errors 2>&1", "check", "mix compile"),
        ("cargo clippy -- -D warnings", "check", "cargo clippy"),
        ("cargo build --release", "check", "cargo build"),
        ("go vet ./...", "check", "go vet"),
        ("go build ./...", "check", "go build"),
        ("golangci-lint run", "check", "golangci-lint"),
        ("pre-commit run --all-files", "check", "pre-commit"),
        ("bundle exec rubocop", "check", "rubocop"),
        ("shellcheck scripts/*.sh", "check", "shellcheck"),
        ("npm run lint", "check", "npm run lint"),
        ("npm run typecheck", "check", "npm run typecheck"),
        ("pnpm run build", "check", "pnpm run build"),
    ],
)
def test_classify_runners(cmd: str, kind: str, runner: str) -> None:
    cls = classify_command(cmd)
    assert (cls.kind, cls.runner) == (kind, runner)


@pytest.mark.parametrize(
    "cmd",
    [
        "git status",
        "git log --oneline -20",
        "git diff --stat",
        "ls -la",
        "cat mix.exs",
        "grep -rn foo lib/",
        "rg TODO",
        "bd show spotter-gqc 2>/dev/null",
        "find . -name '*.py' | head",
        "echo done",
        "mix phx.server",
        "git push 2>&1",
        "sed -n 1,40p lib/a.ex",
    ],
)
def test_plain_reads_are_neither_runs_nor_writes(cmd: str) -> None:
    assert classify_command(cmd) == CommandClass()


@pytest.mark.parametrize(
    "cmd",
    [
        "pip install requests",
        "uv add httpx",
        "npm install",
        "npm i -D vitest",
        "yarn add react",
        "mix deps.get 2>&1 | tail -5",
        "mix ecto.migrate 2>&1",
        "mix ash.codegen add_state --yes 2>&1",
        "python manage.py migrate",
        "alembic upgrade head",
        "git commit -m 'x'",
        'git add a.py && git commit -m "$(cat <<\'EOF\'\nfeat: it\'s "done"\nEOF\n)"',
        "git checkout -b feature",
        "git reset --hard HEAD~1",
        "git stash pop",
        "git rebase main",
        "git apply fix.patch",
        "sed -i 's/a/b/' lib/a.ex",
        "perl -pi -e 's/a/b/' x.pl",
        "echo hi > notes.txt",
        "cat >> .env <<EOF\nA=1\nEOF",
        "rm -rf build",
        "mkdir -p lib/new",
        "mix format",
        "ruff format .",
        "black .",
        "npx prettier --write .",
        "cargo add serde",
        "go mod tidy",
        "bundle install",
        "rails generate model User",
        "npx create-next-app web",
    ],
)
def test_writes(cmd: str) -> None:
    assert classify_command(cmd).writes


def test_fixing_linter_is_a_check_that_writes() -> None:
    cls = classify_command("npx eslint --fix src")
    assert (cls.kind, cls.writes) == ("check", True)
    assert classify_command("ruff check --fix .").writes
    assert not classify_command("ruff check .").writes


def test_redirect_to_dev_null_or_fd_is_no_write() -> None:
    assert not classify_command("pytest 2>&1 >/dev/null").writes
    assert not classify_command("ls 2>/dev/null; echo x >&2").writes


def test_exit_code_speaks_only_for_the_runner() -> None:
    assert classify_command("mix test").exit_code_speaks
    assert classify_command("cd app && mix test 2>&1").exit_code_speaks
    assert not classify_command("mix test 2>&1 | tail -5").exit_code_speaks
    assert not classify_command("pytest | head -50").exit_code_speaks
    assert not classify_command("pytest || true").exit_code_speaks
    assert not classify_command("pytest; echo $?").exit_code_speaks
    assert classify_command('pytest; echo "exit=$?"').echoes_exit
    # a check before the tests: the test run is what the line is about
    cls = classify_command("mix compile --warnings-as-errors 2>&1 && mix test 2>&1 | tail -10")
    assert (cls.kind, cls.runner, cls.exit_code_speaks) == ("test", "mix test", False)


def test_broken_quoting_does_not_raise() -> None:
    assert classify_command("pytest -k 'unclosed").kind == "test"
    assert classify_command('echo "$(').kind is None


# ---------------------------------------------------------------- real outputs (spotter)


def test_real_mix_test_piped_through_tail_reads_the_summary() -> None:
    cls = classify_command("mix test 2>&1 | tail -5")
    out = read_outcome(cls, real("mix_test_tail_passed"), 0)
    assert out.status == "passed"
    assert out.summary == "14 doctests, 65 tests, 0 failures"
    assert out.failures == []


def test_real_mix_test_failures_exunit_assertions() -> None:
    cls = classify_command("mix test test/spotter_web/live/project_review_live_test.exs 2>&1")
    text = real("mix_test_assertion_failures").removeprefix("Exit code 2\n")
    out = read_outcome(cls, text, 2)
    assert out.status == "failed"
    assert out.summary == "5 tests, 4 failures"
    # the output shows 3 numbered failures (the 4th was cut by the tool's output limit)
    assert len(out.failures) == 3
    f = out.failures[0]
    assert f.test_id == (
        "test mount renders project review page with open annotations"
        " (SpotterWeb.ProjectReviewLiveTest)"
    )
    assert f.file_path == "test/spotter_web/live/project_review_live_test.exs"
    assert f.line == 35
    assert f.error_type == "ExUnit.AssertionError"
    assert f.message == "Assertion with =~ failed"


def test_real_mix_test_runtime_errors() -> None:
    cls = classify_command("mix test test/spotter_web/live/project_review_live_test.exs 2>&1")
    out = read_outcome(cls, real("mix_test_runtime_errors"), 2)
    assert out.status == "failed"
    assert out.summary == "5 tests, 5 failures"
    assert len(out.failures) == 5
    assert {f.error_type for f in out.failures} == {"RuntimeError"}
    assert out.failures[0].message == (
        "no :secret_key_base configuration found in SpotterWeb.Endpoint."
    )


def test_real_mix_test_compile_error_is_an_error_with_its_diagnostics() -> None:
    cls = classify_command("mix test test/spotter_web/live/project_review_live_test.exs 2>&1")
    out = read_outcome(cls, real("mix_test_compile_error"), 1)
    assert out.status == "error"
    assert out.summary is None
    assert len(out.failures) == 5
    assert {f.error_type for f in out.failures} == {"CompileError"}
    assert (out.failures[0].message or "").startswith("undefined function get/2")
    assert out.failures[0].line == 128


def test_real_background_answer_is_unknown() -> None:
    cls = classify_command("mix test test/spotter/transcripts/resources_test.exs 2>&1")
    assert read_outcome(cls, real("mix_test_background"), None).status == "unknown"


def test_real_credo_clean_through_tail() -> None:
    cls = classify_command("mix credo --strict 2>&1 | tail -10")
    out = read_outcome(cls, real("mix_credo_tail_clean"), 0)
    assert out.status == "passed"
    assert out.summary == "326 mods/funs, found no issues."


def test_real_passed_with_unknown_exit_code() -> None:
    cls = classify_command("mix test test/x_test.exs 2>&1")
    assert read_outcome(cls, real("mix_test_passed"), None).status == "passed"


# ---------------------------------------------------------------- real-shaped outputs

PYTEST_FAILED = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0
rootdir: /home/u/proj
collected 13 items

tests/test_api.py ..F.......                                             [ 76%]
tests/test_cart.py .F.                                                   [100%]

=================================== FAILURES ===================================
_______________________________ test_total_price _______________________________

    def test_total_price():
        cart = Cart()
>       assert cart.total() == 12
E       assert 10 == 12
E        +  where 10 = <bound method Cart.total of <Cart>>()

tests/test_api.py:31: AssertionError
__________________________________ test_lookup _________________________________

    def test_lookup():
>       prices["missing"]
E       KeyError: 'missing'

tests/test_cart.py:8: KeyError
=========================== short test summary info ============================
FAILED tests/test_api.py::test_total_price - assert 10 == 12
FAILED tests/test_cart.py::test_lookup - KeyError: 'missing'
========================= 2 failed, 11 passed in 0.42s =========================
"""


def test_pytest_failures() -> None:
    out = read_outcome(classify_command("pytest"), PYTEST_FAILED, 1)
    assert out.status == "failed"
    assert (
        out.summary
        == "========================= 2 failed, 11 passed in 0.42s ========================="
    )
    a, b = out.failures
    assert (a.test_id, a.file_path, a.error_type, a.message) == (
        "tests/test_api.py::test_total_price",
        "tests/test_api.py",
        "AssertionError",
        "assert 10 == 12",
    )
    assert a.line == 31
    assert (b.error_type, b.message) == ("KeyError", "KeyError: 'missing'")


def test_pytest_through_tail_lost_exit_code_reads_summary() -> None:
    cls = classify_command("uv run pytest 2>&1 | tail -3")
    tail = "FAILED tests/test_cart.py::test_lookup - KeyError: 'missing'\n"
    tail += "========================= 1 failed, 11 passed in 0.42s =========================\n"
    out = read_outcome(cls, tail, 0)  # the exit code is tail's
    assert out.status == "failed"
    assert out.failures[0].test_id == "tests/test_cart.py::test_lookup"


def test_pytest_cut_by_head_is_unknown() -> None:
    cls = classify_command("pytest -v 2>&1 | head -5")
    text = "tests/test_a.py::test_one PASSED\ntests/test_a.py::test_two PASSED\n"
    assert read_outcome(cls, text, 0).status == "unknown"


@pytest.mark.parametrize(
    "command, output, status",
    [
        # a workspace's first crate passed; head cut the others
        (
            "cargo test 2>&1 | head -5",
            "   Compiling a v0.1.0\n     Running unittests src/lib.rs\nrunning 2 tests\n"
            "test tests::a ... ok\ntest result: ok. 2 passed; 0 failed; 0 ignored\n",
            "unknown",
        ),
        (
            "go test ./... | head -n 3",
            "ok  \ta/b\t0.1s\nok  \ta/c\t0.2s\nok  \ta/d\t0.3s\n",
            "unknown",
        ),
        # a failure the cut output shows is a failure
        (
            "go test ./... 2>&1 | head -n 3",
            "ok  \ta/b\t0.1s\n--- FAIL: TestX (0.00s)\n    x_test.go:5: boom\n",
            "failed",
        ),
        ("npm test 2>&1 | head -c 20", "Tests: 3 passed, 3 total\n", "unknown"),
        # fewer lines (bytes) than head's limit: nothing was cut
        ("pytest -q | head -50", "..\n2 passed in 0.01s\n", "passed"),
        ("npm test 2>&1 | head -c 2000", "Tests: 3 passed, 3 total\n", "passed"),
        ("cargo test | head", "test result: ok. 2 passed; 0 failed; 0 ignored\n", "passed"),
    ],
)
def test_a_run_cut_by_head_has_not_passed(command: str, output: str, status: str) -> None:
    assert read_outcome(classify_command(command), output, None).status == status


def test_truncated_output_without_summary_is_unknown() -> None:
    cls = classify_command("pytest")
    text = "collected 400 items\n\n... [1200 lines truncated] ...\ntests/test_z.py ....\n"
    assert read_outcome(cls, text, None).status == "unknown"


def test_pytest_no_tests() -> None:
    cls = classify_command("pytest -k nothing")
    assert read_outcome(cls, "collected 0 items\n\n== no tests ran in 0.01s ==\n", 5).status == (
        "skipped"
    )


def test_pytest_class_test_and_spaced_parameter() -> None:
    text = """\
=================================== FAILURES ===================================
____________________________ TestCart.test_total ______________________________

    def test_total(self):
>       assert add(1, 2) == 4
E       assert 3 == 4

tests/test_x.py:10: AssertionError
=========================== short test summary info ============================
FAILED tests/test_x.py::TestCart::test_total - assert 3 == 4
FAILED tests/test_x.py::test_p[hello world] - assert False
========================= 2 failed, 10 passed in 1.23s =========================
"""
    a, b = read_outcome(classify_command("pytest"), text, 1).failures
    assert (a.test_id, a.file_path, a.line) == (
        "tests/test_x.py::TestCart::test_total",
        "tests/test_x.py",
        10,
    )
    assert (b.test_id, b.file_path) == ("tests/test_x.py::test_p[hello world]", "tests/test_x.py")


def test_pytest_bad_path_is_an_error_not_a_failure_or_skip() -> None:
    text = "ERROR: file or directory not found: tests/nope.py\n\n"
    text += "============================ no tests ran in 0.01s =============================\n"
    assert read_outcome(classify_command("pytest tests/nope.py"), text, 4).status == "error"
    cls = classify_command("pytest tests/nope.py | tail -3")
    assert read_outcome(cls, text, 0).status == "error"


def test_pytest_collection_error() -> None:
    text = """\
==================================== ERRORS ====================================
_____________________ ERROR collecting tests/test_cart.py ______________________
ImportError while importing test module '/p/tests/test_cart.py'.
E   ModuleNotFoundError: No module named 'shop'
=========================== short test summary info ============================
ERROR tests/test_cart.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
=============================== 1 error in 0.12s ===============================
"""
    out = read_outcome(classify_command("pytest"), text, 2)
    assert out.status == "error"
    assert out.failures[0].file_path == "tests/test_cart.py"
    assert out.failures[0].error_type == "ModuleNotFoundError"


def test_tox_results_and_a_log_line_that_only_looks_like_one() -> None:
    tox4 = "  py311: FAIL code 1 (2.10=setup[1.00]+cmd[1.10] seconds)\n"
    tox4 += (
        "  py312: OK (2.10=setup[1.00]+cmd[1.10] seconds)\n  evaluation failed :( (4.20 seconds)\n"
    )
    assert read_outcome(classify_command("tox | tail -3"), tox4, 0).status == "failed"
    tox3 = "  py311: commands succeeded\nERROR:   py312: commands failed\n"
    assert read_outcome(classify_command("tox | tail -2"), tox3, 0).status == "failed"
    # a test's own log cut by head says nothing about the run
    head = "tests/test_a.py::test_db PASSED\nhealth: OK\ndb: OK\ntests/test_a.py::test_api "
    assert read_outcome(classify_command("pytest -v -s | head -4"), head, 0).status == "unknown"


def test_nox_and_gotestsum_summaries() -> None:
    nox = "nox > Command pytest failed with exit code 1\nnox > Session tests-3.12 failed.\n"
    assert read_outcome(classify_command("nox -s tests | tail -2"), nox, 0).status == "failed"
    ok = "nox > Session tests-3.12 was successful in 9 seconds.\n"
    assert read_outcome(classify_command("nox | tail -1"), ok, 0).status == "passed"
    text = """\
✓  example.com/util (2ms)
✖  example.com/calc (3ms)

=== Failed
=== FAIL: example.com/calc TestAdd (0.00s)
    calc_test.go:12: Add(1, 2) = 4; want 3

DONE 12 tests, 1 failure in 1.234s
"""
    out = read_outcome(classify_command("gotestsum -- ./... | tail -8"), text, 0)
    assert (out.status, out.summary) == ("failed", "DONE 12 tests, 1 failure in 1.234s")
    assert [(f.test_id, f.file_path, f.line) for f in out.failures] == [
        ("TestAdd", "calc_test.go", 12)
    ]


UNITTEST_FAILED = """\
.F.
======================================================================
FAIL: test_add (tests.test_calc.CalcTest.test_add)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/p/tests/test_calc.py", line 9, in test_add
    self.assertEqual(add(1, 1), 3)
AssertionError: 2 != 3

----------------------------------------------------------------------
Ran 3 tests in 0.001s

FAILED (failures=1)
"""


def test_unittest() -> None:
    out = read_outcome(classify_command("python -m unittest"), UNITTEST_FAILED, None)
    assert out.status == "failed"
    assert out.summary == "Ran 3 tests in 0.001s FAILED (failures=1)"
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type, f.message) == (
        "/p/tests/test_calc.py",
        9,
        "AssertionError",
        "AssertionError: 2 != 3",
    )


def test_unittest_ids_files_and_no_tests() -> None:
    text = """\
======================================================================
ERROR: test_div (tests.test_calc.CalcTest.test_div)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/p/tests/test_calc.py", line 12, in test_div
    div(1, 0)
  File "/p/calc.py", line 4, in div
    return a / b
           ~~^~~
ZeroDivisionError: division by zero

----------------------------------------------------------------------
Ran 4 tests in 0.001s

FAILED (errors=1)
"""
    (f,) = read_outcome(classify_command("python -m unittest"), text, 1).failures
    # Python 3.11+ repeats the method in the parentheses; the test's file is its own frame's
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "tests.test_calc.CalcTest.test_div",
        "/p/tests/test_calc.py",
        12,
        "ZeroDivisionError",
    )
    old = UNITTEST_FAILED.replace(
        "(tests.test_calc.CalcTest.test_add)", "(tests.test_calc.CalcTest)"
    )
    (f,) = read_outcome(classify_command("python -m unittest"), old, 1).failures
    assert f.test_id == "tests.test_calc.CalcTest.test_add"
    # Python 3.12+: no test found exits 5
    none = "\n----------------------------------------------------------------------\n"
    none += "Ran 0 tests in 0.000s\n\nNO TESTS RAN\n"
    assert read_outcome(classify_command("python -m unittest"), none, 5).status == "skipped"


JEST_FAILED = """\
 FAIL  src/cart.test.ts
  ● Cart › adds items

    expect(received).toBe(expected) // Object.is equality

    Expected: 3
    Received: 2

      10 |     cart.add(item);
      11 |     cart.add(item);
    > 12 |     expect(cart.count()).toBe(3);
         |                          ^

      at Object.<anonymous> (src/cart.test.ts:12:26)

 PASS  src/price.test.ts

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 7 passed, 8 total
Snapshots:   0 total
Time:        1.234 s
Ran all test suites.
"""


def test_jest() -> None:
    out = read_outcome(classify_command("npx jest"), JEST_FAILED, 1)
    assert out.status == "failed"
    assert "Tests:       1 failed, 7 passed, 8 total" in (out.summary or "")
    (f,) = out.failures
    assert f.test_id == "Cart › adds items"
    assert f.file_path == "src/cart.test.ts"
    assert f.error_type == "expect(received).toBe(expected)"
    assert (
        f.message
        == "expect(received).toBe(expected) // Object.is equality; Expected: 3; Received: 2"
    )
    assert f.line == 12


def test_jest_summary_of_all_failing_tests_is_no_second_failure() -> None:
    head, _, tail = JEST_FAILED.partition("\nTest Suites:")
    summary = head.replace(" PASS  src/price.test.ts\n", "")
    text = f"{head}\nSummary of all failing tests\n{summary}\nTest Suites:{tail}"
    out = read_outcome(classify_command("npx jest"), text, 1)
    assert [(f.test_id, f.file_path) for f in out.failures] == [
        ("Cart › adds items", "src/cart.test.ts")
    ]


def test_jest_no_tests_found_is_skipped() -> None:
    cls = classify_command("npm test -- --passWithNoTests")
    text = "No tests found, exiting with code 0\n"
    assert read_outcome(cls, text, 0).status == "skipped"
    assert read_outcome(cls, text, None).status == "skipped"


def test_monorepo_prefixed_package_outputs() -> None:
    """turbo and `pnpm -r` prefix each package's lines; one package without tests does not
    make the whole run skipped, and another's failure is read through the prefix."""
    pnpm = """\
Scope: 2 of 3 workspace projects
packages/a test$ jest --passWithNoTests
packages/a test: No tests found, exiting with code 0
packages/a test: Done
packages/b test$ jest
packages/b test: PASS src/b.test.ts
packages/b test: Tests:       3 passed, 3 total
packages/b test: Done
"""
    out = read_outcome(classify_command("pnpm -r test | tail -20"), pnpm, 0)
    assert out.status == "passed"
    assert out.summary == "No tests found, exiting with code 0 | Tests:       3 passed, 3 total"
    turbo = """\
@repo/ui:test: cache miss, executing 1a2b3c
@repo/ui:test: No tests found, exiting with code 0
web:test: cache miss, executing 4d5e6f
web:test:  FAIL  src/a.test.ts
web:test:   ● a › works
web:test:
web:test:     expect(received).toBe(expected) // Object.is equality
web:test:
web:test: Tests:       1 failed, 3 passed, 4 total

 Tasks:    1 successful, 2 total
Failed:    web#test
"""
    out = read_outcome(classify_command("npx turbo test 2>&1 | tail -15"), turbo, 0)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.error_type) == (
        "a › works",
        "src/a.test.ts",
        "expect(received).toBe(expected)",
    )


VITEST_FAILED = """\
 ❯ src/sum.test.ts (2 tests | 1 failed) 5ms
   × sum > adds 2ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  src/sum.test.ts > sum > adds
AssertionError: expected 3 to be 4 // Object.is equality

- Expected
+ Received

- 4
+ 3

 ❯ src/sum.test.ts:5:21

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯

 Test Files  1 failed (1)
      Tests  1 failed | 1 passed (2)
   Start at  10:00:00
   Duration  300ms
"""


def test_vitest() -> None:
    out = read_outcome(classify_command("npx vitest run"), VITEST_FAILED, None)
    assert out.status == "failed"
    (f,) = out.failures
    assert f.test_id == "src/sum.test.ts > sum > adds"
    assert f.file_path == "src/sum.test.ts"
    assert f.error_type == "AssertionError"
    assert f.message == "AssertionError: expected 3 to be 4 // Object.is equality"


def test_vitest_project_label_and_a_file_that_failed_to_load() -> None:
    text = """\
 FAIL  |unit| src/sum.test.ts > sum > adds
AssertionError: expected 3 to be 4 // Object.is equality
 ❯ src/sum.test.ts:5:21

 FAIL  src/a.test.ts [ src/a.test.ts ]
Error: Cannot find module './foo' imported from /p/src/a.test.ts

 Test Files  2 failed (2)
      Tests  1 failed (1)
"""
    out = read_outcome(classify_command("npx vitest run"), text, 1)
    assert out.status == "failed"
    assert [(f.test_id, f.file_path, f.error_type) for f in out.failures] == [
        ("src/sum.test.ts > sum > adds", "src/sum.test.ts", "AssertionError"),
        ("src/a.test.ts", "src/a.test.ts", "Error"),
    ]


def test_vitest_unhandled_errors_fail_a_run_whose_tests_passed() -> None:
    text = """\
⎯⎯⎯⎯⎯⎯ Unhandled Errors ⎯⎯⎯⎯⎯⎯

Vitest caught 1 unhandled error during the test run.

⎯⎯⎯⎯⎯⎯ Unhandled Rejection ⎯⎯⎯⎯⎯⎯
Error: connection refused

 Test Files  2 passed (2)
      Tests  8 passed (8)
     Errors  1 error
   Start at  10:00:00
"""
    out = read_outcome(classify_command("npx vitest run | tail -12"), text, 0)
    assert out.status == "error"
    assert "Errors  1 error" in (out.summary or "")


MOCHA_FAILED = """\

  Cart
    ✔ adds
    1) removes
  Array
    #indexOf()
      2) should return -1 when the value is not present


  1 passing (8ms)
  2 failing

  1) Cart
       removes:

      AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:

2 !== 3

      + expected - actual

      -2
      +3

      at Context.<anonymous> (test/cart.test.js:12:12)
      at process.processImmediate (node:internal/timers:478:21)

  2) Array
       #indexOf()
         should return -1 when the value is not present:
     Error: boom
      at Context.<anonymous> (file:///p/test/array.test.js:6:14)



"""


def test_mocha() -> None:
    out = read_outcome(classify_command("npx mocha"), MOCHA_FAILED, 2)
    assert out.status == "failed"
    assert out.summary == "1 passing (8ms) | 2 failing"
    a, b = out.failures
    assert (a.test_id, a.file_path, a.line, a.error_type) == (
        "Cart removes",
        "test/cart.test.js",
        12,
        "AssertionError",
    )
    assert a.message == "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:"
    assert (b.test_id, b.file_path, b.line, b.error_type, b.message) == (
        "Array #indexOf() should return -1 when the value is not present",
        "/p/test/array.test.js",
        6,
        "Error",
        "Error: boom",
    )


BUN_FAILED = """\
bun test v1.1.38 (7ab0d8e1)

src/sum.test.ts:
(pass) sum > adds [0.12ms]
3 | test("subtracts", () => {
4 |   expect(sub(3, 1)).toBe(1);
                        ^
error: expect(received).toBe(expected)

Expected: 1
Received: 2

      at <anonymous> (/p/src/sum.test.ts:4:21)
(fail) sum > subtracts [0.30ms]
(fail) sum > waits [5001.00ms]
  ^ this test timed out after 5000ms.

 1 pass
 2 fail
 2 expect() calls
Ran 3 tests across 1 file. [5.02s]
"""


def test_bun_test() -> None:
    out = read_outcome(classify_command("bun test"), BUN_FAILED, 1)
    assert out.status == "failed"
    assert out.summary == "1 pass | 2 fail | Ran 3 tests across 1 file. [5.02s]"
    a, b = out.failures
    assert (a.test_id, a.file_path, a.line, a.error_type) == (
        "sum > subtracts",
        "src/sum.test.ts",
        4,
        "expect(received).toBe(expected)",
    )
    assert (b.test_id, b.error_type, b.message) == (
        "sum > waits",
        "timeout",
        "this test timed out after 5000ms.",
    )


GO_FAILED = """\
--- FAIL: TestAdd (0.00s)
    calc_test.go:12: Add(1, 2) = 4; want 3
FAIL
FAIL\texample.com/calc\t0.003s
ok  \texample.com/util\t(cached)
?   \texample.com/cmd\t[no test files]
FAIL
"""


def test_go_test() -> None:
    out = read_outcome(classify_command("go test ./..."), GO_FAILED, 1)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line, f.message) == (
        "TestAdd",
        "calc_test.go",
        12,
        "Add(1, 2) = 4; want 3",
    )
    passed = "ok  \texample.com/calc\t0.004s\n"
    assert read_outcome(classify_command("go test ./... | tail -3"), passed, None).status == (
        "passed"
    )
    nothing = "?   \texample.com/cmd\t[no test files]\n"
    assert read_outcome(classify_command("go test ./cmd"), nothing, None).status == "skipped"


def test_go_test_verbose_subtests_testify_panic_and_timeout() -> None:
    verbose = """\
=== RUN   TestParse
=== RUN   TestParse/empty
    parse_test.go:20: got err <nil>, want error
=== RUN   TestParse/ok
--- FAIL: TestParse (0.00s)
    --- FAIL: TestParse/empty (0.00s)
    --- PASS: TestParse/ok (0.00s)
=== RUN   TestSum
    sum_test.go:11:
        \tError Trace:\t/p/sum_test.go:11
        \tError:      \tNot equal:
        \t            \texpected: 4
        \t            \tactual  : 3
        \tTest:       \tTestSum
--- FAIL: TestSum (0.00s)
FAIL
FAIL\texample.com/calc\t0.003s
"""
    out = read_outcome(classify_command("go test -v ./..."), verbose, 1)
    # the parent fails only because its subtest did; testify's message is under its Error row
    assert [(f.test_id, f.file_path, f.line, f.message) for f in out.failures] == [
        ("TestParse/empty", "parse_test.go", 20, "got err <nil>, want error"),
        ("TestSum", "sum_test.go", 11, "Not equal: expected: 4 actual  : 3"),
    ]
    panic = """\
--- FAIL: TestIndex (0.00s)
panic: runtime error: index out of range [5] with length 3 [recovered]
\tpanic: runtime error: index out of range [5] with length 3

goroutine 7 [running]:
testing.tRunner.func1.2({0x5f3e20, 0xc000016180})
\t/usr/local/go/src/testing/testing.go:1632 +0x230
example.com/calc.TestIndex(0xc0000a6820)
\t/home/u/calc/calc_test.go:15 +0x1d
FAIL\texample.com/calc\t0.005s
"""
    (f,) = read_outcome(classify_command("go test ./..."), panic, 1).failures
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "TestIndex",
        "/home/u/calc/calc_test.go",
        15,
        "panic",
    )
    timeout = """\
panic: test timed out after 10m0s
\trunning tests:
\t\tTestSlow (10m0s)

goroutine 1 [running]:
FAIL\texample.com/calc\t600.012s
"""
    out = read_outcome(classify_command("go test ./..."), timeout, 1)
    assert out.status == "failed"
    assert [(f.test_id, f.error_type, f.message) for f in out.failures] == [
        ("TestSlow", "timeout", "test timed out after 10m0s")
    ]


CARGO_FAILED = """\
running 2 tests
test tests::adds ... ok
test tests::subtracts ... FAILED

failures:

---- tests::subtracts stdout ----

thread 'tests::subtracts' panicked at src/lib.rs:14:9:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::subtracts

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `--lib`
"""


def test_cargo_test() -> None:
    out = read_outcome(classify_command("cargo test 2>&1 | tail -30"), CARGO_FAILED, 0)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line) == ("tests::subtracts", "src/lib.rs", 14)
    assert f.message == "assertion `left == right` failed"


def test_cargo_test_panic_with_thread_id() -> None:
    # Rust 1.89+ prints the thread's id after its name
    text = CARGO_FAILED.replace(
        "'tests::subtracts' panicked", "'tests::subtracts' (12345) panicked"
    )
    (f,) = read_outcome(classify_command("cargo test"), text, 101).failures
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "tests::subtracts",
        "src/lib.rs",
        14,
        "assertion failed",
    )
    assert f.message == "assertion `left == right` failed"


NEXTEST_FAILED = """\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.05s
────────────
 Nextest run ID 1c2e3f4a with nextest profile: default
    Starting 3 tests across 1 binary
        PASS [   0.004s] (1/3) calc tests::adds
        PASS [   0.004s] (2/3) calc tests::mul
        FAIL [   0.005s] (3/3) calc tests::subtracts
  stdout ───

    running 1 test
    test tests::subtracts ... FAILED

    failures:

    failures:
        tests::subtracts

    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s

  stderr ───

    thread 'tests::subtracts' (4242) panicked at src/lib.rs:14:9:
    assertion `left == right` failed
      left: 1
     right: 2
    note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

────────────
     Summary [   0.006s] 3 tests run: 2 passed, 1 failed, 0 skipped
        FAIL [   0.005s] (3/3) calc tests::subtracts
error: test run failed
"""


def test_cargo_nextest() -> None:
    out = read_outcome(classify_command("cargo nextest run"), NEXTEST_FAILED, 100)
    assert out.status == "failed"
    # the libtest lines nextest embeds neither count again nor pass for go's "FAIL pkg" line
    assert out.summary == "Summary [   0.006s] 3 tests run: 2 passed, 1 failed, 0 skipped"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "tests::subtracts",
        "src/lib.rs",
        14,
        "assertion failed",
    )
    assert f.message == "assertion `left == right` failed"
    tail = "     Summary [  60.010s] 2 tests run: 1 passed, 1 timed out, 0 skipped\n"
    tail += "     TIMEOUT [  60.002s] (2/2) calc tests::slow\n"
    out = read_outcome(classify_command("cargo nextest run | tail -2"), tail, 0)
    assert out.status == "failed"
    assert [(f.test_id, f.error_type) for f in out.failures] == [("tests::slow", "timeout")]


RSPEC_FAILED = """\
..F

Failures:

  1) Cart#total sums the prices
     Failure/Error: expect(cart.total).to eq(12)

       expected: 12
            got: 10

       (compared using ==)
     # ./spec/cart_spec.rb:9:in `block (3 levels) in <top (required)>'

Finished in 0.02 seconds (files took 0.1 seconds to load)
3 examples, 1 failure

Failed examples:

rspec ./spec/cart_spec.rb:7 # Cart#total sums the prices
"""


def test_rspec() -> None:
    out = read_outcome(classify_command("bundle exec rspec"), RSPEC_FAILED, 1)
    assert out.status == "failed"
    assert out.summary == "3 examples, 1 failure"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line) == (
        "Cart#total sums the prices",
        "./spec/cart_spec.rb",
        7,
    )
    assert f.error_type == "RSpec::Expectations::ExpectationNotMetError"
    assert f.message == "expected: 12"


DOTNET_FAILED = """\
  Failed MyApp.Tests.CalculatorTests.Add_ReturnsSum [12 ms]
  Error Message:
   Assert.Equal() Failure
Expected: 5
Actual:   4
  Stack Trace:
     at MyApp.Tests.CalculatorTests.Add_ReturnsSum() in /src/MyApp.Tests/CalculatorTests.cs:line 14

Failed!  - Failed:     1, Passed:    11, Skipped:     0, Total:    12, Duration: 45 ms - MyApp.Tests.dll (net8.0)
"""


def test_dotnet_test() -> None:
    out = read_outcome(classify_command("dotnet test"), DOTNET_FAILED, 1)
    assert out.status == "failed"
    (f,) = out.failures
    assert f.test_id == "MyApp.Tests.CalculatorTests.Add_ReturnsSum"
    assert f.message == "Assert.Equal() Failure"


def test_compile_error_through_tail_is_an_error() -> None:
    """The exit code is tail's and no test summary was printed: the compiler's verdict is."""
    cls = classify_command("mix test 2>&1 | tail -40")
    text = real("mix_test_compile_error").removeprefix("Exit code 1\n")
    out = read_outcome(cls, text, 0)
    assert out.status == "error"
    assert {f.error_type for f in out.failures} == {"CompileError"}
    cargo = """\
error[E0425]: cannot find value `x` in this scope
  --> src/lib.rs:10:5

error: could not compile `calc` (lib test) due to 1 previous error
"""
    out = read_outcome(classify_command("cargo test 2>&1 | tail -5"), cargo, 0)
    assert out.status == "error"
    assert [(f.file_path, f.line, f.error_type) for f in out.failures] == [
        ("src/lib.rs", 10, "E0425")
    ]
    dotnet = """\
/src/MyApp/Calculator.cs(12,5): error CS1002: ; expected [/src/MyApp/MyApp.csproj]

Build FAILED.

/src/MyApp/Calculator.cs(12,5): error CS1002: ; expected [/src/MyApp/MyApp.csproj]
    0 Warning(s)
    1 Error(s)
"""
    out = read_outcome(classify_command("dotnet test | tail -6"), dotnet, 0)
    assert out.status == "error"
    assert [(f.file_path, f.line, f.error_type, f.message) for f in out.failures] == [
        ("/src/MyApp/Calculator.cs", 12, "CS1002", "; expected")
    ]


GRADLE_FAILED = """\
> Task :app:compileJava UP-TO-DATE
> Task :app:test FAILED

CalculatorTest > testAdd() FAILED
    org.opentest4j.AssertionFailedError: expected: <5> but was: <4>
        at app//org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
        at app//com.example.CalculatorTest.testAdd(CalculatorTest.java:12)

3 tests completed, 1 failed

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':app:test'.
> There were failing tests. See the report at: file:///p/app/build/reports/tests/test/index.html

BUILD FAILED in 3s
4 actionable tasks: 2 executed, 2 up-to-date
"""


def test_gradle_test() -> None:
    out = read_outcome(classify_command("./gradlew test"), GRADLE_FAILED, 1)
    assert (out.status, out.summary) == ("failed", "3 tests completed, 1 failed")
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "CalculatorTest > testAdd()",
        "CalculatorTest.java",
        12,
        "org.opentest4j.AssertionFailedError",
    )
    assert f.message == "org.opentest4j.AssertionFailedError: expected: <5> but was: <4>"
    # gradle prints no test counts when every test passed: its build result speaks
    passed = "> Task :app:test\n\nBUILD SUCCESSFUL in 4s\n4 actionable tasks: 1 executed\n"
    out = read_outcome(classify_command("./gradlew test | tail -3"), passed, 0)
    assert (out.status, out.summary) == ("passed", "BUILD SUCCESSFUL in 4s")
    failed = "BUILD FAILED in 3s\n4 actionable tasks: 2 executed, 2 up-to-date\n"
    assert read_outcome(classify_command("gradle test | tail -2"), failed, 0).status == "failed"
    compile_error = """\
> Task :app:compileTestJava FAILED
/p/app/src/test/java/CalculatorTest.java:12: error: cannot find symbol

BUILD FAILED in 1s
"""
    out = read_outcome(classify_command("./gradlew test | tail -4"), compile_error, 0)
    assert out.status == "error"


MAVEN_FAILED = """\
[INFO] Running com.example.CalculatorTest
[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! -- in com.example.CalculatorTest
[ERROR] com.example.CalculatorTest.testAdd -- Time elapsed: 0.01 s <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <5> but was: <4>
\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
\tat com.example.CalculatorTest.testAdd(CalculatorTest.java:12)

[INFO] Results:
[INFO]
[ERROR] Failures:
[ERROR]   CalculatorTest.testAdd:12 expected: <5> but was: <4>
[INFO]
[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0
[INFO]
[INFO] ------------------------------------------------------------------------
[INFO] BUILD FAILURE
[INFO] ------------------------------------------------------------------------
"""


def test_maven_test() -> None:
    out = read_outcome(classify_command("mvn test"), MAVEN_FAILED, 1)
    assert (out.status, out.summary) == (
        "failed",
        "[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0",
    )
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line, f.error_type) == (
        "com.example.CalculatorTest.testAdd",
        "CalculatorTest.java",
        12,
        "org.opentest4j.AssertionFailedError",
    )
    compile_error = """\
[ERROR] COMPILATION ERROR :
[ERROR] /p/src/test/java/com/example/CalculatorTest.java:[12,13] cannot find symbol
[INFO] BUILD FAILURE
"""
    out = read_outcome(classify_command("mvn test | tail -3"), compile_error, 0)
    assert out.status == "error"
    assert [(f.file_path, f.line) for f in out.failures] == [
        ("/p/src/test/java/com/example/CalculatorTest.java", 12)
    ]
    # a check's "[INFO] BUILD SUCCESS" is its verdict too
    ok = "[INFO] BUILD SUCCESS\n[INFO] Total time:  1.2 s\n"
    assert read_outcome(classify_command("mvn compile | tail -2"), ok, 0).status == "passed"


def test_rspec_exception_not_named_error() -> None:
    text = """\
Failures:

  1) User finds
     Failure/Error: User.find(0)

     ActiveRecord::RecordNotFound:
       Couldn't find User with 'id'=0
     # ./spec/models/user_spec.rb:4:in `block (2 levels) in <top (required)>'

Finished in 0.05 seconds (files took 1.2 seconds to load)
1 example, 1 failure

Failed examples:

rspec ./spec/models/user_spec.rb:3 # User finds
"""
    (f,) = read_outcome(classify_command("bundle exec rspec"), text, 1).failures
    assert (f.error_type, f.message) == (
        "ActiveRecord::RecordNotFound",
        "Couldn't find User with 'id'=0",
    )


def test_dotnet_test_file_and_assertion_kind() -> None:
    (f,) = read_outcome(classify_command("dotnet test"), DOTNET_FAILED, 1).failures
    assert (f.file_path, f.line, f.error_type) == (
        "/src/MyApp.Tests/CalculatorTests.cs",
        14,
        "Assert.Equal() Failure",
    )


PHPUNIT_FAILED = """\
PHPUnit 10.5.2 by Sebastian Bergmann and contributors.

..F                                                                 3 / 3 (100%)

Time: 00:00.012, Memory: 8.00 MB

There was 1 failure:

1) Tests\\CalculatorTest::testAdd
Failed asserting that 4 is identical to 5.

/app/tests/CalculatorTest.php:14

FAILURES!
Tests: 3, Assertions: 3, Failures: 1.
"""


def test_phpunit() -> None:
    out = read_outcome(classify_command("vendor/bin/phpunit"), PHPUNIT_FAILED, 1)
    assert out.status == "failed"
    assert out.summary == "Tests: 3, Assertions: 3, Failures: 1."
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line) == (
        "Tests\\CalculatorTest::testAdd",
        "/app/tests/CalculatorTest.php",
        14,
    )
    assert f.error_type == "PHPUnit\\Framework\\ExpectationFailedException"
    assert f.message == "Failed asserting that 4 is identical to 5."


def test_phpunit_error_names_the_test_file_not_where_it_threw() -> None:
    text = """\
There was 1 error:

1) Tests\\CalculatorTest::testDivide
DivisionByZeroError: Division by zero

/app/src/Calculator.php:20
/app/tests/CalculatorTest.php:30

--

There was 1 failure:

1) Tests\\CalculatorTest::testAdd
Failed asserting that 3 is identical to 4.

/app/tests/CalculatorTest.php:14

ERRORS!
Tests: 5, Assertions: 4, Errors: 1, Failures: 1.
"""
    a, b = read_outcome(classify_command("vendor/bin/phpunit"), text, 2).failures
    assert (a.file_path, a.line, a.error_type) == (
        "/app/tests/CalculatorTest.php",
        30,
        "DivisionByZeroError",
    )
    assert (b.file_path, b.line) == ("/app/tests/CalculatorTest.php", 14)


def test_pest() -> None:
    text = """\

   FAIL  Tests\\Unit\\ExampleTest
  ✓ that true is true
  ⨯ that 1 is 2

  ───────────────────────────────────────────────────────────────
   FAILED  Tests\\Unit\\ExampleTest > that 1 is 2
  Failed asserting that 1 is identical to 2.

  at tests/Unit/ExampleTest.php:8
      4▕ });

  Tests:    1 failed, 1 passed (2 assertions)
  Duration: 0.05s
"""
    out = read_outcome(classify_command("./vendor/bin/pest"), text, 1)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.test_id, f.file_path, f.line, f.error_type, f.message) == (
        "Tests\\Unit\\ExampleTest > that 1 is 2",
        "tests/Unit/ExampleTest.php",
        8,
        "PHPUnit\\Framework\\ExpectationFailedException",
        "Failed asserting that 1 is identical to 2.",
    )


# ---------------------------------------------------------------- checks

TSC = """\
src/app.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.
src/util.ts:3:10 - error TS2304: Cannot find name 'foo'.

Found 2 errors in 2 files.
"""


def test_tsc() -> None:
    out = read_outcome(classify_command("npx tsc --noEmit"), TSC, 2)
    assert out.status == "failed"
    assert [(f.file_path, f.line, f.error_type) for f in out.failures] == [
        ("src/app.ts", 12, "TS2322"),
        ("src/util.ts", 3, "TS2304"),
    ]
    assert out.failures[0].message == "Type 'string' is not assignable to type 'number'."


ESLINT = """\

/home/u/web/src/App.tsx
  12:7   error    'x' is assigned a value but never used  @typescript-eslint/no-unused-vars
  30:1   warning  Unexpected console statement             no-console

✖ 2 problems (1 error, 1 warning)
"""


def test_eslint() -> None:
    out = read_outcome(classify_command("npm run lint"), ESLINT, None)
    assert out.status == "failed"
    assert out.summary == "✖ 2 problems (1 error, 1 warning)"
    a, b = out.failures
    assert (a.file_path, a.line, a.error_type) == (
        "/home/u/web/src/App.tsx",
        12,
        "@typescript-eslint/no-unused-vars",
    )
    assert b.error_type == "no-console"


RUFF = """\
src/app.py:1:8: F401 [*] `os` imported but unused
src/app.py:10:5: E741 Ambiguous variable name: `l`
Found 2 errors.
[*] 1 fixable with the `--fix` option.
"""


def test_ruff() -> None:
    out = read_outcome(classify_command("ruff check ."), RUFF, 1)
    assert out.status == "failed"
    assert [(f.error_type, f.line) for f in out.failures] == [("F401", 1), ("E741", 10)]
    assert out.failures[0].message == "`os` imported but unused"
    clean = read_outcome(classify_command("ruff check . | tail -1"), "All checks passed!\n", 0)
    assert clean.status == "passed"


RUFF_FULL = """\
F401 [*] `os` imported but unused
 --> src/app.py:1:8
  |
1 | import os
  |        ^^
  |
help: Remove unused import: `os`

Found 1 error.
"""


def test_ruff_full_format() -> None:
    out = read_outcome(classify_command("ruff check"), RUFF_FULL, 1)
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type) == ("src/app.py", 1, "F401")


MYPY = """\
ingest_api/app.py:14: error: Incompatible return value type (got "int", expected "str")  [return-value]
ingest_api/app.py:20: note: See https://mypy.rtfd.io/en/stable/_refs.html
Found 1 error in 1 file (checked 12 source files)
"""


def test_mypy() -> None:
    out = read_outcome(classify_command("uv run mypy ingest_api"), MYPY, 1)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type) == ("ingest_api/app.py", 14, "return-value")
    ok = "Success: no issues found in 12 source files\n"
    assert read_outcome(classify_command("mypy ."), ok, None).status == "passed"


CREDO = """\
Checking 49 source files ...

  Code Readability
┃
┃ [R] → Modules should have a @moduledoc tag.
┃       lib/spotter/foo.ex:1:11 #(Spotter.Foo)

  Refactoring opportunities
┃
┃ [F] → Function is too complex (cyclomatic complexity is 12, max is 9).
┃       lib/spotter/bar.ex:20:7 #(Spotter.Bar.run)

Please report incorrect results: https://github.com/rrrene/credo/issues

Analysis took 1 second (0.1s to load, 0.9s running 69 checks on 49 files)
326 mods/funs, found 1 refactoring opportunity, 1 code readability issue.
"""


def test_credo() -> None:
    out = read_outcome(classify_command("mix credo --strict 2>&1"), CREDO, 14)
    assert out.status == "failed"
    assert [(f.file_path, f.line, f.error_type) for f in out.failures] == [
        ("lib/spotter/foo.ex", 1, "Credo.Check.Readability"),
        ("lib/spotter/bar.ex", 20, "Credo.Check.Refactor"),
    ]
    assert out.failures[0].message == "Modules should have a @moduledoc tag."
    # exit code lost in a pipe: the summary line still says it
    piped = read_outcome(classify_command("mix credo --strict 2>&1 | tail -3"), CREDO, 0)
    assert piped.status == "failed"


DIALYZER = """\
Finding suitable PLTs
Starting Dialyzer
Total errors: 1, Skipped: 0, Unnecessary Skips: 0
done in 0m2.31s
lib/spotter/foo.ex:12:no_return Function run/0 has no local return.
________________________________________________________________________________
done (warnings were emitted)
Halting VM with exit status 2
"""


def test_dialyzer() -> None:
    out = read_outcome(classify_command("mix dialyzer"), DIALYZER, 2)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type, f.message) == (
        "lib/spotter/foo.ex",
        12,
        "no_return",
        "Function run/0 has no local return.",
    )
    clean = "Total errors: 0, Skipped: 0, Unnecessary Skips: 0\ndone (passed successfully)\n"
    assert read_outcome(classify_command("mix dialyzer | tail"), clean, 0).status == "passed"


MIX_COMPILE_WARN = """\
Compiling 3 files (.ex)
    warning: variable "x" is unused (if the variable is not meant to be used, prefix it with an underscore)
    │
 12 │     x = 1
    │     ~
    │
    └─ lib/spotter/foo.ex:12:5: Spotter.Foo.run/0

Compilation failed due to warnings while using the --warnings-as-errors option
"""


def test_mix_compile_warnings_as_errors() -> None:
    out = read_outcome(classify_command("mix compile --warnings-as-errors"), MIX_COMPILE_WARN, 1)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type) == ("lib/spotter/foo.ex", 12, "warning")
    assert (f.message or "").startswith('variable "x" is unused')


PRE_COMMIT = """\
trim trailing whitespace.................................................Passed
ruff.....................................................................Failed
- hook id: ruff
- exit code: 1

src/app.py:1:8: F401 [*] `os` imported but unused
Found 1 error.

mypy.................................................(no files to check)Skipped
"""


def test_pre_commit() -> None:
    out = read_outcome(classify_command("pre-commit run --all-files"), PRE_COMMIT, 1)
    assert out.status == "failed"
    hooks = [f for f in out.failures if f.test_id]
    findings = [f for f in out.failures if not f.test_id]
    assert [(f.test_id, f.message) for f in hooks] == [
        ("ruff", "src/app.py:1:8: F401 [*] `os` imported but unused")
    ]
    assert [(f.file_path, f.error_type) for f in findings] == [("src/app.py", "F401")]


def test_cargo_clippy() -> None:
    text = """\
    Checking demo v0.1.0 (/p/demo)
error[E0308]: mismatched types
 --> src/main.rs:4:18
  |
4 |     let x: i32 = "a";
  |            ---   ^^^ expected `i32`, found `&str`

error: could not compile `demo` (bin "demo") due to 1 previous error
"""
    out = read_outcome(classify_command("cargo clippy"), text, 101)
    assert out.status == "failed"
    (f,) = out.failures
    assert (f.file_path, f.line, f.error_type, f.message) == (
        "src/main.rs",
        4,
        "E0308",
        "mismatched types",
    )


def test_shellcheck_tty_format_and_biome() -> None:
    shellcheck = """\

In scripts/deploy.sh line 3:
echo $foo
     ^--^ SC2086 (info): Double quote to prevent globbing and word splitting.

For more information:
  https://www.shellcheck.net/wiki/SC2086 -- Double quote to prevent globbing ...
"""
    out = read_outcome(classify_command("shellcheck scripts/deploy.sh"), shellcheck, 1)
    assert out.status == "failed"  # findings, not a checker that could not run
    assert [(f.file_path, f.line, f.error_type) for f in out.failures] == [
        ("scripts/deploy.sh", 3, "SC2086")
    ]
    biome = """\
src/app.ts:1:8 lint/correctness/noUnusedImports  FIXABLE  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━

  ✖ This import is unused.

Checked 12 files in 5ms. No fixes applied.
Found 1 error.
"""
    (f,) = read_outcome(classify_command("npx biome check ."), biome, 1).failures
    assert (f.file_path, f.line, f.error_type, f.message) == (
        "src/app.ts",
        1,
        "lint/correctness/noUnusedImports",
        "This import is unused.",
    )


def test_statuses_are_the_contract_vocabulary() -> None:
    for cls, text, code in [
        (classify_command("pytest"), PYTEST_FAILED, 1),
        (classify_command("pytest | tail"), "", 0),
        (classify_command("ruff check ."), "", 0),
        (classify_command("ruff check ."), "boom", 2),
    ]:
        assert read_outcome(cls, text, code).status in RUN_STATUSES


# ---------------------------------------------------------------- non-test failures


def test_error_lines_git() -> None:
    text = real_git = """\
Exit code 128
fatal: The current branch spotter-gqc has no upstream branch.
To push the current branch and set the remote as upstream, use

    git push --set-upstream origin spotter-gqc

To have this happen automatically for branches without a tracking
upstream, see 'push.autoSetupRemote' in 'git help config'.
"""
    got = error_lines(real_git)
    assert got.splitlines()[0] == "fatal: The current branch spotter-gqc has no upstream branch."
    assert "Exit code" not in got
    assert len(got.splitlines()) < len(text.splitlines())


def test_error_lines_python_traceback_keeps_the_exception() -> None:
    text = "\n".join(
        ["Traceback (most recent call last):"]
        + [f'  File "x.py", line {i}, in f{i}' for i in range(40)]
        + ["ValueError: bad input"]
    )
    got = error_lines(text, max_lines=5)
    assert "ValueError: bad input" in got
    assert len(got.splitlines()) <= 5


def test_error_lines_limits_to_max() -> None:
    text = "\n".join(f"error: thing {i}" for i in range(100))
    assert len(error_lines(text, max_lines=20).splitlines()) == 20


@pytest.mark.parametrize(
    ("cmd", "kind", "runner"),
    [
        ("bash -lc 'cd app && pytest -q'", "test", "pytest"),
        ('zsh -c "npm run lint"', "check", "npm run lint"),
        ("docker compose exec web python -m pytest", "test", "pytest"),
        ("docker compose -f dev.yml run --rm -e X=1 app mix test", "test", "mix test"),
        ("docker exec -it api bundle exec rspec", "test", "rspec"),
        ("./scripts/run_tests.sh", "test", "run_tests.sh"),
        ("bin/test", "test", "test"),
        ("./lint.sh", "check", "lint.sh"),
    ],
)
def test_classify_through_shells_containers_and_project_scripts(
    cmd: str, kind: str, runner: str
) -> None:
    cls = classify_command(cmd)
    assert (cls.kind, cls.runner) == (kind, runner)


@pytest.mark.parametrize(
    ("cmd", "kind", "runner"),
    [
        ("php artisan test --filter CartTest", "test", "artisan test"),
        ("php vendor/bin/phpunit", "test", "phpunit"),
        ("php -d memory_limit=-1 vendor/bin/phpunit", "test", "phpunit"),
        ("composer test", "test", "composer test"),
        ("composer run-script lint", "check", "composer lint"),
        ("coverage run -m pytest tests/", "test", "pytest"),
        ("uv run coverage run -m pytest", "test", "pytest"),
        ("python -m django test", "test", "django test"),
    ],
)
def test_classify_php_composer_coverage_django(cmd: str, kind: str, runner: str) -> None:
    cls = classify_command(cmd)
    assert (cls.kind, cls.runner) == (kind, runner)


@pytest.mark.parametrize(
    "cmd",
    [
        "pip install pytest",
        "uv add --dev pytest",
        "npm install --save-dev jest",
        "cat pytest.ini",
        'grep -r "go test" .',
        "echo npm test",
        "command -v pytest",
        "which jest",
        "pytest --version",
        "npx vitest --help",
        "composer install",
        "php artisan migrate",
    ],
)
def test_commands_that_only_mention_a_runner_are_no_runs(cmd: str) -> None:
    assert classify_command(cmd).kind is None


def test_shell_builtin_test_is_no_test_run() -> None:
    assert classify_command("test -f x && echo yes").kind is None
    assert classify_command("[ -d build ] || mkdir build").writes


def test_scratch_writes_are_not_tree_writes() -> None:
    assert not classify_command("pytest 2>&1 | tee /tmp/out.log").writes
    assert not classify_command("mix test > /tmp/run.txt 2>&1").writes
    assert classify_command("pytest | tee report.txt").writes


def test_ruff_fix_with_nothing_left_passes() -> None:
    cls = classify_command("ruff check --fix . | tail -2")
    assert cls.writes
    assert read_outcome(cls, "Found 2 errors (2 fixed, 0 remaining).\n", 0).status == "passed"


@pytest.mark.parametrize(
    ("cmd", "targets"),
    [
        ("mix test 2>&1 | tail -5", ()),
        (
            "mix test test/spotter_web/live/project_review_live_test.exs 2>&1",
            ("test/spotter_web/live/project_review_live_test.exs",),
        ),
        (
            "mix compile 2>&1 && mix test test/a_test.exs:42 test/b_test.exs",
            ("test/a_test.exs", "test/b_test.exs"),
        ),
        ("uv run pytest ./tests/test_a.py::test_x -s -n 4 -q", ("tests/test_a.py",)),
        ("pytest -k 'foo and bar' tests/", ("?-k=foo and bar", "tests")),
        ("pytest --lf", ("?--lf",)),
        ("go test ./...", ()),
        ("cargo test parse_", ("?parse_",)),
        ("npx vitest run src/a.test.ts", ("src/a.test.ts",)),
        ("ruff check .", ()),
        ("npm run lint", ()),
    ],
)
def test_run_targets(cmd: str, targets: tuple[str, ...]) -> None:
    """What a run covers: paths without node ids or lines, filters as '?', () = all."""
    assert classify_command(cmd).targets == targets


def test_writes_and_targets_land_on_real_events() -> None:
    cls = classify_command("git checkout -b fix && pip install lazy_html")
    assert cls.writes and cls.kind is None and cls.targets == ()


# ---------------------------------------------------------------- line gates


def _output_lines() -> list[str]:
    """Every line of the real outputs and of the outputs written in this file, each
    also indented (a runner's summary is often printed so)."""
    texts = [p.read_text() for p in REAL.glob("*.txt")]
    tree = ast.parse(Path(__file__).read_text())
    texts += [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    lines = [ln.rstrip() for text in texts for ln in text.splitlines()]
    return lines + ["    " + ln for ln in lines]


GATES = {
    "counts": runners._COUNT_LINES,
    "findings": runners._FINDING_LINES,
    "check summaries": runners._CHECK_LINES,
    "elixir diagnostics": runners._ELIXIR_DIAG_LINES,
    **{parser.__name__: gate for parser, gate in runners._FAILURE_PARSERS},
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_a_line_gate_keeps_every_line_one_of_its_patterns_matches(name: str) -> None:
    """The parsers try their patterns only on the lines a gate lets through (a failure
    parser runs only when its gate finds one); a line the gate dropped but a pattern
    matches would be a summary or failure lost."""
    gate = GATES[name]
    lines = _output_lines()
    matched = {
        i
        for i, ln in enumerate(lines)
        if any(p.match(ln.strip()) for p in gate.stripped)
        or any(p.match(ln) for p in gate.as_is)
        or any(p.search(ln.strip()) for p in gate.anywhere)
    }
    assert matched, "no line here to say anything about this gate"
    kept = gate.lines(lines)
    assert matched <= set(kept)
    assert len(kept) < len(lines) / 2  # and it does leave most lines out
    assert all(gate.any([lines[i]]) for i in matched)


@pytest.mark.parametrize(
    "command, code, status",
    [
        ("pytest -q", 1, "failed"),  # pytest: tests ran, some failed
        ("pytest -q", 2, "error"),  # interrupted
        ("pytest -q", 4, "error"),  # usage error
        ("mix test", 2, "failed"),  # ExUnit's exit_status for failed tests
        ("mix test", 1, "error"),  # e.g. a compile error
        ("cargo test", 101, "error"),  # failures and build errors share 101: no reading
    ],
)
def test_a_run_known_by_its_exit_code_alone(command: str, code: int, status: str) -> None:
    # a background run whose output was never read: only its notification's exit code
    assert read_outcome(classify_command(command), "", code).status == status
