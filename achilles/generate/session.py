"""The simulation of one coding session, agent-driven or human-only.

Timing follows what real transcripts show: most failing test runs come long
after the edit that preceded them (median ~47 s: the model thinks, then the
suite runs); a few errors (editor hooks, type checkers, a quick failing run)
land within 10 s of an agent edit on the same file.
"""

from __future__ import annotations

import random

from achilles.generate.catalogue import AGENTS, PROMPTS, READ_TOOLS, REPOS, SERVICES
from achilles.generate.error_kinds import KIND_POOL, ErrorKind, render
from achilles.generate.sampling import (
    SECOND,
    exp_z,
    lognormal_us,
    pick,
    rand_int,
    weighted_table,
)
from achilles.generate.sink import SessionSink

GENERATOR = "achilles.generate/1"  # recorded in each session_start's metadata


class SimulatedSession:
    """One session, event by event, until its event budget is spent.

    Agent sessions run turns of LLM calls, reads, edits, shell commands and test
    runs; human sessions run edits and test runs. A break-fix session fails the
    same error 3-4 times with passing runs between; a crash-loop session starts
    a service that crashes and restarts, then is rolled back or fixed.
    """

    def __init__(
        self,
        sink: SessionSink,
        rng: random.Random,
        start_us: int,
        budget: int,
        agent: str | None,
        human: str,
        repo: str,
        branch: str,
        break_fix: bool,
        crash_loop: bool,
        seed: int,
    ):
        self.sink = sink
        self.emit = sink.emit
        self.rng = rng
        self.t = start_us
        self.budget = budget
        self.agent = agent
        self.human = human
        self.repo = repo
        self.branch = branch
        self.lang, self.files, self.test_cmds, self.runner, self.hooks = REPOS[repo]
        self.tests = [f for f in self.files if "test" in f.rsplit("/", 1)[-1]]
        self.sources = [f for f in self.files if f not in self.tests]
        # A session works on a focus set of files, not on the whole repo.
        self.focus = rng.sample(self.sources, min(len(self.sources), rand_int(rng, 3, 14)))
        self.trace = f"{rng.getrandbits(128):032x}"
        self.root = self._span()
        self.seed = seed
        if agent is not None:
            profile = AGENTS[agent]
            self.fail_bias, self.client_ids = profile.failure_bias, profile.client_ids
            # (name, $/Mtok in, $/Mtok out), drawn in proportion to the model's weight.
            self.models = weighted_table(
                [m[:3] for m in profile.models], [m.weight for m in profile.models]
            )
            self.ctx_tokens = rand_int(rng, 8_000, 30_000)
        else:
            self.fail_bias, self.client_ids = 0.30, False
        self.break_fix = break_fix
        self.bf_fails_left = rand_int(rng, 3, 4) if break_fix else 0
        self.bf_kind: ErrorKind | None = None
        self.bf_message: str | None = None
        self.bf_file: str | None = None
        self.crash_loop = crash_loop
        self.crash_at = int(budget * rng.uniform(0.2, 0.7)) if crash_loop else -1
        self.last_edit: tuple[int, str] | None = None
        self.last_failed: tuple[str, ErrorKind] | None = None
        self.outcome = "completed"

    # -- helpers
    def _span(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def _advance(
        self, median_s: float, sigma: float = 0.7, lo: float = 0.05, hi: float = 900.0
    ) -> int:
        self.t += lognormal_us(self.rng, median_s, sigma, lo, hi)
        return self.t

    def _file(self) -> str:
        pool = self.focus if self.rng.random() < 0.85 else self.files
        return pool[int(self.rng.random() * len(pool))]

    def _test_for(self, path: str) -> str:
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        for t in self.tests:
            if stem and stem in t:
                return t
        return pick(self.rng, self.tests)

    def _command(self, path: str) -> str:
        test = self._test_for(path)
        stem = test.rsplit("/", 1)[-1].split(".", 1)[0].removeprefix("test_")
        stem = stem.removesuffix("_test").removesuffix(".test")
        return pick(self.rng, self.test_cmds).format(
            test=test, stem=stem, Stem="".join(p.title() for p in stem.split("_"))
        )

    # -- event makers
    def llm_call(self, parent: str, median_s: float = 5.0) -> None:
        rand = self.rng.random
        models = self.models
        model, p_in, p_out = models[int(rand() * len(models))]
        ctx = self.ctx_tokens + 200 + int(rand() * 3800)
        if ctx > 190_000 or rand() < 0.02:  # the agent compacts its context
            ctx = 8_000 + int(rand() * 12_000)
        self.ctx_tokens = ctx
        cached = int(ctx * (0.6 + 0.35 * rand()))
        out = min(int(240 * exp_z(self.rng)) + 1, 16_000)
        cost = round(((ctx - cached) * p_in + cached * p_in * 0.1 + out * p_out) / 1_000_000, 6)
        self.t += lognormal_us(self.rng, median_s, 0.8, 0.4, 180.0)
        span = f"{self.rng.getrandbits(64):016x}"
        self.emit(
            self.t,
            "llm_call",
            "agent",
            self.agent,
            None,
            None,
            None,
            None,
            "ok",
            parent,
            self.trace,
            span,
            model,
            ctx,
            out,
            cost,
            {
                "cache_read_input_tokens": cached,
                "request_id": "req_" + span,
                "stop_reason": "tool_use" if rand() < 0.85 else "end_turn",
            },
            ("otel-" + self.trace[:16] + "-" + span) if self.client_ids else None,
        )

    def action(
        self, tool: str, parent: str, path: str | None, message: str, extra: dict | None = None
    ) -> str:
        self.t += lognormal_us(self.rng, 0.8, 0.8, 0.05, 30.0)
        span = f"{self.rng.getrandbits(64):016x}"
        attrs = {"tool": tool, "tool_use_id": "toolu_" + span}
        if extra:
            attrs.update(extra)
        self.emit(
            self.t,
            "agent_action",
            "agent",
            self.agent,
            path,
            message,
            None,
            None,
            "ok",
            parent,
            self.trace,
            span,
            None,
            None,
            None,
            None,
            attrs,
            ("otel-" + self.trace[:16] + "-" + span) if self.client_ids else None,
        )
        return span

    def error(
        self,
        ts: int,
        kind: ErrorKind,
        path: str,
        parent: str | None,
        source: str,
        actor: str | None,
        message: str | None = None,
    ) -> None:
        rng = self.rng
        if message is None:
            other = pick(rng, self.files)
            message = render(kind, rng, self.repo, path, other)
        span = self._span()
        self.emit(
            ts,
            "error",
            source,
            actor,
            file_path=path if kind.has_path else None,
            message=message,
            error_type=kind.error_type,
            severity=kind.severity,
            parent_id=parent,
            trace_id=self.trace,
            span_id=span,
            attributes={"language": self.lang, "repo": self.repo},
        )

    def human_prompt(self) -> str:
        rng = self.rng
        span = self._span()
        ts = self._advance(25.0, 1.0, 2.0, 1800.0)
        text = pick(rng, PROMPTS).format(file=pick(rng, self.focus))
        self.emit(
            ts,
            "human_action",
            "human",
            self.human,
            message=text,
            status="prompt",
            parent_id=self.root,
            trace_id=self.trace,
            span_id=span,
            attributes={"kind": "prompt", "chars": len(text)},
        )
        return span

    def human_edit(self, path: str, reason: str) -> None:
        rng = self.rng
        ts = self._advance(40.0, 0.9, 3.0, 1800.0)
        span = self._span()
        self.emit(
            ts,
            "human_action",
            "human",
            self.human,
            file_path=path,
            message=f"{reason} {path}",
            status="edit",
            parent_id=self.root,
            trace_id=self.trace,
            span_id=span,
            attributes={
                "kind": "edit",
                "editor": pick(rng, ("vscode", "vim", "jetbrains")),
                "lines_added": rand_int(rng, 1, 40),
                "lines_removed": rand_int(rng, 0, 25),
            },
        )
        self.last_edit = (ts, path)

    def edit(self, parent: str, path: str) -> None:
        rng = self.rng
        tool = "Write" if rng.random() < 0.18 else "Edit"
        self.action(
            tool,
            parent,
            path,
            f"{tool} {path}",
            {"lines_added": rand_int(rng, 1, 120), "lines_removed": rand_int(rng, 0, 60)},
        )
        self.last_edit = (self.t, path)
        # Editor hooks / type checkers: an error within 10 s of the edit, same file.
        if rng.random() < 0.025 and path.split(".")[-1] in ("py", "ts", "tsx", "go", "rs"):
            kind = pick(rng, KIND_POOL[(self.lang, "hook")])
            ts = self.t + lognormal_us(rng, 2.5, 0.6, 0.3, 9.5)
            self.error(ts, kind, path, None, "system", pick(rng, self.hooks))
            self.t = ts

    def run_tests(self, parent: str | None, by_human: bool = False) -> bool:
        """A test command, its run and (on failure) its errors. Returns passed."""
        rng = self.rng
        target = self.last_edit[1] if self.last_edit else pick(rng, self.focus)
        duration = lognormal_us(rng, 7.0, 0.9, 0.4, 400.0)
        if self.last_edit and not by_human:
            # The model thinks after editing; the run ends ~47 s (median) after the edit.
            quick = rng.random() < 0.06
            gap = lognormal_us(rng, 6.0 if quick else 47.0, 0.35 if quick else 0.6, 2.0, 900.0)
            start = self.last_edit[0] + gap - duration
            while self.t + 9 * SECOND < start and parent is not None and rng.random() < 0.8:
                self.llm_call(parent, median_s=min(8.0, (start - self.t) / SECOND / 2))
            self.t = max(self.t + 200_000, start)
        else:
            self._advance(3.0, 0.6, 0.3, 60.0)
        cmd = self._command(target)
        cmd_ts = self.t
        if by_human or parent is None:
            actor = self.human
            span = self._span()
            self.emit(
                cmd_ts,
                "human_action",
                "human",
                actor,
                message=cmd,
                status="command",
                parent_id=self.root,
                trace_id=self.trace,
                span_id=span,
                attributes={"kind": "command", "shell": "zsh"},
            )
        else:
            span = self.action("Bash", parent, None, cmd, {"command": cmd})
            cmd_ts = self.t
        end = cmd_ts + duration
        # Outcome.
        forced: ErrorKind | None = None
        if self.bf_fails_left > 0 and self.last_failed is None:
            passed = False
            if self.bf_kind is None:
                self.bf_kind = pick(rng, KIND_POOL[(self.lang, "test")])
                self.bf_file = target
                self.bf_message = render(self.bf_kind, rng, self.repo, target, target)
            forced = self.bf_kind
            self.bf_fails_left -= 1
        elif self.bf_fails_left > 0:
            passed = True  # the fix "works"… until the next change breaks it again
        elif self.last_failed is not None:
            passed = rng.random() < 0.72
        else:
            passed = rng.random() >= self.fail_bias
        total = rand_int(rng, 4, 400)
        n_fail = 0 if passed else rand_int(rng, 1, min(total, 6))
        t_span = self._span()
        ci = rng.random() < 0.08
        self.emit(
            end,
            "test_run",
            "ci" if ci else "system",
            "github-actions" if ci else self.runner,
            file_path=self._test_for(target),
            message=cmd,
            severity="info" if passed else "error",
            status="passed" if passed else "failed",
            parent_id=span,
            trace_id=self.trace,
            span_id=t_span,
            attributes={
                "command": cmd,
                "tests": total,
                "failed": n_fail,
                "duration_ms": duration // 1000,
                "exit_code": 0 if passed else 1,
            },
        )
        self.t = end
        if passed:
            self.last_failed = None
            return True
        n_err = 1 if forced else min(n_fail, pick(rng, (1, 1, 1, 2, 2, 3)))
        for i in range(n_err):
            if forced is not None and i == 0:
                kind, path = forced, self.bf_file or target
                msg = self.bf_message if rng.random() < 0.6 else None
            else:
                kind = pick(rng, KIND_POOL[(self.lang, "test")])
                path = target if rng.random() < 0.6 else self._file()
                msg = None
            ts = end - rand_int(rng, 1_000, max(2_000, duration // 3))
            self.error(ts, kind, path, t_span, "system", self.runner, msg)
            self.last_failed = (path, kind)
        return False

    def crash_loop_episode(self, parent: str | None) -> None:
        rng = self.rng
        cmd, name = SERVICES[self.lang][:2]
        if parent is not None:
            self.action("Bash", parent, None, cmd, {"command": cmd, "run_in_background": True})
        kind = pick(rng, KIND_POOL[(self.lang, "crash")])
        path = self.last_edit[1] if self.last_edit else pick(rng, self.focus)
        message = render(kind, rng, self.repo, path, path)
        pid = rand_int(rng, 2000, 60000)
        proc_span = self._span()
        self.emit(
            self._advance(0.5, 0.5),
            "process",
            "system",
            name,
            message=cmd,
            status="spawned",
            parent_id=parent,
            trace_id=self.trace,
            span_id=proc_span,
            attributes={"pid": pid, "command": cmd, "restart_count": 0},
        )
        crashes = rand_int(rng, 3, 6)
        backoff = 1.0
        for i in range(crashes):
            ts = self._advance(2.0 + 3 * rng.random(), 0.6, 0.3, 60.0)
            self.error(
                ts, kind, path, proc_span, "system", name, message if rng.random() < 0.5 else None
            )
            code = (
                137
                if "memory" in kind.template.lower()
                or kind.error_type in ("MemoryError", "HeapOutOfMemory", "AllocError")
                else pick(rng, (1, 2, 101, 134))
            )
            self.emit(
                self.t + rand_int(rng, 1_000, 50_000),
                "process",
                "system",
                name,
                message=f"{cmd} exited with code {code}",
                severity="error",
                status="crashed",
                parent_id=proc_span,
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "exit_code": code, "restart_count": i},
            )
            self.t += int(backoff * SECOND) + rand_int(rng, 0, 300_000)
            backoff = min(backoff * 2, 30.0)
            if i < crashes - 1:
                pid = rand_int(rng, 2000, 60000)
                self.emit(
                    self.t,
                    "process",
                    "system",
                    name,
                    message=cmd,
                    status="restarted",
                    parent_id=proc_span,
                    trace_id=self.trace,
                    span_id=self._span(),
                    attributes={"pid": pid, "restart_count": i + 1, "backoff_s": backoff},
                )
        if rng.random() < 0.5:
            self.emit(
                self._advance(4.0),
                "alert",
                "external",
                "alertmanager",
                message=f"[FIRING:1] CrashLooping {name} ({self.repo}-dev)",
                severity="critical",
                status="firing",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={
                    "alertname": "CrashLooping",
                    "service": name,
                    "namespace": f"{self.repo}-dev",
                    "fingerprint": f"{rng.getrandbits(64):016x}",
                },
            )
        if rng.random() < 0.45:
            self.emit(
                self._advance(20.0),
                "process",
                "system",
                name,
                message=f"rolled back {self.repo} to previous build",
                severity="warning",
                status="rolled_back",
                parent_id=proc_span,
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "restart_count": crashes},
            )
        else:
            # Fixed: an edit to the crashing file, one clean start, a clean stop later.
            if parent is not None:
                self.llm_call(parent)
                self.edit(parent, path)
            else:
                self.human_edit(path, "fix crash in")
            pid = rand_int(rng, 2000, 60000)
            self.emit(
                self._advance(2.0),
                "process",
                "system",
                name,
                message=cmd,
                status="spawned",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "command": cmd, "restart_count": 0},
            )
            self.emit(
                self._advance(120.0, 1.0, 5.0, 3600.0),
                "process",
                "system",
                name,
                message=f"{cmd} exited with code 0",
                severity="info",
                status="exited",
                trace_id=self.trace,
                span_id=self._span(),
                attributes={"pid": pid, "exit_code": 0},
            )

    # -- turns
    def agent_turn(self, first: bool) -> None:
        rng = self.rng
        sink = self.sink
        # A turn starts with a human prompt, or is an autonomous continuation.
        turn = self.human_prompt() if first or rng.random() < 0.35 else self._span()
        steps = rand_int(rng, 1, 9)
        for _ in range(steps):
            if sink.total >= self.budget:
                return
            if self.crash_at >= 0 and sink.total >= self.crash_at:
                self.crash_at = -1
                self.crash_loop_episode(turn)
                continue
            self.llm_call(turn)
            r = rng.random()
            if self.last_failed is not None and r < 0.5:
                # Fix attempt on the failing file (by the agent, or a human steps in).
                path = self.last_failed[0]
                if rng.random() < 0.22:
                    self.human_edit(path, "manual fix in")
                    self.run_tests(None, by_human=True)
                else:
                    self.action("Read", turn, path, f"Read {path}")
                    self.llm_call(turn)
                    self.edit(turn, path)
                    self.run_tests(turn)
            elif r < 0.40:
                tool = pick(rng, READ_TOOLS)
                path = self._file()
                self.action(tool, turn, path, f"{tool} {path}")
            elif r < 0.70:
                for _ in range(pick(rng, (1, 1, 1, 2, 3))):
                    self.edit(turn, self._file())
                    if rng.random() < 0.5:
                        self.llm_call(turn, 3.0)
            elif r < 0.80:
                cmd = pick(
                    rng,
                    (
                        "git status",
                        "git diff --stat",
                        "ls -la",
                        "rg TODO",
                        f"cat {self._file()}",
                        "git log --oneline -5",
                    ),
                )
                self.action("Bash", turn, None, cmd, {"command": cmd})
                if rng.random() < 0.02:
                    kind = pick(rng, KIND_POOL[(self.lang, "tool")])
                    self.error(
                        self.t + rand_int(rng, 50_000, 2_000_000),
                        kind,
                        self._file(),
                        None,
                        "agent",
                        self.agent,
                    )
            elif r < 0.99 or self.bf_fails_left > 0:
                self.run_tests(turn)
            else:
                kind = pick(rng, KIND_POOL[(self.lang, "tool")])
                path = self._file()
                span = self.action("Edit", turn, path, f"Edit {path}")
                self.error(
                    self.t + rand_int(rng, 20_000, 900_000), kind, path, span, "agent", self.agent
                )
        if rng.random() < 0.12:  # the human reviews and steps in
            self.human_edit(self._file(), "tweak")

    def human_turn(self) -> None:
        rng = self.rng
        for _ in range(rand_int(rng, 1, 4)):
            self.human_edit(self._file(), "edit")
        if self.crash_at >= 0 and self.sink.total >= self.crash_at:
            self.crash_at = -1
            self.crash_loop_episode(None)
        if rng.random() < 0.7 or self.bf_fails_left > 0:
            passed = self.run_tests(None, by_human=True)
            tries = 0
            while not passed and tries < 3 and self.sink.total < self.budget:
                self.human_edit(self.last_failed[0] if self.last_failed else self._file(), "fix")
                passed = self.run_tests(None, by_human=True)
                tries += 1

    def run(self) -> None:
        rng = self.rng
        agent = self.agent
        session_span = self.root
        self.emit(
            self.t,
            "session_start",
            "system",
            agent or self.human,
            message=None,
            trace_id=self.trace,
            span_id=session_span,
            attributes={
                "agent": agent,
                "repo": self.repo,
                "branch": self.branch,
                "metadata": {
                    "generator": GENERATOR,
                    "seed": self.seed,
                    "user": self.human,
                    "os": pick(rng, ("linux", "darwin", "win32")),
                },
            },
            client_id="session_start",
        )
        first = True
        while self.sink.total < self.budget:
            if agent is not None:
                self.agent_turn(first)
            else:
                self.human_turn()
            first = False
            if self.break_fix and self.bf_fails_left > 0 and self.sink.total >= self.budget - 12:
                self.budget += 12  # let the cycle finish
        if self.last_failed is not None:
            self.outcome = "failed" if rng.random() < 0.6 else "abandoned"
        elif rng.random() < 0.04:
            self.outcome = "abandoned"
        self._advance(10.0, 1.0, 1.0, 600.0)
        self.emit(
            self.t,
            "session_end",
            "system",
            agent or self.human,
            status=self.outcome,
            trace_id=self.trace,
            span_id=self._span(),
            attributes={"agent": agent, "repo": self.repo, "branch": self.branch},
            client_id="session_end",
        )
        self.sink.flush()
