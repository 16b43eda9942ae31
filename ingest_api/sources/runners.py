"""What a shell command is (test run, check, a change to the tree) and what its output says.

Agent-independent: Claude Code, Codex and Gemini parsers all hand their commands and
outputs here. The rules read the shapes runners print (summary lines, failure headers,
`file:line: code message` findings), not any one log, so they hold on logs we never saw.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, count

from ingest_api.sources import runner_patterns as cat

__all__ = [
    "CommandClass",
    "CommandOutcome",
    "Failure",
    "classify_command",
    "error_lines",
    "read_outcome",
]


@dataclass(frozen=True)
class CommandClass:
    """What one shell command line does, as far as analytics cares."""

    kind: str | None = None  # "test" | "check" | None
    runner: str | None = None  # "pytest", "mix test", "ruff", ...
    writes: bool = False  # the command changes the working tree
    # the exit code of the whole line is the runner's (no `| tail`, `; echo`, `|| true` after it)
    exit_code_speaks: bool = True
    # the line prints the runner's exit code itself (`; echo "exit=$?"`): read it from the output
    echoes_exit: bool = False
    # what the run covers: the paths it names (`pytest tests/a.py` -> ("tests/a.py",)), plus
    # "?<word>" for each filter that narrows it (`-k name`, a bare test name); () = everything
    targets: tuple[str, ...] = ()
    # the output goes through `| head`: its line limit (-N: a limit of N bytes), else None
    head_lines: int | None = None


@dataclass(frozen=True)
class Failure:
    """One failing test, or one finding of a check."""

    test_id: str | None
    file_path: str | None
    error_type: str | None
    message: str | None
    line: int | None = None


@dataclass(frozen=True)
class CommandOutcome:
    status: str  # one of base.RUN_STATUSES
    summary: str | None = None
    failures: list[Failure] = field(default_factory=list)


# ---------------------------------------------------------------------------------
# Shell lexing: split a command line into simple commands joined by operators.


@dataclass
class _Simple:
    words: list[str]
    redirects: list[str]  # targets of > and >> (not fd duplications)
    op_after: str | None  # "|", "&&", "||", ";", "&", "\n" or None at the end
    raw: str


_NAME_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _skip_heredoc_bodies(s: str, i: int, delims: list[str]) -> int:
    """From just after a newline, skip the bodies of pending here-documents."""
    for d in delims:
        while i < len(s):
            j = s.find("\n", i)
            line = s[i:] if j == -1 else s[i:j]
            i = len(s) if j == -1 else j + 1
            if line.strip() == d:
                break
    return i


def _read_heredoc_delim(s: str, i: int) -> tuple[str, int]:
    while i < len(s) and s[i] in " \t-":
        i += 1
    j = i
    while j < len(s) and s[j] not in " \t\n;|&)<>":
        j += 1
    return s[i:j].strip("'\""), j


def _skip_subst(s: str, i: int) -> int:
    """s[i] is the '(' of `$(`: return the index just past its matching ')'."""
    depth = 0
    heredocs: list[str] = []
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = s.find("'", i + 1)
            i = n if j == -1 else j + 1
            continue
        if c == '"':
            i = _skip_dquote(s, i + 1)
            continue
        if s.startswith("<<", i) and not s.startswith("<<<", i):
            d, i = _read_heredoc_delim(s, i + 2)
            if d:
                heredocs.append(d)
            continue
        if c == "\n" and heredocs:
            i = _skip_heredoc_bodies(s, i + 1, heredocs)
            heredocs = []
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _skip_dquote(s: str, i: int) -> int:
    """i is just past an opening double quote: return the index past its closing one."""
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if c == "$" and i + 1 < n and s[i + 1] == "(":
            i = _skip_subst(s, i + 1)
            continue
        if c == "`":
            j = s.find("`", i + 1)
            i = n if j == -1 else j + 1
            continue
        i += 1
    return n


def _lex(cmd: str) -> list[_Simple]:
    out: list[_Simple] = []
    words: list[str] = []
    redirects: list[str] = []
    word: list[str] = []
    in_word = False
    heredocs: list[str] = []
    pending_redirect: str | None = None  # "file" when the next word is a redirect target
    start = 0
    i = 0
    n = len(cmd)

    def end_word() -> None:
        nonlocal in_word, pending_redirect
        if in_word:
            w = "".join(word)
            if pending_redirect == "file":
                redirects.append(w)
            elif pending_redirect != "heredoc":
                words.append(w)
            pending_redirect = None
        word.clear()
        in_word = False

    def end_simple(op: str | None, upto: int) -> None:
        nonlocal words, redirects, start
        end_word()
        if words or redirects:
            out.append(_Simple(words, redirects, op, cmd[start:upto].strip()))
        elif out and op is not None:
            out[-1].op_after = out[-1].op_after or op
        words, redirects = [], []

    while i < n:
        c = cmd[i]
        if c in " \t":
            end_word()
            i += 1
        elif c == "\\":
            if i + 1 < n and cmd[i + 1] == "\n":
                i += 2
                continue
            word.append(cmd[i + 1 : i + 2])
            in_word = True
            i += 2
        elif c == "'":
            j = cmd.find("'", i + 1)
            j = n if j == -1 else j
            word.append(cmd[i + 1 : j])
            in_word = True
            i = j + 1
        elif c == '"':
            j = _skip_dquote(cmd, i + 1)
            word.append(cmd[i + 1 : max(i + 1, j - 1)])
            in_word = True
            i = j
        elif c == "$" and i + 1 < n and cmd[i + 1] == "(":
            j = _skip_subst(cmd, i + 1)
            word.append(cmd[i:j])
            in_word = True
            i = j
        elif c == "`":
            j = cmd.find("`", i + 1)
            j = n if j == -1 else j
            word.append(cmd[i : j + 1])
            in_word = True
            i = j + 1
        elif c == "#" and not in_word:
            j = cmd.find("\n", i)
            i = n if j == -1 else j
        elif c in "<>" or (c == "&" and cmd.startswith("&>", i)):
            # a bare fd number before the operator belongs to the redirect (2>&1, 2>/dev/null)
            if in_word and "".join(word).isdigit():
                word.clear()
                in_word = False
            else:
                end_word()
            if cmd.startswith("<<<", i):
                i += 3
                pending_redirect = "heredoc"  # the here-string is input, not a word
                continue
            if cmd.startswith("<<", i):
                d, i = _read_heredoc_delim(cmd, i + 2)
                if d:
                    heredocs.append(d)
                continue
            j = i + 1
            while j < n and cmd[j] in ">|&":
                j += 1
            op = cmd[i:j]
            i = j
            if c == "<":
                pending_redirect = "heredoc"  # input redirect: swallow the file name
            elif op.endswith("&") and not op.startswith("&"):
                pending_redirect = "heredoc"  # >&2, 2>&1: fd duplication, no file
            else:
                pending_redirect = "file"
        elif c in "|&;\n":
            two = cmd[i : i + 2]
            if two in ("&&", "||", ";;", "|&"):
                op, width = two, 2
            else:
                op, width = c, 1
            end_simple("|" if op == "|&" else op, i)
            i += width
            start = i
            if c == "\n" and heredocs:
                i = _skip_heredoc_bodies(cmd, i, heredocs)
                heredocs = []
                start = i
        elif c in "(){}" and not in_word:
            i += 1
        else:
            word.append(c)
            in_word = True
            i += 1
    end_simple(None, n)
    return out


# ---------------------------------------------------------------------------------
# Unwrapping: see the real program through env assignments and runner wrappers.

_VALUE_OPTIONS = frozenset(
    {
        "--with",
        "--python",
        "-p",
        "--package",
        "--env-file",
        "-e",
        "--project",
        "--directory",
        "--group",
        "--extra",
        "-u",
        "-s",
        "-k",
        "--signal",
        "--kill-after",
        "-n",
        "-I",
        "-P",
        "-L",
        "-d",
        "-C",
        "--cwd",
        "--prefix",
        "--filter",
        "-F",
        "--workspace",
        "-w",
        "--from",
        "--user",
    }
)
_CONTAINER_VALUE_OPTIONS = frozenset(
    {
        "-e",
        "--env",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--name",
        "--entrypoint",
        "-v",
        "--volume",
        "--env-file",
        "--network",
        "--platform",
    }
)
_PY = re.compile(r"^(python|python\d(\.\d+)?|py|pypy3?)$")


def _base(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _skip_options(words: list[str], i: int, value_opts: frozenset[str] = _VALUE_OPTIONS) -> int:
    while i < len(words) and words[i].startswith("-"):
        w = words[i]
        i += 1
        if w == "--":
            break
        if w in value_opts and i < len(words):
            i += 1
    return i


def _unwrap(words: list[str]) -> list[str]:
    """Peel env assignments and wrappers until the real program is first."""
    for _ in range(12):
        i = 0
        while i < len(words) and _NAME_ASSIGN.match(words[i]):
            i += 1
        words = words[i:]
        if not words:
            return words
        prog = _base(words[0])
        second = words[1] if len(words) > 1 else ""
        if prog in ("docker", "podman", "docker-compose", "podman-compose"):
            # docker [compose] exec|run [options] SERVICE command...
            rest = words[2:] if second == "compose" else words[1:]
            k = _skip_options(rest, 0, _CONTAINER_VALUE_OPTIONS)
            if k < len(rest) and rest[k] in ("exec", "run"):
                k = _skip_options(rest, k + 1, _CONTAINER_VALUE_OPTIONS)
                words = rest[k + 1 :]
                continue
            return words
        if prog == "command" and second in ("-v", "-V"):
            return []  # `command -v pytest` looks the program up, it does not run it
        if prog == "coverage" and second == "run":
            words = words[_skip_options(words, 2) :]  # coverage run [-m] pytest ...
            continue
        if prog == "php" and len(words) > 1:
            j = _skip_options(words, 1)
            if j < len(words) and not words[j].endswith((".php", ".phar")) or "artisan" in words:
                words = words[j:]  # php artisan test, php vendor/bin/phpunit: the script runs
                continue
            return words
        if (prog, second) in cat.RUN_WRAPPERS:
            j = _skip_options(words, 2)
            if prog == "docker":
                j += 1  # the container name
            words = words[j:]
            continue
        if prog in cat.WRAPPERS:
            j = _skip_options(words, 1)
            if prog == "env":
                while j < len(words) and _NAME_ASSIGN.match(words[j]):
                    j += 1
            if prog == "timeout":
                j += 1  # the duration
            if prog in ("op", "dotenv") and "--" in words:
                j = words.index("--") + 1
            if prog == "op" and second == "run":
                j = _skip_options(words, 2)
            words = words[j:]
            continue
        if prog == "xargs":
            words = words[_skip_options(words, 1) :]
            continue
        if _PY.match(prog):
            j = 1
            while j < len(words) and words[j].startswith("-") and words[j] not in ("-m", "-c"):
                j += 2 if words[j] in ("-W", "-X") else 1
            if j < len(words) and words[j] == "-m" and j + 1 < len(words):
                words = words[j + 1 :]
                continue
            if j < len(words) and words[j] != "-c":
                words = words[j:]  # python script.py ...: the script is the program
                continue
            return words
        if prog == "node" and len(words) > 1 and "node_modules" in words[1]:
            words = words[1:]
            continue
        if prog in ("yarn", "pnpm") and second and not second.startswith("-"):
            # `yarn jest`, `pnpm vitest`: a package binary, unless it is a script or a verb
            known = cat.WRITE_PROGRAMS.get(prog) or frozenset()
            if second not in known and second not in _PM_VERBS and _script_kind(second) is None:
                words = words[1:]
                continue
        return words
    return words


_PM_VERBS = frozenset(
    {"run", "test", "exec", "dlx", "workspace", "create", "why", "list", "info", "outdated"}
)


def _script_kind(name: str) -> str | None:
    for prefix, kind in cat.SCRIPT_PREFIXES:
        if name == prefix or name.startswith(prefix):
            return kind
    return None


def _args(words: list[str], start: int = 1) -> list[str]:
    """Positional arguments (options and their obvious values skipped)."""
    return [w for w in words[start:] if not w.startswith("-")]


def _classify_simple(words: list[str]) -> tuple[str | None, str | None]:
    """(kind, runner) of one unwrapped simple command."""
    if not words:
        return None, None
    prog = _base(words[0])
    flags = set(words[1:])
    pos = _args(words)
    first = pos[0] if pos else ""
    if flags & {"--version", "--help"} and len(words) <= 3:
        return None, None  # `pytest --version`, `eslint --help`: nothing was run or checked

    if prog == "composer":
        # composer runs composer.json scripts by name: `composer test`, `composer run-script lint`
        sub = pos[1] if first in ("run-script", "run") and len(pos) > 1 else first
        kind = _script_kind(sub) if sub not in ("validate", "check-platform-reqs") else None
        return (kind, f"composer {sub}") if kind else (None, None)
    if prog in cat.JS_PACKAGE_MANAGERS:
        j = _skip_options(words, 1)
        rest = words[j:]
        if rest and rest[0] == "workspace" and len(rest) > 2:
            rest = rest[2:]
        if not rest:
            return None, None
        sub = rest[0]
        if sub in ("test", "t", "tst"):
            return "test", f"{prog} test"
        if sub in ("run", "run-script") and len(rest) > 1:
            sub = rest[_skip_options(rest, 1)] if _skip_options(rest, 1) < len(rest) else ""
        elif prog == "npm":
            return None, None
        kind = _script_kind(sub)
        if kind:
            return kind, f"{prog} run {sub}"
        return None, None
    if prog == "mix":
        return _classify_mix(words)[:2]
    if prog in ("make", "gmake"):
        for target in (w for w in words[1:] if not w.startswith("-") and "=" not in w):
            kind = _script_kind(target)
            if kind:
                return kind, f"make {target}"
        return None, None
    if prog in ("gradle", "gradlew", "mvn", "mvnw"):
        runner = "gradle" if prog.startswith("gradle") else "maven"
        tasks = [t.rsplit(":", 1)[-1] for t in pos]
        skip_tests = any("skipTests" in w or w == "-x" for w in words)
        if not skip_tests and any(
            t in ("test", "check", "verify", "install", "package") or t.endswith("Test")
            for t in tasks
        ):
            return "test", f"{runner} test"
        if any(
            t in ("build", "compile", "assemble", "lint", "detekt", "ktlintCheck", "spotlessCheck")
            for t in tasks
        ):
            return "check", f"{runner} build"
        return None, None
    if prog == "turbo" or prog == "nx":
        named = [w.split("=", 1)[1] for w in words if w.startswith(("--target=", "-t="))]
        rest = [w for w in pos if w not in ("run", "run-many", "affected")]
        job = named[0] if named else (rest[0].rsplit(":", 1)[-1] if rest else "")
        kind = _script_kind(job)
        return (kind, f"{prog} {job}") if kind else (None, None)
    if prog in ("manage.py", "django", "django-admin") and first == "test":
        return "test", "django test"
    if prog == "setup.py" and first == "test":
        return "test", "setup.py test"
    if prog == "node" and "--test" in flags:
        return "test", "node --test"
    if prog in ("py_compile", "compileall"):
        return "check", prog
    if prog == "cargo":
        sub = next((w for w in words[1:] if not w.startswith(("-", "+"))), "")
        hit = cat.SUBCOMMANDS.get(("cargo", sub))
        return hit if hit else (None, None)
    if prog in ("rails", "rake", "artisan") or (prog, first) in cat.SUBCOMMANDS:
        hit = cat.SUBCOMMANDS.get((prog, first))
        if hit:
            return hit
        if prog in ("rails", "rake") and first.startswith(("test", "spec")):
            return "test", f"{prog} {first}"
        return None, None
    if prog in cat.TEST_PROGRAMS:
        return "test", cat.TEST_PROGRAMS[prog]
    if "/" in words[0] or prog.endswith(".sh"):
        # a project's own script: bin/test, ./run_tests.sh, scripts/lint.sh
        stem = re.sub(r"\.(sh|bash|py)$", "", prog).lower()
        if re.fullmatch(
            r"(run[_-]?)?(unit[_-]?|integration[_-]?|e2e[_-]?)?tests?|runtests|test[_-]\w+", stem
        ):
            return "test", prog
        if re.fullmatch(r"lint|typecheck|type[_-]check|check[_-]types|format[_-]check", stem):
            return "check", prog
    if prog in cat.CHECK_PROGRAMS:
        runner = cat.CHECK_PROGRAMS[prog]
        if prog == "ruff" and first == "format":
            runner = "ruff format"
        if prog == "biome" and first == "format":
            runner = "biome format"
        if prog in ("pre-commit", "prek") and first not in ("run", "", "try-repo"):
            return None, None
        if prog == "tsc" and "--init" in flags:
            return None, None
        if runner in cat.FORMATTERS and not (flags & cat.CHECK_ONLY_FLAGS):
            if prog == "gofmt" and not flags & {"-l", "-d"}:
                return None, None
            return None, runner  # a formatter run to rewrite files is no check
        return "check", runner
    return None, None


def _classify_mix(words: list[str]) -> tuple[str | None, str | None, bool]:
    """(kind, runner, writes) for `mix TASK` and `mix do a, b` / `mix do a + b`."""
    args = words[1:]
    if args and args[0] == "do":
        tasks: list[list[str]] = [[]]
        for w in args[1:]:
            for part in re.split(r"(,|\+)", w):
                if part in (",", "+"):
                    tasks.append([])
                elif part:
                    tasks[-1].append(part)
    else:
        tasks = [args]
    kind: str | None = None
    runner: str | None = None
    writes = False
    for t in tasks:
        if not t:
            continue
        name = t[0]
        flags = set(t[1:])
        if any(name.startswith(p) for p in cat.MIX_WRITE_PREFIXES):
            writes = True
        if name == "format" and "--check-formatted" not in flags:
            writes = True
            continue
        if name == "deps.unlock" and "--check-unused" in flags:
            hit: tuple[str, str] | None = ("check", "mix deps.unlock")
        else:
            hit = cat.MIX_TASKS.get(name)
        if hit and (kind != "test" or hit[0] == "test"):
            kind, runner = hit
    return kind, runner, writes


_SED_INPLACE = re.compile(r"^-[a-zA-Z]*i")


# writes there do not change the working tree (logs, scratch files)
_OUTSIDE_TREE = ("/dev/", "/tmp/", "$TMPDIR", "${TMPDIR")


def _simple_writes(words: list[str], redirects: list[str]) -> bool:
    if any(not t.startswith(_OUTSIDE_TREE) for t in redirects):
        return True
    if not words:
        return False
    prog = _base(words[0])
    flags = set(words[1:])
    pos = _args(words)
    first = pos[0] if pos else ""
    if prog in ("sed", "gsed", "perl"):
        return any(_SED_INPLACE.match(w) or w.startswith("--in-place") for w in words[1:])
    if prog in ("awk", "gawk"):
        return "inplace" in words
    if prog == "tee":
        return any(not w.startswith(_OUTSIDE_TREE) for w in _args(words))
    if prog == "find":
        return (
            "-delete" in flags
            or any(w in ("-exec", "-execdir") for w in words)
            and any(_base(w) in ("rm", "mv", "sed", "chmod") for w in words)
        )
    if prog == "curl":
        return bool(flags & {"-o", "-O", "--output", "--remote-name"})
    if prog == "tar":
        return any(
            w == "--extract" or (not w.startswith("--") and "x" in w.lstrip("-"))
            for w in words[1:2]
        )
    if prog == "git":
        j = 1
        while j < len(words) and words[j].startswith("-"):
            j += 2 if words[j] in ("-C", "-c") else 1
        sub = words[j] if j < len(words) else ""
        rest = _args(words, j + 1)
        if sub == "stash":
            return not rest or rest[0] in ("push", "pop", "apply", "save")
        if sub == "branch":
            return False
        allowed = cat.WRITE_PROGRAMS["git"]
        return allowed is not None and sub in allowed
    if prog == "go" and first == "mod":
        return len(pos) < 2 or pos[1] not in ("graph", "why", "verify")
    if prog in ("npm", "yarn", "pnpm", "bun") and first == "create":
        return True
    if prog.startswith("create-"):
        return True
    if prog == "mix":
        return _classify_mix(words)[2]
    if prog in cat.WRITE_PROGRAMS:
        allowed = cat.WRITE_PROGRAMS[prog]
        if allowed is None:
            return True
        if prog == "yarn" and not pos:
            return True  # bare `yarn` installs
        return first in allowed
    kind, runner = _classify_simple(words)
    if kind is None and runner is not None:
        return True  # a formatter run to rewrite files
    if kind == "check" and runner != "tsc":
        return bool(flags & cat.FIXING_FLAGS) or any(
            w.startswith(("--fix", "--write")) for w in flags
        )
    return prog in ("pre-commit", "prek") and first == "autoupdate"


_ECHO_EXIT = re.compile(r"\$\?|\$\{?PIPESTATUS")


_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "fish"})


def _shell_script(words: list[str]) -> str | None:
    """The script of `bash -c '…'` / `zsh -lc '…'`, to classify what it runs."""
    if len(words) >= 3 and _base(words[0]) in _SHELLS:
        for k, w in enumerate(words[1:-1], start=1):
            if w.startswith("-") and not w.startswith("--") and "c" in w:
                return words[k + 1]
    return None


# Agents run the same few commands again and again (`mix test`, `git status`), and a
# class is frozen: lexing each line once is about a sixth of a transcript's parse time.
@functools.lru_cache(maxsize=4096)
def classify_command(cmd: str) -> CommandClass:
    """Classify a shell command line: test run, check, or neither; whether it writes."""
    try:
        simples = _lex(cmd)
    except Exception:  # a lexer bug must never lose an event: fall back to plain words
        simples = [_Simple(cmd.split(), [], None, cmd)]
    writes = False
    chosen: int | None = None
    chosen_kind: str | None = None
    runner: str | None = None
    for idx, s in enumerate(simples):
        try:
            words = _unwrap(s.words)
        except Exception:
            words = s.words
        inner = _shell_script(words)
        if inner is not None:
            sub = classify_command(inner)
            writes = writes or sub.writes or _simple_writes([], s.redirects)
            if sub.kind == "test" or (sub.kind == "check" and chosen_kind != "test"):
                chosen, chosen_kind, runner = idx, sub.kind, sub.runner
            continue
        if _simple_writes(words, s.redirects):
            writes = True
        kind, run = _classify_simple(words)
        if kind == "test" or (kind == "check" and chosen_kind != "test"):
            chosen, chosen_kind, runner = idx, kind, run
    if chosen is None:
        return CommandClass(kind=None, runner=None, writes=writes)
    # does the line's exit code belong to the runner?
    speaks = True
    echoes = False
    piped = simples[chosen].op_after == "|"
    k = chosen
    while k < len(simples) and simples[k].op_after == "|":
        k += 1
    if piped:
        speaks = False
        if any("PIPESTATUS" in s.raw for s in simples[k + 1 :]):
            echoes = True
    for s in simples[k + 1 :]:
        prev_op = simples[simples.index(s) - 1].op_after
        if prev_op in (";", "||", "\n", "&"):
            speaks = False
            if not piped and s.words[:1] == ["echo"] and _ECHO_EXIT.search(s.raw):
                echoes = True
            break
    if simples[k].op_after == "&":
        speaks = False
    head_lines = next(
        (n for n in (_head_limit(s.words) for s in simples[chosen + 1 : k + 1]) if n is not None),
        None,
    )
    try:
        targets = run_targets(_unwrap(simples[chosen].words))
    except Exception:  # the scope is a refinement: never lose the run over it
        targets = ()
    return CommandClass(
        kind=chosen_kind,
        runner=runner,
        writes=writes,
        exit_code_speaks=speaks,
        echoes_exit=echoes,
        targets=targets,
        head_lines=head_lines,
    )


def _head_limit(words: list[str]) -> int | None:
    """The line limit of a `head` in a pipe (10 by default; -N for a limit of N bytes),
    or None when the command is no head."""
    if not words or _base(words[0]) != "head":
        return None
    limit = 10
    rest = iter(words[1:])
    for w in rest:
        m = re.fullmatch(r"-(?:n|-lines=?)?(\d+)", w)
        if m:
            limit = int(m.group(1))
        elif w in ("-n", "--lines"):
            value = next(rest, "")
            limit = int(value) if value.isdigit() else limit
        elif w.startswith(("-c", "--bytes")):
            m = re.fullmatch(r"(?:-c|--bytes=?)(\d+)", w)
            value = m.group(1) if m else next(rest, "")
            return -int(value) if value.isdigit() and int(value) > 0 else -1
    return limit


# flags that narrow a run to some tests whatever paths it names
_FILTER_FLAGS = frozenset(
    {
        "-k",
        "-m",
        "-t",
        "-run",
        "--testNamePattern",
        "--test-name-pattern",
        "--only",
        "--failed",
        "--stale",
        "--lf",
        "--last-failed",
        "--grep",
        "--filter",
        "--include",
        "--exclude",
        "--testPathPattern",
        "--changed",
        "--onlyChanged",
        "--since",
        "--deselect",
    }
)
# words that name the runner's task, not what it covers (`mix test`, `go test`, `npm run lint`)
_TASK_WORDS = frozenset(
    {
        "test",
        "tests",
        "t",
        "run",
        "run-script",
        "exec",
        "check",
        "lint",
        "compile",
        "credo",
        "dialyzer",
        "format",
        "vet",
        "clippy",
        "build",
        "typecheck",
        "spec",
        "do",
        "pytest",
        "jest",
        "vitest",
        "mocha",
        "unittest",
        "discover",
        "tsc",
        "eslint",
        "ruff",
        "mypy",
    }
)
# runner options whose value is the next word (the value names no target)
_RUNNER_VALUE_OPTIONS = frozenset(
    {
        "-n",
        "--numprocesses",
        "-p",
        "--maxfail",
        "--timeout",
        "-c",
        "--config",
        "--rootdir",
        "--tb",
        "--reporter",
        "-j",
        "--jobs",
        "--seed",
        "--max-warnings",
        "--format",
        "-f",
        "--ext",
        "--cov",
        "--durations",
        "-r",
        "--color",
        "-o",
        "--output",
        "--max-failures",
        "--env",
        "--project",
        "--workspace",
        "-w",
        "--manifest-path",
        "--cwd",
    }
)
_PATH_LIKE = re.compile(r"[/\\]|::|\.[A-Za-z][A-Za-z0-9]{0,5}(:\d+)*$")
_WHOLE = frozenset({".", "./", "./...", "...", "*"})


def run_targets(words: list[str]) -> tuple[str, ...]:
    """What one unwrapped runner command covers, as sorted targets (() = the whole suite).

    Paths lose a pytest node id (`::test_x`) and line numbers (`file:42`), so a run of
    one test counts as a run of its file; other positional words and filter flags
    (`-k expr`, `cargo test name`) become "?word": the run covers only part of those files.
    """
    targets: set[str] = set()
    i = 1
    while i < len(words):
        w = words[i]
        i += 1
        if w.startswith("-"):
            name = w.split("=", 1)[0]
            if name in _FILTER_FLAGS:
                value = w.split("=", 1)[1] if "=" in w else (words[i] if i < len(words) else "")
                if "=" not in w and i < len(words) and not words[i].startswith("-"):
                    i += 1
                targets.add(f"?{name}={value}".rstrip("="))
            elif name in _RUNNER_VALUE_OPTIONS and "=" not in w and i < len(words):
                i += 1
            continue
        if w in _WHOLE or w.isdigit() or (not targets and w in _TASK_WORDS):
            continue
        if _PATH_LIKE.search(w):
            path = re.sub(r"(::.*|(:\d+)+)$", "", w).replace("\\", "/")
            path = path.removeprefix("./").rstrip("/")
            if path and path not in _WHOLE:
                targets.add(path)
        elif "=" not in w:
            targets.add(f"?{w}")
    return tuple(sorted(targets))


# ---------------------------------------------------------------------------------
# Reading outputs

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_TRUNCATED = re.compile(
    r"\[\s*\d+ (?:lines?|characters?|chars|bytes) truncated\s*\]|\btruncated\b", re.I
)


def _clean(output: str) -> list[str]:
    return [ln.rstrip() for ln in _ANSI.sub("", output).replace("\r\n", "\n").split("\n")]


# Monorepo runners prefix each package's lines: turbo "web:test: ", `pnpm -r` "apps/web test: ",
# `yarn workspaces foreach` "[web]: ". The task must be a test or check script's name, so a
# "file:line: " or "Test Suites: " is no prefix.
_WORKSPACE_PREFIX = re.compile(r"^(?:\[[\w@./-]+\]|[\w@./-]+(?P<sep>[: ])(?P<task>[\w:.-]+)): ")


def _strip_workspace_prefixes(lines: list[str]) -> list[str]:
    """The lines without the package prefix a monorepo runner put before them, so that
    each package's summary (`web:test: Tests: 3 passed, 3 total`) reads as the runner's."""
    found: dict[str, int] = {}
    loose: set[str] = set()
    for m in filter(None, map(_WORKSPACE_PREFIX.match, lines)):
        task = m.group("task")
        if task is None or _script_kind(task):
            found[m.group(0)] = found.get(m.group(0), 0) + 1
            if m.group("sep") == " ":
                loose.add(m.group(0))
    # ("pkg script: " is the loosest shape: trusted once a package printed two such lines)
    prefixes = tuple(p for p, n in found.items() if n >= 2 or p not in loose)
    if not prefixes:
        return lines
    out = []
    for ln in lines:
        # (a blank line of the package is its prefix alone, its space cut by rstrip)
        p = next((x for x in prefixes if ln.startswith(x) or ln == x[:-1]), "")
        out.append(ln[len(p) :])
    return out


class _LineGate:
    """The lines of an output that some patterns may match, found at C speed.

    Most lines of an output match none of a parser's patterns; the gate finds the
    few that may, and the parser tries its patterns on those alone. It errs only on
    the side of a line too many, never of one missed. Patterns are given by how the
    parser tries them on a line: `.match` on the stripped line or on the line as is
    (one alternation tries them all), or `.search` on the stripped line.
    """

    def __init__(
        self,
        stripped: Sequence[re.Pattern[str]] = (),
        as_is: Sequence[re.Pattern[str]] = (),
        anywhere: Sequence[re.Pattern[str]] = (),
    ) -> None:
        self.stripped, self.as_is, self.anywhere = tuple(stripped), tuple(as_is), tuple(anywhere)
        at_start = [_body(p) for p in as_is]
        if stripped:  # possessive: the patterns start where strip() would have cut
            at_start.insert(0, rf"\s*+(?:{'|'.join(_body(p) for p in stripped)})")
        self.at_start = re.compile("|".join(at_start)) if at_start else None

    def any(self, lines: list[str]) -> bool:
        """Whether some line may match (stops at the first)."""
        if self.at_start is not None and any(map(self.at_start.match, lines)):
            return True
        stripped = list(map(str.strip, lines)) if self.anywhere else []
        return any(any(map(p.search, stripped)) for p in self.anywhere)

    def lines(self, lines: list[str]) -> list[int]:
        """Indexes of the lines some pattern may match, in order."""
        hits: set[int] = set()
        if self.at_start is not None:
            hits.update(compress(count(), map(self.at_start.match, lines)))
        if self.anywhere:
            stripped = list(map(str.strip, lines))
            for p in self.anywhere:
                hits.update(compress(count(), map(p.search, stripped)))
        return sorted(hits)


def _body(p: re.Pattern[str]) -> str:
    """`p` as a group to embed: group names dropped (patterns share some), its flags
    kept, its `^`s dropped (`.match` anchors it; without them it can only match more)."""
    if p.flags & ~(re.IGNORECASE | re.UNICODE):
        raise ValueError(f"a line gate cannot embed {p.pattern!r} with its flags")
    body = re.sub(r"\(\?P<\w+>", "(?:", p.pattern).removeprefix("(?i)")
    body = re.sub(r"(?<![\[\\])\^", "", body)
    return f"(?{'i' if p.flags & re.IGNORECASE else ''}:{body})"


@dataclass
class _Counts:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seen: bool = False
    ran_none: bool = False  # the runner said it found no tests
    lines: list[str] = field(default_factory=list)

    def status(self) -> str | None:
        if not self.seen:
            return None
        if self.failed:
            return "failed"
        if self.errors:
            return "error"
        if self.passed:
            return "passed"
        return "skipped"


def _num_words(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, word in re.findall(r"(\d+) ([a-z]+)", text.lower()):
        out[word] = out.get(word, 0) + int(n)
    return out


def _add(
    c: _Counts, line: str, *, passed: int = 0, failed: int = 0, errors: int = 0, skipped: int = 0
) -> None:
    c.passed += passed
    c.failed += failed
    c.errors += errors
    c.skipped += skipped
    c.seen = True
    c.lines.append(line.strip())


_PYTEST_SUMMARY = re.compile(
    r"^=*\s*((?:\d+ (?:failed|passed|skipped|deselected|xfailed|xpassed|errors?|warnings?|rerun|subtests \w+)(?:, )?)+)"  # noqa: E501
    r"\s+in\s+[\d.]+s(?:\s*\([^)]*\))?\s*=*$"
)
_PYTEST_NONE = re.compile(r"^=*\s*no tests ran in [\d.]+s\s*=*$")
# pytest refused its arguments (exit 4): no test ran, and that is an error, not a skip
_PYTEST_USAGE = re.compile(r"^ERROR: (?:file or directory not found|usage|not found):")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in [\d.]+s$")
_UNITTEST_RESULT = re.compile(r"^(OK|FAILED|NO TESTS RAN)(?: \((.*)\))?$")
_EXUNIT = re.compile(
    r"^((?:\d+ (?:doctests?|propert(?:y|ies)|tests?|failures?|excluded|skipped|invalid)(?:, )?)+)(?: \((\d+) excluded\))?$"  # noqa: E501
)
_RSPEC = re.compile(
    r"^(\d+) examples?, (\d+) failures?(?:, (\d+) pending)?(?:, (\d+) errors? occurred outside of examples)?"  # noqa: E501
)
_MINITEST = re.compile(
    r"^(\d+) (?:runs|tests), (\d+) assertions, (\d+) failures, (\d+) errors, (\d+) skips"
)
_JEST = re.compile(r"^\s*Tests:\s+((?:\d+ [a-z]+,?\s*)+)(?:\(|$)")
_JEST_SUITES = re.compile(r"^\s*Test Suites:\s+((?:\d+ [a-z]+,?\s*)+)$")
_VITEST = re.compile(r"^\s*Tests\s+((?:\d+ [a-z]+(?: \| )?)+)\s*\(\d+\)")
_VITEST_FILES = re.compile(r"^\s*Test Files\s+((?:\d+ [a-z]+(?: \| )?)+)\s*\(\d+\)")
# vitest's unhandled errors fail a run whose tests all passed: "      Errors  1 error"
_VITEST_ERRORS = re.compile(r"^\s*Errors\s+(\d+) errors?\b")
_MOCHA = re.compile(r"^\s*(\d+) (passing|failing|pending)(?: \([\d.]+m?s\))?$")
_PLAYWRIGHT = re.compile(r"^\s*(\d+) (passed|failed|flaky|skipped|did not run)(?: \([\d.]+m?s\))?$")
_GO_OK = re.compile(r"^ok\s+\S+\s+(?:[\d.]+s|\(cached\))")
# (the package is no "[": nextest's "FAIL [   0.005s] crate test" is no go package line)
_GO_FAIL = re.compile(r"^FAIL\s+[^\s\[]\S*\s+(?:[\d.]+s|\[(build|setup) failed\])")
_GO_NOFILES = re.compile(r"^\?\s+\S+\s+\[no test files\]")
_CARGO = re.compile(r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored")
_NEXTEST = re.compile(r"^\s*Summary \[[^\]]*\]\s+(\d+) tests? run: (.*)$")
_PHPUNIT_OK = re.compile(r"^OK \((\d+) tests?, \d+ assertions?\)")
_PHPUNIT_TESTS = re.compile(r"^Tests: (\d+), Assertions: \d+(.*)\.$")
_DOTNET = re.compile(r"^(Passed|Failed)!\s+-\s+Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)")
_DOTNET_NEW = re.compile(
    r"^\s*Test summary: total: (\d+), failed: (\d+), succeeded: (\d+), skipped: (\d+)"
)
_MAVEN = re.compile(
    r"^\[(?:INFO|ERROR|WARNING)\] Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)$"
)
_GRADLE_TESTS = re.compile(r"^(\d+) tests? completed, (\d+) failed")
_CTEST = re.compile(r"^\d+% tests passed, (\d+) tests? failed out of (\d+)")
_DENO = re.compile(r"^(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed")
_BUN_RAN = re.compile(r"^Ran (\d+) tests? across \d+ files?")
_BUN_LINE = re.compile(r"^\s*(\d+) (pass|fail|skip|todo)$")
_SWIFT = re.compile(r"Executed (\d+) tests?, with (\d+) failures?")
# tox 4 "  py312: OK (2.10=setup[1.00]+cmd[1.10] seconds)", "  py311: FAIL code 1 (3.2 seconds)";
# tox 3 "  py312: commands succeeded". (The timing is required: a test's own log line
# "health: OK" is no environment's result, and would pass a run cut by head.)
_TOX = re.compile(
    r"^\s*(?:ERROR:\s+)?([\w.-]+): (?:(OK|FAIL)(?: code \d+)? \([\d.]+(?:=| seconds)"
    r"|(commands succeeded|commands failed)\b)"
)  # (tox 3 prints a failed environment as "ERROR:   py312: commands failed")
_NOX = re.compile(r"^nox > Session (\S+) (was successful|failed|aborted|skipped)\b")
# gotestsum's closing line: "DONE 12 tests, 2 skipped, 1 failure, 1 error in 1.234s"
_GOTESTSUM = re.compile(r"^DONE (\d+) tests?((?:, \d+ \w+)*) in [\d.]+s$")
_NO_TESTS = re.compile(
    r"No tests found, exiting with code (\d+)|No test files found, exiting with code (\d+)|"
    r"^There are no tests to run|^collected 0 items|No tests were found|No tests executed!|^\s*0 tests? run\b"  # noqa: E501
)

# Every pattern `_test_counts` tries; a line none of them matches changes nothing there.
_COUNT_LINES = _LineGate(
    stripped=(
        _PYTEST_SUMMARY, _PYTEST_NONE, _PYTEST_USAGE, _UNITTEST_RAN, _EXUNIT, _RSPEC, _MINITEST,
        _GO_OK, _GO_FAIL, _GO_NOFILES, _CARGO, _PHPUNIT_OK, _PHPUNIT_TESTS, _DOTNET, _DOTNET_NEW,
        _MAVEN, _GRADLE_TESTS, _CTEST, _DENO, _BUN_RAN, _NOX, _GOTESTSUM,
    ),
    as_is=(
        _JEST, _JEST_SUITES, _VITEST, _VITEST_FILES, _VITEST_ERRORS, _MOCHA, _PLAYWRIGHT, _NEXTEST,
        _BUN_LINE, _TOX,
    ),
    anywhere=(_SWIFT, _NO_TESTS),
)  # fmt: skip


def _test_counts(lines: list[str]) -> _Counts:
    c = _Counts()
    mocha: dict[str, int] = {}
    bun: dict[str, int] = {}
    # nextest embeds each failing test's own libtest output ("test result: FAILED. 0 passed;
    # 1 failed"): cargo's lines count only when no nextest summary speaks for the run
    cargo: list[tuple[str, int, int, int]] = []
    nextest = False
    for idx in _COUNT_LINES.lines(lines):
        line = lines[idx]
        s = line.strip()
        if m := _PYTEST_SUMMARY.match(s):
            w = _num_words(m.group(1))
            _add(
                c,
                s,
                passed=w.get("passed", 0) + w.get("xpassed", 0),
                failed=w.get("failed", 0),
                errors=w.get("error", 0) + w.get("errors", 0),
                skipped=w.get("skipped", 0),
            )
        elif _PYTEST_NONE.match(s):
            _add(c, s)
            c.ran_none = True
        elif _PYTEST_USAGE.match(s):
            _add(c, s, errors=1)
        elif m := _UNITTEST_RAN.match(s):
            nxt = next((x.strip() for x in lines[idx + 1 :] if x.strip()), "")
            r = _UNITTEST_RESULT.match(nxt)
            if r:
                detail = dict(re.findall(r"(\w+)=(\d+)", r.group(2) or ""))
                failed, errors = int(detail.get("failures", 0)), int(detail.get("errors", 0))
                skipped = int(detail.get("skipped", 0))
                total = int(m.group(1))
                _add(
                    c,
                    f"{s} {nxt}",
                    passed=max(total - failed - errors - skipped, 0),
                    failed=failed,
                    errors=errors,
                    skipped=skipped,
                )
                c.ran_none = c.ran_none or total == 0
        elif (m := _EXUNIT.match(s)) and "failure" in s:
            w = _num_words(m.group(1))
            tests = sum(v for k, v in w.items() if k.startswith(("test", "doctest", "propert")))
            failed = w.get("failure", 0) + w.get("failures", 0)
            invalid = w.get("invalid", 0)
            skipped = w.get("skipped", 0) + w.get("excluded", 0)
            _add(
                c,
                s,
                passed=max(tests - failed - invalid - skipped, 0),
                failed=failed,
                errors=invalid,
                skipped=skipped,
            )
            c.ran_none = c.ran_none or tests == 0
        elif m := _RSPEC.match(s):
            total, failed = int(m.group(1)), int(m.group(2))
            _add(
                c,
                s,
                passed=total - failed - int(m.group(3) or 0),
                failed=failed,
                errors=int(m.group(4) or 0),
                skipped=int(m.group(3) or 0),
            )
            c.ran_none = c.ran_none or total == 0
        elif m := _MINITEST.match(s):
            runs, fl, er, sk = int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5))
            _add(c, s, passed=runs - fl - er - sk, failed=fl, errors=er, skipped=sk)
        elif (m := _JEST.match(line)) and ("total" in s or "passed" in s or "failed" in s):
            w = _num_words(m.group(1))
            _add(
                c,
                s,
                passed=w.get("passed", 0),
                failed=w.get("failed", 0),
                skipped=w.get("skipped", 0) + w.get("todo", 0) + w.get("pending", 0),
            )
        elif m := _JEST_SUITES.match(line):
            w = _num_words(m.group(1))
            if w.get("failed"):
                # a suite that failed to run has no failed tests; count it as an error
                _add(c, s, errors=w["failed"])
        elif m := _VITEST.match(line):
            w = _num_words(m.group(1))
            _add(
                c,
                s,
                passed=w.get("passed", 0),
                failed=w.get("failed", 0),
                skipped=w.get("skipped", 0) + w.get("todo", 0),
            )
        elif m := _VITEST_FILES.match(line):
            w = _num_words(m.group(1))
            if w.get("failed"):
                _add(c, s, errors=w["failed"])
        elif m := _VITEST_ERRORS.match(line):
            _add(c, s, errors=int(m.group(1)))
        elif m := _MOCHA.match(line):
            mocha[m.group(2)] = int(m.group(1))
            c.lines.append(s)
        elif m := _PLAYWRIGHT.match(line):
            key = {"passed": "passing", "failed": "failing", "flaky": "passing"}.get(
                m.group(2), "pending"
            )
            mocha[key] = mocha.get(key, 0) + int(m.group(1))
            c.lines.append(s)
        elif _GO_OK.match(s):
            _add(c, s, passed=1)
        elif m := _GO_FAIL.match(s):
            _add(c, s, errors=1) if m.group(1) else _add(c, s, failed=1)
        elif _GO_NOFILES.match(s):
            _add(c, s)
        elif m := _CARGO.match(s):
            cargo.append((s, int(m.group(2)), int(m.group(3)), int(m.group(4))))
        elif m := _NEXTEST.match(line):
            nextest = True
            w = _num_words(m.group(2))
            _add(
                c,
                s,
                passed=w.get("passed", 0),
                failed=w.get("failed", 0) + w.get("timed", 0),
                skipped=w.get("skipped", 0),
            )
        elif m := _PHPUNIT_OK.match(s):
            _add(c, s, passed=int(m.group(1)))
        elif m := _PHPUNIT_TESTS.match(s):
            detail = {k.lower(): int(v) for k, v in re.findall(r"(\w+): (\d+)", m.group(2))}
            fl, er = detail.get("failures", 0), detail.get("errors", 0)
            sk = detail.get("skipped", 0) + detail.get("incomplete", 0)
            _add(c, s, passed=int(m.group(1)) - fl - er - sk, failed=fl, errors=er, skipped=sk)
        elif (m := _DOTNET.match(s)) or (m := _DOTNET_NEW.match(s)):
            _add(c, s, passed=int(m.group(3)), failed=int(m.group(2)), skipped=int(m.group(4)))
        elif m := _MAVEN.match(s):
            run, fl, er, sk = (int(g) for g in m.groups())
            _add(c, s, passed=run - fl - er - sk, failed=fl, errors=er, skipped=sk)
        elif m := _GRADLE_TESTS.match(s):
            _add(c, s, passed=int(m.group(1)) - int(m.group(2)), failed=int(m.group(2)))
        elif m := _CTEST.match(s):
            _add(c, s, passed=int(m.group(2)) - int(m.group(1)), failed=int(m.group(1)))
        elif m := _DENO.match(s):
            _add(c, s, passed=int(m.group(2)), failed=int(m.group(3)))
        elif m := _BUN_LINE.match(line):
            bun[m.group(2)] = int(m.group(1))
        elif _BUN_RAN.match(s) and bun:
            c.lines.extend(f"{n} {k}" for k, n in bun.items())  # the Ran line has no failures
            _add(
                c,
                s,
                passed=bun.get("pass", 0),
                failed=bun.get("fail", 0),
                skipped=bun.get("skip", 0) + bun.get("todo", 0),
            )
        elif m := _SWIFT.search(s):
            _add(c, s, passed=int(m.group(1)) - int(m.group(2)), failed=int(m.group(2)))
        elif m := _NOX.match(s):
            res = m.group(2)
            _add(c, s, passed=int(res == "was successful"), failed=int(res == "failed"))
            c.errors += int(res == "aborted")
            c.skipped += int(res == "skipped")
        elif m := _GOTESTSUM.match(s):
            w = _num_words(m.group(2))
            fl, er = (
                w.get("failure", 0) + w.get("failures", 0),
                w.get("error", 0) + w.get("errors", 0),
            )
            sk = w.get("skipped", 0)
            _add(c, s, passed=int(m.group(1)) - fl - er - sk, failed=fl, errors=er, skipped=sk)
        elif m := _TOX.match(line):
            ok = (m.group(2) or m.group(3)) in ("OK", "commands succeeded")
            _add(c, s, passed=int(ok), failed=int(not ok))
        if m := _NO_TESTS.search(s):
            code = m.group(1) or m.group(2)
            if code and code != "0":
                _add(c, s, errors=1)
            else:
                _add(c, s)
            c.ran_none = True
    for s, passed, failed, skipped in cargo if not nextest else ():
        _add(c, s, passed=passed, failed=failed, skipped=skipped)
    if mocha:
        c.passed += mocha.get("passing", 0)
        c.failed += mocha.get("failing", 0)
        c.skipped += mocha.get("pending", 0)
        c.seen = True
    return c


# check summaries: (regex, status or None to decide from the first number group)
_CHECK_SUMMARIES: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"^All checks passed!$"), "passed"),
    (re.compile(r"^Found \d+ errors? \(\d+ fixed, 0 remaining\)"), "passed"),  # ruff --fix
    (re.compile(r"^Found (\d+) errors?\b"), None),  # ruff, mypy, tsc
    (re.compile(r"^Success: no issues found"), "passed"),  # mypy
    (re.compile(r"^(\d+) errors?, \d+ warnings?, \d+ (?:informations?|notes?)"), None),  # pyright
    (re.compile(r"^✖ (\d+) problems? \((\d+) errors?, \d+ warnings?\)"), "eslint"),
    (re.compile(r"^(\d+) files? would be reformatted"), None),  # black, ruff format
    (re.compile(r"^(\d+) files? (?:already formatted|would be left unchanged)$"), "passed"),
    (re.compile(r"^All matched files use Prettier code style!"), "passed"),
    (re.compile(r"Code style issues found in"), "failed"),
    (re.compile(r"found no issues\.?$"), "passed"),  # credo
    (
        re.compile(
            r"^(?:\d+ mods/funs, )?found \d+ .*(?:issues?|opportunit(?:y|ies)|warnings?|errors?)\.?$"  # noqa: E501
        ),
        "failed",
    ),
    (re.compile(r"done \(passed successfully\)"), "passed"),  # dialyzer
    (re.compile(r"done \(warnings were emitted\)"), "failed"),
    (re.compile(r"^Total errors: (\d+)"), None),  # dialyxir
    (re.compile(r"Compilation failed due to warnings"), "failed"),
    (re.compile(r"^== Compilation error in file"), "failed"),
    (re.compile(r"mix format failed due to --check-formatted"), "failed"),
    (re.compile(r"^error: could not compile"), "failed"),  # cargo
    (re.compile(r"^Finished .*target\(s\) in"), "passed"),
    (re.compile(r"^(\d+) issues?[:.]$"), None),  # golangci-lint
    (re.compile(r"^\d+ files? inspected, (no|\d+) offenses? detected"), "rubocop"),
    # (maven prints them as "[INFO] BUILD SUCCESS", "[ERROR] BUILD FAILURE")
    (re.compile(r"^(?:\[(?:INFO|ERROR)\] )?BUILD (?:SUCCESS|SUCCESSFUL)\b"), "passed"),
    (re.compile(r"^(?:\[(?:INFO|ERROR)\] )?BUILD FAIL(?:URE|ED)\b"), "failed"),
    (re.compile(r"^Build succeeded\.?$"), "passed"),
    (re.compile(r"^Build FAILED\.?$"), "failed"),
    (re.compile(r"^\s*\d+ Error\(s\)$"), None),  # dotnet build
    (re.compile(r"(?i)\bcompiled successfully\b|✓ built in|^\s*✓ Compiled"), "passed"),
    (
        re.compile(r"(?i)^Failed to compile\.?$|^error during build:|compiled with \d+ errors?"),
        "failed",
    ),
    (re.compile(r"Your code has been rated at"), "info"),  # pylint: the findings decide
    (
        re.compile(r"^.+?\.{3,}\s*(Passed|Failed|Skipped|\(no files to check\)Skipped)$"),
        "pre-commit",
    ),
)


_CHECK_LINES = _LineGate(anywhere=[rx for rx, _ in _CHECK_SUMMARIES])


def _check_counts(lines: list[str]) -> _Counts:
    c = _Counts()
    for idx in _CHECK_LINES.lines(lines):
        s = lines[idx].strip()
        for rx, how in _CHECK_SUMMARIES:
            m = rx.search(s)
            if not m:
                continue
            if how == "passed":
                _add(c, s, passed=1)
            elif how == "failed":
                _add(c, s, failed=1)
            elif how == "eslint":
                _add(c, s, failed=int(int(m.group(2)) > 0), passed=int(int(m.group(2)) == 0))
            elif how == "rubocop":
                _add(c, s, failed=int(m.group(1) != "no"), passed=int(m.group(1) == "no"))
            elif how == "pre-commit":
                res = m.group(1)
                if res == "Failed":
                    _add(c, s, failed=1)
                elif res == "Passed":
                    _add(c, s, passed=1)
                else:
                    _add(c, s, skipped=1)
            elif how == "info":
                c.lines.append(s)
            else:
                n = int(m.group(1))
                _add(c, s, failed=int(n > 0), passed=int(n == 0))
            break
    return c


# ---------------------------------------------------------------------------------
# Failures of test runs

_EXC_NAME = re.compile(
    r"^((?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Failure|Failed|Warning|Exit|Interrupt|Timeout))\b"  # noqa: E501
    # a bare `Error: boom` (JS `throw new Error`), pytest's `Failed: Timeout`: with their colon
    r"|^((?:Error|Exception|Failed)(?=:))"
)


def _split_exc(text: str) -> tuple[str | None, str]:
    """'KeyError: x' -> ('KeyError', 'KeyError: x'); 'assert 1 == 2' -> ('AssertionError', ...)."""
    text = text.strip()
    m = _EXC_NAME.match(text)
    if m:
        return m.group(1) or m.group(2), text
    if text.startswith("assert "):
        return "AssertionError", text
    return None, text


_PYTEST_SHORT = re.compile(r"^(FAILED|ERROR) (\S+?)(?:\[[^\]]*\])?(?:::(\S+))?(?: - (.*))?$")
_PYTEST_SECTION = re.compile(r"^_{3,} (?:ERROR (?:at \w+ of |collecting ))?(.+?) _{3,}$")
_PYTEST_LOC = re.compile(r"^([\w./\\-]+\.py):(\d+): (\w[\w.]*)$")


def _pytest_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    # the long sections give the exception kind and first E line per test
    details: dict[str, tuple[str | None, str | None, str | None, int | None]] = {}
    current: str | None = None
    first_e: str | None = None
    for line in lines:
        s = line.rstrip()
        if m := _PYTEST_SECTION.match(s):
            current, first_e = m.group(1), None
            continue
        if current is None:
            continue
        if s.startswith("E   ") and first_e is None:
            first_e = s[1:].strip()
        elif m := _PYTEST_LOC.match(s.strip()):
            details[current] = (m.group(3), first_e, m.group(1), int(m.group(2)))
        elif s.startswith(("=====", "----- Captured")):
            if current not in details and first_e:
                details[current] = (None, first_e, None, None)
            if s.startswith("====="):
                current = None
    seen: set[str] = set()
    for line in lines:
        m = _PYTEST_SHORT.match(line.strip())
        if not m:
            continue
        path, name, msg = m.group(2), m.group(3), m.group(4)
        if "/" not in path and not path.endswith(".py") and name is None:
            continue  # "ERROR: ..." prose, not a node id
        test_id = f"{path}::{name}" if name else path
        test_id = line.strip().split(" ", 1)[1].split(" - ", 1)[0]
        if test_id in seen:
            continue
        seen.add(test_id)
        short_name = test_id.rsplit("::", 1)[-1]
        # (a test in a class has the section "TestCart.test_total")
        kind, first, _, lineno = (
            details.get(short_name)
            or details.get(test_id.split("::", 1)[-1].replace("::", "."))
            or details.get(test_id.replace("::", "."))
            or (None, None, None, None)
        )
        etype, message = _split_exc(msg) if msg else (None, first or "")
        if kind and (etype is None or etype == "AssertionError"):
            etype = kind if not (etype == "AssertionError" and kind != "AssertionError") else etype
        if etype is None and first:
            etype = _split_exc(first)[0]
        if m.group(1) == "ERROR" and etype is None:
            etype = "error"
        # the file is the node id's own (the pattern's path stops short at a space in a
        # parameter id: "tests/a.py::test_p[hello world]")
        path = test_id.split("::", 1)[0]
        out.append(Failure(test_id, path, etype, message or first, lineno))
    if out:
        return out
    # no short summary (e.g. -rN): fall back to the long sections
    for name, (kind, first, path, lineno) in details.items():
        etype = kind or (_split_exc(first)[0] if first else None)
        out.append(Failure(name, path, etype, first, lineno))
    return out


_UNITTEST_HEAD = re.compile(r"^(FAIL|ERROR): (\S+) \(([\w.]+)\)")
_PY_FILE = re.compile(r'^\s*File "([^"]+)", line (\d+)')


def _unittest_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _UNITTEST_HEAD.match(line)
        if not m:
            continue
        path: str | None = None
        lineno: int | None = None
        last: str | None = None
        in_test = False  # the test method's own frame was seen: deeper frames are not the test
        for x in lines[i + 1 :]:
            if x.startswith(("FAIL:", "ERROR:", "=====", "Ran ")):
                break
            if (fm := _PY_FILE.match(x)) and not in_test:
                path, lineno = fm.group(1), int(fm.group(2))
                in_test = x.rstrip().endswith(f", in {m.group(2)}")
            elif x.strip() and not x.startswith((" ", "-", "Traceback")):
                last = x.strip()
                break
        etype, msg = _split_exc(last or "")
        # Python 3.11+ names the method in the parentheses too: "test_x (pkg.mod.Case.test_x)"
        where = m.group(3)
        out.append(
            Failure(
                where if where.endswith(f".{m.group(2)}") else f"{where}.{m.group(2)}",
                path,
                etype,
                msg or None,
                lineno,
            )
        )
    return out


_EXUNIT_HEAD = re.compile(r"^\s+\d+\) (test|doctest|property) (.+) \(([\w.]+)\)$")
_EXUNIT_LOC = re.compile(r"^\s+(\S+\.exs?):(\d+)$")
_EXUNIT_RAISE = re.compile(r"^\s+\*\* \(([\w.]+)\) ?(.*)$")
_ELIXIR_DIAG = re.compile(r"^\s*(error|warning): (.+)$")
_ELIXIR_WHERE = re.compile(r"^\s*└─ (\S+?\.exs?):(\d+)(?::\d+)?:?\s*(.*)$")
_ELIXIR_WHERE_OLD = re.compile(r"^\s{2,}(\S+?\.exs?):(\d+)(?::\d+)?:\s*(.*)$")
_ELIXIR_COMPILE_ERR = re.compile(r"^\*\* \((\w+Error)\) (\S+?\.exs?)(?::(\d+))?(?::\d+)?:? ?(.*)$")


def _exunit_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _EXUNIT_HEAD.match(line)
        if not m:
            continue
        path: str | None = None
        lineno: int | None = None
        etype: str | None = None
        msg: str | None = None
        for x in lines[i + 1 : i + 60]:
            if _EXUNIT_HEAD.match(x) or x.startswith("Finished in"):
                break
            if path is None and (lm := _EXUNIT_LOC.match(x)):
                path, lineno = lm.group(1), int(lm.group(2))
                continue
            if not x.strip():
                continue
            if rm := _EXUNIT_RAISE.match(x):
                etype, msg = rm.group(1), rm.group(2).strip() or None
                break
            if path is not None:
                s = x.strip()
                if s.startswith(("code:", "left:", "right:", "stacktrace:")):
                    continue
                # ExUnit's own assertion failures: "Assertion with == failed", "match (=) failed"...
                etype, msg = "ExUnit.AssertionError", s
                break
        test_id = f"{m.group(1)} {m.group(2)} ({m.group(3)})"  # ExUnit's own notation
        out.append(Failure(test_id, path, etype, msg, lineno))
    return out


def _elixir_diagnostics(lines: list[str], *, warnings: bool) -> list[Failure]:
    """Compiler diagnostics: `error: msg ... └─ path:line: Scope` (and the pre-1.15 shape)."""
    out: list[Failure] = []
    if not _ELIXIR_DIAG_LINES.any(lines):
        return out
    for i, line in enumerate(lines):
        m = _ELIXIR_DIAG.match(line)
        if m and (m.group(1) == "error" or warnings):
            for x in lines[i + 1 : i + 30]:
                wm = _ELIXIR_WHERE.match(x) or _ELIXIR_WHERE_OLD.match(x)
                if wm:
                    etype = "CompileError" if m.group(1) == "error" else "warning"
                    out.append(
                        Failure(
                            wm.group(3) or None,
                            wm.group(1),
                            etype,
                            m.group(2).strip(),
                            int(wm.group(2)),
                        )
                    )
                    break
                if _ELIXIR_DIAG.match(x):
                    break
        elif (cm := _ELIXIR_COMPILE_ERR.match(line.strip())) and not out:
            # (when diagnostics were found, this summary line only repeats them)
            ln = int(cm.group(3)) if cm.group(3) else None
            out.append(Failure(None, cm.group(2), cm.group(1), cm.group(4) or None, ln))
    return out


_JEST_FILE = re.compile(r"^\s*FAIL\s+(\S+\.\w+)")
_JEST_HEAD = re.compile(r"^\s*● (.+)$")
_JEST_AT = re.compile(r"\(?((?:[A-Za-z]:)?[^\s():]+\.\w+):(\d+):\d+\)?$")
# (workspace projects label the line: " FAIL  |unit| src/a.test.ts > t"; a file that failed
# to load is " FAIL  src/a.test.ts [ src/a.test.ts ]")
_VITEST_HEAD = re.compile(r"^\s*FAIL\s+(?:\|[^|]+\|\s+)?(\S+\.\w+)(?: > (.+)| \[ \S+ \])$")


def _jest_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    current_file: str | None = None
    for i, line in enumerate(lines):
        if vm := _VITEST_HEAD.match(line):
            v_etype: str | None = None
            v_msg: str | None = None
            for x in lines[i + 1 : i + 20]:
                s = x.strip()
                if not s or s.startswith("⎯"):
                    continue
                v_etype, v_msg = _split_exc(s)
                if v_etype is None and s.startswith("expect("):
                    v_etype = s.split(" //")[0]
                break
            at = next(
                (am for x in lines[i + 1 : i + 40] if (am := _JEST_AT.search(x.strip()))), None
            )
            out.append(
                Failure(
                    f"{vm.group(1)} > {vm.group(2)}" if vm.group(2) else vm.group(1),
                    vm.group(1),
                    v_etype,
                    v_msg,
                    int(at.group(2)) if at and at.group(1).endswith(vm.group(1)) else None,
                )
            )
            continue
        if fm := _JEST_FILE.match(line):
            current_file = fm.group(1)
            continue
        m = _JEST_HEAD.match(line)
        if not m or m.group(1).startswith("Console"):
            continue
        title = m.group(1).strip()
        etype: str | None = None
        msg: str | None = None
        body: list[str] = []
        for x in lines[i + 1 : i + 60]:
            if _JEST_HEAD.match(x) or _JEST_FILE.match(x):
                break
            body.append(x.strip())
        text = [s for s in body if s]
        if title == "Test suite failed to run":
            first = text[0] if text else ""
            etype, msg = _split_exc(first)
            etype = etype or "Test suite failed to run"
        elif text:
            first = text[0]
            if first.startswith("expect("):
                etype = first.split(" //")[0].strip()
                detail = [s for s in text[1:4] if s.startswith(("Expected", "Received"))]
                msg = "; ".join([first, *detail]) if detail else first
            else:
                etype, msg = _split_exc(first)
        if any(f.test_id == title and f.file_path == current_file for f in out):
            continue  # jest repeats each failure under "Summary of all failing tests"
        lineno = None
        path = current_file
        for s in body:
            am = _JEST_AT.search(s)
            if (
                am
                and "node_modules" not in s
                and (path is None or am.group(1).endswith(path.lstrip("./")))
            ):
                path, lineno = path or am.group(1), int(am.group(2))
                break
        out.append(Failure(title, path, etype, msg, lineno))
    return out


_MOCHA_HEAD = re.compile(r"^  (\d+)\) (.+)$")
_JS_AT = re.compile(r"\(?(?:file://)?([^\s()]+?\.[cm]?[jt]sx?):(\d+):\d+\)?$")


def _mocha_failures(lines: list[str]) -> list[Failure]:
    """After "N failing": "  1) Suite\\n       test title:\\n     Error: msg\\n  at (file:l:c)"."""
    start = next((i for i, x in enumerate(lines) if _MOCHA.match(x) and "failing" in x), None)
    if start is None:
        return []
    out: list[Failure] = []
    i = start + 1
    while i < len(lines):
        m = _MOCHA_HEAD.match(lines[i])
        i += 1
        if not m:
            continue
        title = [m.group(2).strip()]
        while not title[-1].endswith(":") and i < len(lines) and lines[i].startswith("    "):
            title.append(lines[i].strip())  # the title path, one deeper line per suite
            i += 1
        body: list[str] = []
        while i < len(lines) and not _MOCHA_HEAD.match(lines[i]):
            body.append(lines[i].strip())
            i += 1
        first = next((x for x in body if x), "")
        etype, msg = _split_exc(first)
        at = next(
            (
                am
                for x in body
                if x.startswith("at ") and "node_modules" not in x and (am := _JS_AT.search(x))
            ),
            None,
        )
        out.append(
            Failure(
                " ".join(title).removesuffix(":"),
                at.group(1) if at else None,
                etype,
                msg or None,
                int(at.group(2)) if at else None,
            )
        )
    return out


_BUN_FAIL = re.compile(r"^(?:\(fail\)|✗) (.+?)(?: \[[\d.]+m?s\])?$")
_BUN_FILE = re.compile(r"^(\S+\.[cm]?[jt]sx?):$")
_BUN_ERROR = re.compile(r"^(?:error: (.+)|((?:\w+\.)*\w*Error): (.+))$")


def _bun_failures(lines: list[str]) -> list[Failure]:
    """bun prints a failing test's error before its "(fail) suite > test [1.00ms]" line."""
    out: list[Failure] = []
    current_file: str | None = None
    block_start = 0
    for i, line in enumerate(lines):
        if fm := _BUN_FILE.match(line):
            current_file, block_start = fm.group(1), i + 1
            continue
        if line.startswith(("(pass)", "(skip)", "(todo)", "✓")):
            block_start = i + 1
            continue
        m = _BUN_FAIL.match(line)
        if not m:
            continue
        etype: str | None = None
        msg: str | None = None
        lineno: int | None = None
        for x in lines[block_start:i]:
            if msg is None and (em := _BUN_ERROR.match(x.strip())):
                if em.group(1):
                    msg = em.group(1)
                    etype = msg.split(" //")[0] if msg.startswith("expect(") else "Error"
                else:
                    etype, msg = em.group(2), x.strip()
            am = _JS_AT.search(x.strip())
            if am and lineno is None and current_file and am.group(1).endswith(current_file):
                lineno = int(am.group(2))
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if "timed out after" in nxt:
            etype, msg = "timeout", nxt.lstrip("^ ")
        out.append(Failure(m.group(1), current_file, etype, msg, lineno))
        block_start = i + 1
    return out


# (gotestsum repeats each as "=== FAIL: example.com/pkg TestX (0.00s)" in its closing list)
_GO_TEST_FAIL = re.compile(r"^\s*(?:--- FAIL: |=== FAIL: \S+ )(\S+) \(")
# (testify leaves the message empty and prints it below: "sum_test.go:11: \n\tError: ...")
_GO_MSG = re.compile(r"^\s+([\w./-]+_test\.go):(\d+):(?: (.*))?$")
_GO_PANIC = re.compile(r"^panic: (.+?)(?: \[recovered\])?$")
_GO_FRAME = re.compile(r"^\s+(\S+_test\.go):(\d+) \+0x")
_GO_TIMEOUT = re.compile(r"^panic: (test timed out after \S+)$")
_TESTIFY_ROW = re.compile(r"^\s+\t([\w ]*?):?\s*\t(.*)$")


def _go_message(lines: list[str], j: int) -> tuple[str, int, str | None]:
    """(file, line, message) of the `file_test.go:N: msg` at lines[j], testify's included."""
    gm = _GO_MSG.match(lines[j])
    assert gm is not None
    msg = (gm.group(3) or "").strip()
    if not msg:
        parts: list[str] = []
        for x in lines[j + 1 : j + 15]:
            row = _TESTIFY_ROW.match(x)
            if not row or (parts and row.group(1)):
                break  # the Error rows end at the next label (Test:, Messages:)
            if row.group(1) == "Error" or (parts and not row.group(1)):
                parts.append(row.group(2).strip())
        msg = " ".join(p for p in parts if p)
    return gm.group(1), int(gm.group(2)), msg or None


def _go_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _GO_TEST_FAIL.match(line)
        if not m:
            continue
        name = m.group(1)
        path, lineno, msg, etype = None, None, None, None
        for j in range(i + 1, min(i + 30, len(lines))):
            x = lines[j]
            if _GO_MSG.match(x):
                path, lineno, msg = _go_message(lines, j)
                break
            if _GO_TEST_FAIL.match(x) or x.startswith(("FAIL", "ok ", "=== RUN")):
                break
        if msg is None:
            # -v prints a test's messages under its "=== RUN   TestX", before the --- FAIL lines
            run = next(
                (k for k in range(i - 1, max(-1, i - 400), -1) if lines[k] == f"=== RUN   {name}"),
                None,
            )
            for k in range(run + 1, i) if run is not None else ():
                if lines[k].startswith(("=== ", "--- ")) or lines[k].lstrip().startswith("--- "):
                    break
                if _GO_MSG.match(lines[k]):
                    path, lineno, msg = _go_message(lines, k)
                    break
        if msg is None and not any(x.startswith("=== RUN") for x in lines[max(0, i - 20) : i]):
            # the message may come before the --- FAIL line (t.Log output is printed first)
            for k in range(i - 1, max(-1, i - 21), -1):
                if _GO_MSG.match(lines[k]):
                    path, lineno, msg = _go_message(lines, k)
                    break
        for j in range(i + 1, min(i + 30, len(lines))):
            if pm := _GO_PANIC.match(lines[j]):
                etype, msg = "panic", pm.group(1)
                # the test's own frame in the goroutine trace
                frame = next(
                    (fm for x in lines[j + 1 : j + 60] if (fm := _GO_FRAME.match(x))), None
                )
                if frame:
                    path, lineno = frame.group(1), int(frame.group(2))
                break
        out.append(Failure(name, path, etype, msg, lineno))
    # go test -timeout panics without a --- FAIL line, naming the tests still running
    for i, line in enumerate(lines):
        if tm := _GO_TIMEOUT.match(line):
            for x in lines[i + 1 : i + 50]:
                if rm := re.match(r"^\t\t(\S+) \(", x):
                    out.append(Failure(rm.group(1), None, "timeout", tm.group(1)))
                elif x.strip() and x.strip() != "running tests:":
                    break
    # a parent test fails because its subtest did: the subtest is the failure
    ids = [f.test_id or "" for f in out]
    out = [f for f in out if not any(t.startswith(f"{f.test_id}/") for t in ids)]
    return list(dict.fromkeys(out))  # (gotestsum -f standard-verbose names each one twice)


_CARGO_HEAD = re.compile(r"^---- (\S+) stdout ----$")
# (newer Rust names the thread's id too: "thread 'tests::x' (12345) panicked at src/lib.rs:14:9:")
_CARGO_PANIC = re.compile(
    r"^thread '([^']+)'(?: \(\d+\))? panicked at (?:'(.*)', )?([^\s:]+):(\d+):\d+:?$"
)


def _rust_panic(lines: list[str], start: int, test: str | None = None) -> Failure | None:
    """The first panic from `start` on (of thread `test` when given), as a failure of it."""
    for j in range(start, len(lines)):
        pm = _CARGO_PANIC.match(lines[j].strip())
        if pm and (test is None or pm.group(1) == test):
            msg = pm.group(2) or next((y.strip() for y in lines[j + 1 : j + 5] if y.strip()), None)
            etype = "assertion failed" if msg and msg.startswith("assertion") else "panic"
            return Failure(pm.group(1), pm.group(3), etype, msg, int(pm.group(4)))
    return None


def _cargo_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _CARGO_HEAD.match(line.strip())
        if not m:
            continue
        p = _rust_panic(lines[: i + 30], i + 1)
        out.append(
            Failure(m.group(1), p.file_path, p.error_type, p.message, p.line)
            if p
            else Failure(m.group(1), None, "panic", None, None)
        )
    return out


# nextest's status lines: "FAIL [   0.005s] (2/3) crate::bin tests::name" (the counter is new)
_NEXTEST_FAIL = re.compile(
    r"^\s*(FAIL|TIMEOUT|SIGSEGV|SIGABRT|SIGKILL|ABORT|LEAK-FAIL) \[\s*([\d.]+s)\] "
    r"(?:\(\s*\d+/\d+\) )?\S+ (\S+)$"
)


def _nextest_failures(lines: list[str]) -> list[Failure]:
    """nextest names each failing test twice (as it ends, and in the closing list); its
    panic is in the test's captured stderr, by thread name = test name."""
    out: dict[str, Failure] = {}
    for line in lines:
        m = _NEXTEST_FAIL.match(line)
        if not m or m.group(3) in out:
            continue
        name = m.group(3)
        if m.group(1) == "TIMEOUT":
            out[name] = Failure(name, None, "timeout", f"timed out after {m.group(2)}")
            continue
        p = _rust_panic(lines, 0, name)
        out[name] = (
            Failure(name, p.file_path, p.error_type, p.message, p.line)
            if p
            else Failure(name, None, m.group(1).lower() if m.group(1) != "FAIL" else None, None)
        )
    return list(out.values())


_RSPEC_HEAD = re.compile(r"^\s+\d+\) (.+)$")
_RSPEC_RERUN = re.compile(r"^rspec (\./\S+?):(\d+) # (.+)$")
# (any constant followed by a colon: ActiveRecord::RecordNotFound: is no Error by name)
_RSPEC_CLASS = re.compile(
    r"^([A-Z][\w:]*(?:Error|Exception|Failure|NotMetError)):?$|^([A-Z]\w*(?:::[A-Z]\w*)*):$"
)


def _rspec_failures(lines: list[str]) -> list[Failure]:
    where: dict[str, tuple[str, int]] = {}
    for line in lines:
        if m := _RSPEC_RERUN.match(line.strip()):
            where[m.group(3)] = (m.group(1), int(m.group(2)))
    out: list[Failure] = []
    try:
        start = next(i for i, x in enumerate(lines) if x.strip() == "Failures:")
    except StopIteration:
        return [Failure(name, path, None, None, ln) for name, (path, ln) in where.items()]
    for i in range(start + 1, len(lines)):
        if lines[i].startswith(("Finished in", "Failed examples:")):
            break
        m = _RSPEC_HEAD.match(lines[i])
        if not m:
            continue
        name = m.group(1).strip()
        etype, msg = None, None
        body = [x.strip() for x in lines[i + 1 : i + 25]]
        for k, s in enumerate(body):
            if _RSPEC_HEAD.match(lines[i + 1 + k]):
                break
            if s.startswith("Failure/Error:"):
                rest = [t for t in body[k + 1 :] if t]
                if rest and (cm := _RSPEC_CLASS.match(rest[0])):
                    etype, msg = cm.group(1) or cm.group(2), rest[1] if len(rest) > 1 else None
                else:
                    etype = "RSpec::Expectations::ExpectationNotMetError"
                    msg = rest[0] if rest else s
                break
        path, ln = where.get(name, (None, None))
        out.append(Failure(name, path, etype, msg, ln))
    return out


_PHPUNIT_HEAD = re.compile(r"^\d+\) ([\w\\]+::\w+)")
_PHPUNIT_LOC = re.compile(r"^(/\S+\.php):(\d+)$")


def _phpunit_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _PHPUNIT_HEAD.match(line.strip())
        if not m:
            continue
        body: list[str] = []
        for x in lines[i + 1 : i + 30]:
            if _PHPUNIT_HEAD.match(x.strip()) or x.strip() in ("--", "FAILURES!", "ERRORS!"):
                break  # the next failure's (or the summary's)
            body.append(x.strip())
        msg = next((s for s in body if s), None)
        # the trace runs from where it threw to the test: the test file's line is the last
        locs = [lm for s in body if (lm := _PHPUNIT_LOC.match(s))]
        loc = locs[-1] if locs else None
        etype, msg2 = _split_exc(msg or "")
        if etype is None and msg and msg.startswith("Failed asserting"):
            etype = "PHPUnit\\Framework\\ExpectationFailedException"
        out.append(
            Failure(
                m.group(1),
                loc.group(1) if loc else None,
                etype,
                msg2 or None,
                int(loc.group(2)) if loc else None,
            )
        )
    return out


# Pest and `artisan test` (Collision): "  FAILED  Tests\\Unit\\CartTest > it adds   Exception"
_PEST_HEAD = re.compile(r"^\s*(?:FAILED|ERROR)\s+(\S+ > .+?)(?:\s{2,}([\w\\]+))?$")
_PEST_AT = re.compile(r"^\s*at (\S+\.php):(\d+)$")


def _pest_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _PEST_HEAD.match(line)
        if not m:
            continue
        body = [x.strip() for x in lines[i + 1 : i + 30]]
        msg = next((s for s in body if s), None)
        at = next((am for s in body if (am := _PEST_AT.match(s))), None)
        etype = m.group(2)
        if etype is None and msg and msg.startswith("Failed asserting"):
            etype = "PHPUnit\\Framework\\ExpectationFailedException"
        out.append(
            Failure(
                m.group(1),
                at.group(1) if at else None,
                etype,
                msg,
                int(at.group(2)) if at else None,
            )
        )
    return out


_DOTNET_HEAD = re.compile(r"^\s+Failed ([\w.]+(?:\(.*\))?) \[")
_DOTNET_AT = re.compile(r"^\s*at (\S+?)\(.*\) in (.+):line (\d+)$")
# xunit "Assert.Equal() Failure: Values differ", mstest "Assert.AreEqual failed. Expected..."
_DOTNET_ASSERT = re.compile(r"^(Assert\.\w+(?:\(\))? (?:Failure|failed))\b")


def _dotnet_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _DOTNET_HEAD.match(line)
        if not m:
            continue
        msg = None
        for k, x in enumerate(lines[i + 1 : i + 10]):
            if x.strip() == "Error Message:":
                msg = next((y.strip() for y in lines[i + 2 + k : i + 8 + k] if y.strip()), None)
                break
        etype, msg = _split_exc(msg or "")
        if etype is None and (am := _DOTNET_ASSERT.match(msg)):
            etype = am.group(1)
        # the stack trace's frame of the test method itself names the test file
        path: str | None = None
        lineno: int | None = None
        method = m.group(1).split("(", 1)[0]
        for x in lines[i + 1 : i + 40]:
            if _DOTNET_HEAD.match(x):
                break
            if (fm := _DOTNET_AT.match(x)) and fm.group(1) == method:
                path, lineno = fm.group(2), int(fm.group(3))
                break
        out.append(Failure(m.group(1), path, etype, msg or None, lineno))
    return out


_GRADLE_FAIL = re.compile(r"^(\w[\w.$]*) > (.+) FAILED$")
_SUREFIRE_FAIL = re.compile(
    r"^\[ERROR\] (?:(\w+)\(([\w.$]+)\)|([\w.$]+))\s+(?:-- )?Time elapsed: .*<<< (?:FAILURE|ERROR)!$"
)
_JVM_FRAME = re.compile(r"^\s*at (?:\S+//)?[\w.$]+\((\w+)\.(java|kt|scala|groovy):(\d+)\)$")


def _jvm_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        if gm := _GRADLE_FAIL.match(line):
            test_id, cls_name = f"{gm.group(1)} > {gm.group(2)}", gm.group(1)
        elif sm := _SUREFIRE_FAIL.match(line):
            if sm.group(1):  # surefire 2: "testAdd(com.example.CalculatorTest)"
                test_id, cls_name = f"{sm.group(2)}.{sm.group(1)}", sm.group(2)
            else:
                test_id, cls_name = sm.group(3), sm.group(3).rsplit(".", 1)[0]
        else:
            continue
        body = [x for x in lines[i + 1 : i + 40] if x.strip()]
        first = body[0].strip() if body and not body[0].strip().startswith("at ") else ""
        etype, msg = _split_exc(first)
        path: str | None = None
        lineno: int | None = None
        simple = cls_name.rsplit(".", 1)[-1].split("$")[0]
        for x in body[1:]:
            fm = _JVM_FRAME.match(x)
            if fm and fm.group(1) == simple:  # the test class's own frame, not the library's
                path, lineno = f"{fm.group(1)}.{fm.group(2)}", int(fm.group(3))
                break
            if not x.startswith((" ", "\t")):
                break
        out.append(Failure(test_id, path, etype, msg or None, lineno))
    return out


# Each failure parser, with the lines it needs to find anything (a failure's head, or
# what its fallback reads): an output with none of them is not that runner's.
_FAILURE_PARSERS: tuple[tuple[Callable[[list[str]], list[Failure]], _LineGate], ...] = (
    (_pytest_failures, _LineGate(stripped=[_PYTEST_SHORT], as_is=[_PYTEST_SECTION])),
    (_exunit_failures, _LineGate(as_is=[_EXUNIT_HEAD])),
    (_jest_failures, _LineGate(as_is=[_VITEST_HEAD, _JEST_HEAD])),
    (_mocha_failures, _LineGate(as_is=[_MOCHA])),
    (_bun_failures, _LineGate(as_is=[_BUN_FAIL])),
    (_go_failures, _LineGate(as_is=[_GO_TEST_FAIL, _GO_TIMEOUT])),
    (_nextest_failures, _LineGate(as_is=[_NEXTEST_FAIL])),
    (_cargo_failures, _LineGate(stripped=[_CARGO_HEAD])),
    (_rspec_failures, _LineGate(stripped=[_RSPEC_RERUN, re.compile(r"Failures:$")])),
    (_unittest_failures, _LineGate(as_is=[_UNITTEST_HEAD])),
    (_phpunit_failures, _LineGate(stripped=[_PHPUNIT_HEAD])),
    (_dotnet_failures, _LineGate(as_is=[_DOTNET_HEAD])),
    (_pest_failures, _LineGate(as_is=[_PEST_HEAD])),
    (_jvm_failures, _LineGate(as_is=[_GRADLE_FAIL, _SUREFIRE_FAIL])),
)
_ELIXIR_DIAG_LINES = _LineGate(as_is=[_ELIXIR_DIAG], stripped=[_ELIXIR_COMPILE_ERR])


def _test_failures(lines: list[str]) -> list[Failure]:
    for parser, needs in _FAILURE_PARSERS:
        if needs.any(lines) and (found := parser(lines)):
            return found
    # the suite did not compile: the compiler's errors are the failures
    return _elixir_diagnostics(lines, warnings=False) or _findings(lines, errors_only=True)


# ---------------------------------------------------------------------------------
# Findings of checks: `file:line: code message` in the shapes linters print

_F_CODE_LINE = re.compile(
    r"^(?P<file>[^\s:][^:]*?\.\w+):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<code>[A-Z]+\d+):? (?:\[\*\] )?(?P<msg>.+)$"  # noqa: E501
)  # ruff concise, flake8, pylint, pycodestyle
_F_MYPY = re.compile(
    r"^(?P<file>[^\s:][^:]*?\.pyi?):(?P<line>\d+)(?::\d+)?: (?P<sev>error|warning): (?P<msg>.+?)(?:\s+\[(?P<code>[\w-]+)\])?$"  # noqa: E501
)
_F_PYRIGHT = re.compile(
    r"^\s*(?P<file>[^\s:][^:]*?\.pyi?):(?P<line>\d+):\d+ - (?P<sev>error|warning): (?P<msg>.+?)(?: \((?P<code>report\w+)\))?$"  # noqa: E501
)
_F_TSC = re.compile(
    r"^(?P<file>[^\s(][^(:]*?\.\w+)(?:\((?P<line>\d+),\d+\):|:(?P<line2>\d+):\d+ -) (?P<sev>error|warning) (?P<code>[A-Z]{2,}\d+): (?P<msg>.+?)(?: \[[^\]]+proj\])?$"  # noqa: E501
)  # tsc, and msbuild's (dotnet's) `file(l,c): error CS1002: msg [x.csproj]`
_F_ESLINT_ROW = re.compile(
    r"^\s+(?P<line>\d+):\d+\s+(?P<sev>error|warning)\s+(?P<msg>.+?)(?:\s{2,}(?P<code>[@\w/-]+))?$"
)
_F_PATH_ALONE = re.compile(r"^(?:[A-Za-z]:)?[\w./\\@-]+\.\w+$")
_F_RUBOCOP = re.compile(
    r"^(?P<file>[^\s:]+\.\w+):(?P<line>\d+):\d+: (?P<sev>[CWEFR]): (?:\[Correctable\] )?(?P<code>[A-Z]\w+/\w+): (?P<msg>.+)$"  # noqa: E501
)
_F_SHELLCHECK = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):\d+: (?P<sev>\w+): (?P<msg>.+) \[(?P<code>SC\d+)\]$"
)
_F_HEADER_ARROW = re.compile(
    r"^(?:(?P<sev>error|warning)(?:\[(?P<rcode>[\w:-]+)\])?: (?P<rmsg>.+)|(?P<code>[A-Z]+\d+) (?:\[\*\] )?(?P<msg>.+))$"  # noqa: E501
)
_F_ARROW = re.compile(r"^\s*-->\s*(?P<file>[^:\s]+):(?P<line>\d+)")
_F_CLIPPY = re.compile(r"#\[(?:warn|deny)\((clippy::\w+|[a-z_]+)\)\]|(clippy::\w+)")
_F_CREDO = re.compile(r"^[┃│\s]*\[(?P<cat>[CDFRW])\] [↑↗→↘↓] (?P<msg>.+)$")
_F_CREDO_WHERE = re.compile(r"^[┃│\s]*(?P<file>[^\s:]+\.exs?):(?P<line>\d+)(?::\d+)?(?: #\(.*\))?$")
_F_CREDO_ONELINE = re.compile(
    r"^\[(?P<cat>[CDFRW])\] [↑↗→↘↓] (?P<file>[^\s:]+\.exs?):(?P<line>\d+)(?::\d+)? (?P<msg>.+)$"
)
_F_CREDO_FLYCHECK = re.compile(
    r"^(?P<file>[^\s:]+\.exs?):(?P<line>\d+)(?::\d+)?: (?P<cat>[CDFRW]): (?P<msg>.+)$"
)
_CREDO_CATEGORIES = {
    "C": "Consistency",
    "D": "Design",
    "F": "Refactor",
    "R": "Readability",
    "W": "Warning",
}
_F_CREDO_CHECK = re.compile(r"(Credo\.Check\.[\w.]+)")
_F_DIALYZER = re.compile(
    r"^(?P<file>[\w./-]+\.exs?):(?P<line>\d+)(?::\d+)?:(?P<code>[a-z_]+)(?: (?P<msg>.+))?$"
)
_F_GO = re.compile(
    r"^(?P<file>\.?/?[\w./-]+\.go):(?P<line>\d+)(?::\d+)?: (?P<msg>.+?)(?: \((?P<code>[\w-]+)\))?$"
)
_F_GCC = re.compile(
    r"^(?P<file>[^\s:][^:]*?\.\w+):(?P<line>\d+)(?::\d+)?: (?P<sev>error|fatal error|warning): (?P<msg>.+)$"  # noqa: E501
)
_F_MAVEN = re.compile(
    r"^\[(?P<sev>ERROR|WARNING)\] (?P<file>\S+\.(?:java|kt|scala|groovy)):\[(?P<line>\d+),\d+\] "
    r"(?P<msg>.+)$"
)  # maven's javac: "[ERROR] /p/src/X.java:[12,13] cannot find symbol"
_F_WOULD_REFORMAT = re.compile(r"^(?:would reformat|Would reformat:) (?P<file>\S+)$")
_F_PRETTIER = re.compile(r"^\[warn\] (?P<file>\S+\.\w+)$")
_F_MIX_FORMAT = re.compile(r"^\s+\* (?P<file>\S+\.(?:exs?|heex|eex))$")
# shellcheck's default (tty) format: "In x.sh line 3:" ... "^--^ SC2086 (info): Double quote..."
_F_SHELLCHECK_IN = re.compile(r"^In (?P<file>\S+) line (?P<line>\d+):$")
_F_SHELLCHECK_CODE = re.compile(r"\^-*\^? (?P<code>SC\d+) \((?P<sev>\w+)\): (?P<msg>.+)$")
# biome: "src/app.ts:1:8 lint/correctness/noUnusedImports  FIXABLE  ━━━" then "✖ message"
_F_BIOME = re.compile(
    r"^(?P<file>[^\s:]+\.\w+):(?P<line>\d+):\d+ (?P<code>(?:lint|format|assist|parse)\S*)\s.*━+$"
)
_F_PRECOMMIT_FAILED = re.compile(r"^(?P<name>.+?)\.{3,}\s*Failed$")


def _finding(
    m: re.Match[str], code: str | None, msg: str | None, line_group: str = "line"
) -> Failure:
    ln = m.groupdict().get(line_group) or m.groupdict().get("line2")
    return Failure(
        None, m.group("file"), code, msg.strip() if msg else None, int(ln) if ln else None
    )


_F_MIX_FORMAT_HEAD = re.compile("The following files are not formatted")
# Every pattern `_findings` tries; a line none of them matches changes nothing there.
_FINDING_LINES = _LineGate(
    as_is=(
        _F_TSC, _F_MYPY, _F_PYRIGHT, _F_RUBOCOP, _F_SHELLCHECK, _F_CODE_LINE,
        _F_CREDO_ONELINE, _F_CREDO_FLYCHECK, _F_CREDO, _F_DIALYZER, _F_GO, _F_GCC,
        _F_HEADER_ARROW, _F_WOULD_REFORMAT, _F_PRETTIER, _F_PATH_ALONE, _F_ESLINT_ROW,
        _F_MIX_FORMAT, _F_MAVEN, _F_SHELLCHECK_IN, _F_BIOME,
    ),
    anywhere=(_F_MIX_FORMAT_HEAD,),
)  # fmt: skip


def _findings(lines: list[str], *, errors_only: bool = False) -> list[Failure]:
    out: list[Failure] = []
    eslint_file: str | None = None
    mix_format = False
    for i in _FINDING_LINES.lines(lines):
        s = lines[i].rstrip()
        if m := _F_TSC.match(s):
            if m.group("sev") == "error" or not errors_only:
                out.append(_finding(m, m.group("code"), m.group("msg")))
        elif (m := _F_MYPY.match(s)) or (m := _F_PYRIGHT.match(s)):
            if m.group("sev") == "error" or not errors_only:
                out.append(_finding(m, m.group("code") or m.group("sev"), m.group("msg")))
        elif (
            (m := _F_RUBOCOP.match(s))
            or (m := _F_SHELLCHECK.match(s))
            or (m := _F_CODE_LINE.match(s))
        ):
            out.append(_finding(m, m.group("code"), m.group("msg")))
        elif (m := _F_CREDO_ONELINE.match(s)) or (m := _F_CREDO_FLYCHECK.match(s)):
            code = _F_CREDO_CHECK.search(s)
            out.append(
                _finding(
                    m,
                    code.group(1) if code else f"Credo.Check.{_CREDO_CATEGORIES[m.group('cat')]}",
                    m.group("msg"),
                )
            )
        elif m := _F_CREDO.match(s):
            for x in lines[i + 1 : i + 4]:
                if wm := _F_CREDO_WHERE.match(x.rstrip()):
                    code = _F_CREDO_CHECK.search(" ".join(lines[i : i + 4]))
                    cat_name = _CREDO_CATEGORIES[m.group("cat")]
                    out.append(
                        _finding(
                            wm, code.group(1) if code else f"Credo.Check.{cat_name}", m.group("msg")
                        )
                    )
                    break
        elif m := _F_DIALYZER.match(s):
            msg = m.group("msg") or next(
                (x.strip() for x in lines[i + 1 : i + 4] if x.strip()), None
            )
            out.append(_finding(m, m.group("code"), msg))
        elif m := _F_GO.match(s):
            out.append(_finding(m, m.group("code"), m.group("msg")))
        elif m := _F_SHELLCHECK_IN.match(s):
            for x in lines[i + 1 : i + 12]:
                if _F_SHELLCHECK_IN.match(x):
                    break
                if (cm := _F_SHELLCHECK_CODE.search(x)) and (
                    cm.group("sev") == "error" or not errors_only
                ):
                    out.append(_finding(m, cm.group("code"), cm.group("msg")))
        elif m := _F_BIOME.match(s):
            msg = next((x.strip()[1:].strip() for x in lines[i + 1 : i + 6] if x.strip()), None)
            out.append(_finding(m, m.group("code"), msg))
        elif m := _F_MAVEN.match(s):
            if m.group("sev") == "ERROR" or not errors_only:
                out.append(_finding(m, m.group("sev").lower(), m.group("msg")))
        elif m := _F_GCC.match(s):
            if m.group("sev") != "warning" or not errors_only:
                out.append(_finding(m, m.group("sev"), m.group("msg")))
        elif m := _F_HEADER_ARROW.match(s):
            nxt = next((x for x in lines[i + 1 : i + 3] if x.strip()), "")
            am = _F_ARROW.match(nxt)
            if not am:
                continue
            if m.group("sev") == "warning" and errors_only:
                continue
            rule: str | None = m.group("rcode") or m.group("code")
            if rule is None:
                tail = " ".join(lines[i : i + 15])
                cm = _F_CLIPPY.search(tail)
                rule = (cm.group(1) or cm.group(2)) if cm else m.group("sev")
            out.append(
                Failure(
                    None,
                    am.group("file"),
                    rule,
                    (m.group("rmsg") or m.group("msg") or "").strip(),
                    int(am.group("line")),
                )
            )
        elif m := _F_WOULD_REFORMAT.match(s):
            out.append(Failure(None, m.group("file"), "format", "would reformat"))
        elif m := _F_PRETTIER.match(s):
            out.append(Failure(None, m.group("file"), "prettier", "code style issues"))
        elif (
            _F_PATH_ALONE.match(s)
            and "/" in s
            or s.endswith((".ts", ".js", ".tsx", ".jsx", ".vue", ".mjs"))
            and _F_PATH_ALONE.match(s)
        ):
            eslint_file = s
        elif eslint_file and (m := _F_ESLINT_ROW.match(s)):
            if m.group("sev") == "error" or not errors_only:
                out.append(
                    Failure(
                        None,
                        eslint_file,
                        m.group("code") or m.group("sev"),
                        m.group("msg").strip(),
                        int(m.group("line")),
                    )
                )
        elif _F_MIX_FORMAT_HEAD.search(s):
            mix_format = True
        elif mix_format and (m := _F_MIX_FORMAT.match(s)):
            out.append(Failure(None, m.group("file"), "mix format", "not formatted"))
    # (msbuild, and others, print each error again in their closing summary)
    return list(dict.fromkeys(out))


def _precommit_failures(lines: list[str]) -> list[Failure]:
    out: list[Failure] = []
    for i, line in enumerate(lines):
        m = _F_PRECOMMIT_FAILED.match(line.strip())
        if not m:
            continue
        hook_id = m.group("name").strip()
        msg = None
        for x in lines[i + 1 : i + 12]:
            s = x.strip()
            if s.startswith("- hook id:"):
                hook_id = s.split(":", 1)[1].strip()
            elif s.startswith("- ") or not s:
                continue
            elif re.match(r".+?\.{3,}", s):
                break
            else:
                msg = s
                break
        out.append(Failure(hook_id, None, hook_id, msg))
    return out


# ---------------------------------------------------------------------------------

_COMPILE_FAILED = re.compile(
    r"^(?:error: could not compile|== Compilation error in file|\*\* \(CompileError\)|"
    r"(?:\[ERROR\] )?COMPILATION ERROR|Build FAILED\.?$|> Task \S+:compile\w* FAILED$)"
)
_BUILD_RESULT = re.compile(r"^(?:\[(?:INFO|ERROR)\] )?BUILD (SUCCESS|FAIL)(?:FUL|URE|ED)?\b")


def _build_verdict(lines: list[str], runner: str | None, counts: _Counts) -> str | None:
    """The status a test run's build gives when no test summary did, else None."""
    if any(_COMPILE_FAILED.match(x.strip()) for x in lines):
        return "error"
    if runner in ("gradle test", "maven test"):
        for x in reversed(lines):
            if m := _BUILD_RESULT.match(x.strip()):
                counts.lines.append(x.strip())
                return "passed" if m.group(1) == "SUCCESS" else "failed"
    return None


_BACKGROUND = re.compile(
    r"Command running in background with ID|Process running with session ID", re.I
)
_ECHOED = re.compile(r"(-?\d+)\s*$")


# Exit codes a runner gives only when tests ran and some failed (pytest's 1; ExUnit's
# `exit_status`, 2 by default); other non-zero codes also mean it could not run them.
_TESTS_FAILED_EXIT: dict[str, tuple[int, ...]] = {"pytest": (1,), "mix test": (2,)}


def read_outcome(cls: CommandClass, output: str, exit_code: int | None) -> CommandOutcome:
    """The outcome of a test run or check, from its exit code and what it printed."""
    lines = _strip_workspace_prefixes(_clean(output or ""))
    if cls.kind == "check":
        counts = _check_counts(lines)
        if cls.runner == "pre-commit":
            failures = _precommit_failures(lines) + _findings(lines)
        elif cls.runner in ("mix compile",):
            failures = _elixir_diagnostics(lines, warnings=True) or _findings(lines)
        else:
            failures = _findings(lines) or _elixir_diagnostics(lines, warnings=False)
    else:
        counts = _test_counts(lines)
        failures = _test_failures(lines)

    code = exit_code if cls.exit_code_speaks else None
    if code is None and cls.echoes_exit:
        last = next((x for x in reversed(lines) if x.strip()), "")
        m = _ECHOED.search(last)
        code = int(m.group(1)) if m else None
    from_summary = counts.status()
    if from_summary is None and cls.kind == "test":
        # no test counts: the build around the tests speaks (a compile error before any
        # test ran; gradle and maven print no counts when every test passed)
        from_summary = _build_verdict(lines, cls.runner, counts)
    summary = " | ".join(dict.fromkeys(counts.lines)) or None
    if summary is None and _BACKGROUND.search(output or "") and not failures:
        return CommandOutcome("unknown", None, [])

    if code is not None:
        if code == 0:
            if from_summary in ("failed", "skipped"):
                status = from_summary
            elif counts.ran_none and not counts.passed:
                status = "skipped"
            else:
                status = "passed"
        elif cls.runner in ("pytest", "unittest") and code == 5:
            status = "skipped"  # pytest: no tests collected; unittest (3.12+): NO TESTS RAN
        elif from_summary == "failed" or (
            failures and from_summary is not None and from_summary != "error"
        ):
            status = "failed"
        elif not (output or "").strip() and code in _TESTS_FAILED_EXIT.get(cls.runner or "", ()):
            # no output at all (a background run known from its notification alone): the
            # exit code these runners keep for failed tests says what happened
            status = "failed"
        elif from_summary == "error" or from_summary is None:
            # a test run that printed no summary never got to run its tests (compile error,
            # bad arguments); a check that printed findings failed
            status = "error" if cls.kind == "test" else ("failed" if failures else "error")
        elif from_summary == "skipped":
            status = "error"  # nothing ran, and the runner said it failed (bad path, no tests)
        else:
            status = "failed"  # the summary looked clean but the runner said otherwise
    elif from_summary is not None:
        status = from_summary
        if status == "skipped" and counts.errors:
            status = "error"
    elif (
        cls.kind == "check" and failures and any(f.error_type not in ("warning",) for f in failures)
    ):
        status = "failed"
    else:
        status = "unknown"  # cut by head, truncated, or never read back
    if cls.kind == "test" and status == "error" and not failures and counts.failed:
        status = "failed"
    if status == "passed" and cls.head_lines is not None:
        limit = cls.head_lines
        shown = len((output or "").splitlines()) if limit > 0 else len((output or "").encode())
        if shown >= abs(limit):
            # `| head` cut the output: what it shows passed (one package, the first
            # tests), what it cut may not have; a failure it shows is a failure
            status = "failed" if failures else "unknown"
    return CommandOutcome(
        status, summary, failures if status in ("failed", "error") or failures else []
    )


_ERROR_WORDS = re.compile(
    r"(?i)\b(error|errors|exception|fatal|failed|failure|traceback|panic|denied|not found|no such file|"  # noqa: E501
    r"cannot|can't|could not|unable|invalid|undefined|refused|aborted|unknown|missing|conflict|rejected|timed out)\b"  # noqa: E501
)
_EXIT_LINE = re.compile(r"^Exit code -?\d+$")


def error_lines(output: str, max_lines: int = 20) -> str:
    """The lines of a failed command's output that say what went wrong, not the whole output."""
    lines = [ln for ln in _clean(output or "") if ln.strip() and not _EXIT_LINE.match(ln.strip())]
    picked: list[str] = []
    for i, ln in enumerate(lines):
        if _ERROR_WORDS.search(ln):
            picked.append(ln)
        elif (
            i > 0
            and lines[i - 1].startswith("Traceback") is False
            and ln[:1] not in (" ", "\t")
            and i == len(lines) - 1
        ):
            picked.append(ln)  # the last line often names the failure (a Python exception)
    if not picked:
        picked = lines[-max_lines:]
    out = list(dict.fromkeys(ln[:500] for ln in picked))
    return "\n".join(out[:max_lines])


def iter_commands(cmd: str) -> Iterator[list[str]]:
    """The unwrapped words of each simple command in a line (for parsers that want more)."""
    for s in _lex(cmd):
        yield _unwrap(s.words)


def split_words(cmd: str) -> list[str]:
    """shlex words of a command, or plain words when its quoting is broken."""
    try:
        return shlex.split(cmd)
    except ValueError:
        return cmd.split()
