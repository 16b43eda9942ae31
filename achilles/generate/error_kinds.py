"""Error kinds: the catalogue in `error_templates.py` expanded into a few hundred
kinds, pooled by language and role, and rendered with volatile parts that vary
from one occurrence to the next (paths in three styles, line numbers, hex
addresses, UUIDs, temp dirs, ports)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from achilles.generate.error_templates import (
    FILLERS,
    HOMES,
    KIND_SPECS,
    TMPS,
    WIN_HOMES,
)
from achilles.generate.sampling import pick, rand_int, word

LANGUAGES = ("py", "ts", "go", "rs")
ROLES = ("test", "hook", "crash", "tool")
_PORTS = (5432, 6379, 8000, 8080, 3000, 9092, 4317, 6333, 50051)


@dataclass(frozen=True, slots=True)
class ErrorKind:
    lang: str
    role: str
    error_type: str
    severity: str
    template: str  # str.format template over the volatile fields
    has_path: bool


def _build_kinds() -> list[ErrorKind]:
    kinds = []
    for lang, role, etype, sev, tmpl, variants in KIND_SPECS:
        for i, v in enumerate(variants):
            t = tmpl.replace("{v}", v)
            # One fixed filler per kind: the same kind always reads the same way.
            for key, options in FILLERS.items():
                escaped = key.replace("{", "{{").replace("}", "}}")
                if escaped in t:
                    t = t.replace(escaped, options[(i * 7 + len(v)) % len(options)])
            kinds.append(ErrorKind(lang, role, etype, sev, t, "{path}" in t or "{file}" in t))
    return kinds


ERROR_KINDS = _build_kinds()


def _kinds_by(lang: str, role: str) -> list[ErrorKind]:
    out = [k for k in ERROR_KINDS if k.lang in (lang, "any") and k.role in (role, "any")]
    if role == "test":
        out = [k for k in out if k.lang == lang] + [k for k in out if k.lang == "any"][:2]
    return out


# (language, role) -> the kinds a session in that language draws from.
KIND_POOL = {(lang, role): _kinds_by(lang, role) for lang in LANGUAGES for role in ROLES}


def _styled_path(rng: random.Random, repo: str, rel: str) -> str:
    r = rng.random()
    if r < 0.35:
        return rel
    if r < 0.45:
        return "./" + rel
    if r < 0.85:
        return f"{pick(rng, HOMES)}/{repo}/{rel}"
    return f"{pick(rng, WIN_HOMES)}\\{repo}\\" + rel.replace("/", "\\")


def render(kind: ErrorKind, rng: random.Random, repo: str, rel: str, other: str) -> str:
    """One occurrence of `kind` about file `rel` (and `other`, for a second frame)."""
    n = rand_int(rng, 1, 99999)
    tmp = pick(rng, TMPS).format(n=n, w=word(rng, 8), w2=word(rng, 2), w3=word(rng, 6))
    return kind.template.format(
        path=_styled_path(rng, repo, rel),
        path2=_styled_path(rng, repo, other),
        file=rel.rsplit("/", 1)[-1],
        line=rand_int(rng, 3, 900),
        line2=rand_int(rng, 3, 900),
        col=rand_int(rng, 1, 80),
        hex=f"{rng.getrandbits(40):010x}",
        hex2=f"{rng.getrandbits(20):05x}",
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        tmp=tmp,
        port=pick(rng, _PORTS),
        pid=rand_int(rng, 1200, 65000),
        n=n,
        n2=rand_int(rng, 1, 99999),
        secs=f"{rng.uniform(0.01, 30):.2f}",
    )
