"""How the checks are dealt to xdist workers and to CI runners (``--shard``): the checks that share work go together.

pytest-xdist's default deal (``--dist load``) sends each test wherever a worker is free. Our scenarios share work
through caches that live in one worker: a corpus row's upload and its processing wait (``pytest_fixtures.uploaded``,
read by ``test_upload.py``, ``test_details.py`` and ``test_file.py``), a refusal's single attempt
(``test_rejections.attempted``), and a module's own set-up (``test_list.py`` uploads its listing, ``test_auth.py``
the audio its refusals are about). Dealt one by one, every worker redid them: a quick run 50 ms away sent 1,432
requests on four workers against 922 on one, and took 34.7 s. Dealt by module (``--dist loadscope``), a row was
still uploaded once per module (1,018 requests, 30.5 s). Dealt as below: 940 requests, 28.1 s
(``benchmarks/README.md``, figure f). Dealing the access cells one by one as well was no faster (30.1 s) and sent
1,109 requests: each worker made its own victims in every space (``scenarios/_access_support.MatrixRunner``).

So a unit of work is what shares a cache, read from the test's node id alone (the controller never imports the
scenario modules):

- in :data:`BY_ROW` modules, one row: every test whose parameter id is that row's, across those modules;
- in :data:`ALONE` modules, one test: what they share is a cheap per-worker set-up (the property runs' token and
  schema), and their tests are few and long;
- in every other module, the whole module: the safe choice for a module with a module-scoped fixture, and what a
  new module gets until it says otherwise.

Units go out biggest first (xdist's loadscope order), each to the next free worker. ``--shard K/N`` deals the same
units to CI runners (``conformance/shard.py``), the access cells excepted (:data:`ALONE_ACROSS_RUNNERS`). No
verdict depends on the deal: ``tests/cli/test_concurrency.py`` compares a run on several workers with one on a
single worker, ``tests/cli/test_shard.py`` two shards merged with one run.
"""

from __future__ import annotations

from typing import Any

# A row's id names the same upload (or refused attempt) in each of these modules; the value is the cache's name, so
# that rows of different caches that happen to share an id stay apart.
BY_ROW: dict[str, str] = {
    "test_upload.py": "corpus",
    "test_details.py": "corpus",
    "test_file.py": "corpus",
    "test_rejections.py": "refusal",
}

# Each test stands alone: nothing it needs is shared beyond what every worker's session sets up once.
ALONE: frozenset[str] = frozenset({"test_properties.py"})

# One unit in a run, one test at a time across CI runners (``--shard``, ``conformance/shard.py``): in one run the
# access cells share the victims each worker makes in every space, but a shard makes its own victims anyway, and
# 197 cells in one unit would leave eight shards unbalanced.
ALONE_ACROSS_RUNNERS: frozenset[str] = frozenset({"test_access.py"})


def unit_of(nodeid: str, *, across_runners: bool = False) -> str:
    """The unit of work a test belongs to (``test_file.py::test_x[wav-16k]`` → ``corpus[wav-16k]``);
    ``across_runners``: the unit a shard keeps whole."""
    path, _, name = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1]
    if module in ALONE or (across_runners and module in ALONE_ACROSS_RUNNERS):
        return nodeid
    if module in BY_ROW and name.endswith("]") and "[" in name:
        return f"{BY_ROW[module]}[{name[name.index('[') + 1:-1]}]"
    return path


def make_scheduler(config: Any, log: Any) -> Any:
    """The scheduler for xdist's default deal (``load``); ``None`` (xdist's own) for any other ``--dist``."""
    if config.option.dist != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedWorkScheduling(LoadScopeScheduling):
        """xdist's loadscope deal, with :func:`unit_of` as the scope."""

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return SharedWorkScheduling(config, log)
