"""observatory/cache.py: Django's Redis cache behind the circuit breaker, with one client per pool."""

import threading

from observatory.cache import CircuitBreakerConnectionPool, CircuitBreakerRedisCache

REDIS_URL = "redis://127.0.0.1:6379/9"


def test_one_redis_client_per_pool_serves_every_call_and_thread():
    cache = CircuitBreakerRedisCache(REDIS_URL, {"KEY_PREFIX": "test-cache-client"})
    first = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is first  # one server: reads and writes share its pool
    assert isinstance(first.connection_pool, CircuitBreakerConnectionPool)  # still behind the breaker
    seen = []

    def work(n):
        cache.set(f"key-{n}", n, 30)
        seen.append((cache._cache.get_client(), cache.get(f"key-{n}"), n))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(client is first and read == written for client, read, written in seen)
    assert cache.get_many([f"key-{n}" for n in range(8)]) == {f"key-{n}": n for n in range(8)}
    cache.delete_many([f"key-{n}" for n in range(8)])
