"""One PostgreSQL pool per process (adapters.persistence.pg_pool): every application, view and the idempotency table share it,
counted, so closing one container leaves another of the same settings working."""

from __future__ import annotations

import pytest

from adapters.auth.passwords import Argon2Hasher
from adapters.persistence.pg_pool import GuardedPool
from domain.actors import Actor, Role
from domain.idempotency import Claim
from tests.conftest import LOG_KEY_FILE, own_postgres_url
from web.bootstrap import Settings, bootstrap

# A database of this module's own: a pool is closed only once no container of the process holds it.
postgres_url = pytest.fixture(scope="module", name="postgres_url")(own_postgres_url)

OPERATOR = Actor("cli:test", Role.ADMIN)


def _datastores(container) -> list:
    return [
        container.appeals.recorder.datastore,
        container.directory.recorder.datastore,
        container.accountability.recorder.datastore,
        container.views.get("case_list").datastore,
        container.read_models["ledger"].view.datastore,
        container.side_tables.datastore,
    ]


def test_every_application_and_view_of_a_process_shares_one_pool(postgres_url):
    settings = Settings(database_url=postgres_url, secret_key="k", log_key_file=LOG_KEY_FILE)
    first = bootstrap(settings, hasher=Argon2Hasher(time_cost=1, memory_cost=1024))
    second = bootstrap(settings, hasher=Argon2Hasher(time_cost=1, memory_cost=1024))
    try:
        stores = _datastores(first) + _datastores(second)
        assert all(store is stores[0] for store in stores)
        pool = stores[0].pool
        assert isinstance(pool, GuardedPool) and (pool.min_size, pool.max_size) == (1, 4)
        first.close()
        assert not pool.closed  # the second container still holds it
        second.directory.add_unit(OPERATOR, "POOL-SHARED", "共享连接池")
        assert isinstance(second.idempotency.claim("pool-test", "k1", "f"), Claim)  # the side tables too
    finally:
        first.close()
        second.close()
    assert pool.closed
